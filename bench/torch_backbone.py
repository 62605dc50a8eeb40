"""PyTorch's side of `harness bench`'s backbone race: one run of one standard backbone at
ImageNet size, in a fresh process so that its peak memory is its own.

    torch_backbone.py --network resnet18|efficientnet_lite0|... --size 224 --batch 32 \
        --steps 3 --warmup 1 --op train|infer --threads 2 [--layout channels_last|nchw] \
        [--precision fp32|bf16]

The network is PyTorch's own module, 1000 classes: torchvision's for ResNet, MobileNetV2 and
EfficientNet-B0, PyPI's efficientnet-lite-pytorch for EfficientNet-Lite (on PYTHONPATH from
scripts/bootstrap.sh --bench). Random images; training is the harness's loop (peer.train: SGD
with momentum, weight decay, one-cycle rate). --precision bf16 runs the forward passes under
torch.autocast("cpu", dtype=torch.bfloat16), PyTorch's mixed precision on CPU. Prints one JSON
line: {"images": N, "seconds": S}.
"""
import argparse
import json
import time

import peer


def build(name, size):
    if name.startswith("efficientnet_lite"):
        from efficientnet_lite_pytorch import EfficientNet
        return EfficientNet.from_name(name.replace("_", "-"), image_size=size, num_classes=1000)
    import torchvision
    return getattr(torchvision.models, name)(num_classes=1000)


def main():
    p = argparse.ArgumentParser()
    for name in ("--network", "--op"):
        p.add_argument(name, required=True)
    for name in ("--size", "--batch", "--steps", "--warmup", "--threads"):
        p.add_argument(name, type=int, required=True)
    p.add_argument("--layout", choices=["channels_last", "nchw"], default="channels_last")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    a = p.parse_args()
    peer.configure(a.threads)
    torch = peer.torch
    generator = torch.Generator().manual_seed(1)
    count = (a.warmup + a.steps) * a.batch
    images = torch.rand(count, 3, a.size, a.size, generator=generator) * 4 - 2
    labels = torch.randint(0, 1000, (count,), generator=generator)
    network = build(a.network, a.size)
    channels_last = a.layout == "channels_last"
    bf16 = a.precision == "bf16"
    if channels_last:
        network = network.to(memory_format=torch.channels_last)
    split = a.warmup * a.batch
    if a.op == "train":
        if a.warmup:
            peer.train(network, images[:split], labels[:split], 1, a.batch, 0.05, channels_last=channels_last, bf16=bf16)
        start = time.perf_counter()
        peer.train(network, images[split:], labels[split:], 1, a.batch, 0.05, channels_last=channels_last, bf16=bf16)
    else:
        with torch.no_grad():
            if a.warmup:
                peer.outputs(network, images[:split], batch=a.batch, channels_last=channels_last, bf16=bf16)
            start = time.perf_counter()
            peer.outputs(network, images[split:], batch=a.batch, channels_last=channels_last, bf16=bf16)
    seconds = time.perf_counter() - start
    print(json.dumps({"images": a.steps * a.batch, "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
