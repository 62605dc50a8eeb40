"""A torchvision network (or EfficientNet-Lite from PyPI's efficientnet-lite-pytorch, on PYTHONPATH
from scripts/bootstrap.sh --bench) with random weights, and its logits on random inputs, for the zoo's
faithfulness test: the harness imports the same state dict and must give the same logits.

    /usr/bin/python3 torchvision_reference.py --network resnet18 --classes 10 --size 64 --out DIR

writes DIR/NETWORK.safetensors (the state dict, as safetensors.torch.save_file writes it) and
DIR/NETWORK.json ({"inputs": [...], "logits": [...], "shape": [N, C, H, W]}). Batch-norm running
statistics and affine parameters are drawn too, so no batch normalisation is an identity.
"""
import argparse, json, os, sys

import torch
import torchvision

# The writer the export example uses (what safetensors.torch.save_file writes).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples"))
from torch_export import save_safetensors  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--network", required=True)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    torch.manual_seed(0)
    if a.network.startswith("efficientnet_lite"):
        from efficientnet_lite_pytorch import EfficientNet
        # The port computes TensorFlow's "same" padding for the image size it is built for.
        model = EfficientNet.from_name(a.network.replace("_", "-"), image_size=a.size, num_classes=a.classes)
    else:
        model = getattr(torchvision.models, a.network)(num_classes=a.classes)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    model.eval()
    x = torch.randn(a.batch, 3, a.size, a.size)
    with torch.no_grad():
        logits = model(x)
    save_safetensors(model.state_dict(), f"{a.out}/{a.network}.safetensors")
    # The same weights as torch.save writes them, in a checkpoint that wraps its state dict,
    # and a whole pickled module, which torch.load(weights_only=True) must refuse.
    torch.save({"state_dict": model.state_dict(), "epoch": 3}, f"{a.out}/{a.network}.pth")
    torch.save(model, f"{a.out}/{a.network}-module.pth")
    with open(f"{a.out}/{a.network}.json", "w") as f:
        json.dump({"inputs": x.flatten().tolist(), "logits": logits.flatten().tolist(), "shape": list(x.shape)}, f)


if __name__ == "__main__":
    main()
