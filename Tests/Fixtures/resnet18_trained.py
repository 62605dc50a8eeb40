"""Issue 23's case, as a new user met it: torchvision's ResNet-18 (5 classes) trained briefly in
PyTorch on 3x64x64 colour images, saved with torch.save, for the harness to import by name (no
spec file) and evaluate: it must predict what PyTorch predicts on every test image.

    /usr/bin/python3 resnet18_trained.py --data FASHION_MNIST_DIR --out DIR

The images are Fashion-MNIST's classes 0-4, enlarged to 64x64 (bilinear) and tinted with a
colour per image (so the three channels differ), written as PNG files, DIR/folder/{train,test}/
CLASS/NNNN.png; PyTorch trains on those files as decoded from disk. Writes DIR/resnet18.pth (a
plain state dict) and DIR/torch.json: the normalisation's mean and std, PyTorch's test accuracy
and its predictions in the harness's folder order (classes by name, then files by name).
"""
import argparse, gzip, json, os

import numpy as np
import torch
import torchvision
from PIL import Image


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(directory, stem):
    for name in (stem, stem + ".gz"):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    raise SystemExit(f"{stem} not found in {directory}")


def write_folder(images, labels, per_class, folder, rng):
    """Writes per_class images of classes 0-4 as tinted 64x64 PNGs; returns their paths by class."""
    paths = []
    for c in range(5):
        os.makedirs(f"{folder}/class{c}", exist_ok=True)
        for k, i in enumerate(np.flatnonzero(labels == c)[:per_class]):
            gray = np.asarray(Image.fromarray(images[i]).resize((64, 64), Image.BILINEAR), dtype=np.float32)
            tint = rng.uniform(0.4, 1.0, size=3).astype(np.float32)
            rgb = np.clip(gray[:, :, None] * tint[None, None, :], 0, 255).astype(np.uint8)
            path = f"{folder}/class{c}/{k:04d}.png"
            Image.fromarray(rgb).save(path)
            paths.append((path, c))
    return sorted(paths)


def load(paths, mean, std):
    x = np.stack([np.asarray(Image.open(p).convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255.0 for p, _ in paths])
    x = (x - mean[None, :, None, None]) / std[None, :, None, None]
    return torch.from_numpy(x.astype(np.float32)), torch.tensor([c for _, c in paths])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--train-per-class", type=int, default=120)
    p.add_argument("--test-per-class", type=int, default=40)
    p.add_argument("--epochs", type=int, default=3)
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    train = write_folder(read_idx(find(a.data, "train-images-idx3-ubyte")), read_idx(find(a.data, "train-labels-idx1-ubyte")),
                         a.train_per_class, f"{a.out}/folder/train", rng)
    test = write_folder(read_idx(find(a.data, "t10k-images-idx3-ubyte")), read_idx(find(a.data, "t10k-labels-idx1-ubyte")),
                        a.test_per_class, f"{a.out}/folder/test", rng)
    raw = np.stack([np.asarray(Image.open(p).convert("RGB"), dtype=np.float32) / 255.0 for p, _ in train])
    mean, std = raw.mean(axis=(0, 1, 2)), raw.std(axis=(0, 1, 2))
    x, y = load(train, mean, std)
    model = torchvision.models.resnet18(num_classes=5)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    model.train()
    for _ in range(a.epochs):
        order = torch.randperm(len(y))
        for start in range(0, len(y), 32):
            batch = order[start:start + 32]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            optimizer.step()
    model.eval()
    tx, ty = load(test, mean, std)
    with torch.no_grad():
        logits = model(tx)
    predictions = logits.argmax(1)
    top2 = logits.topk(2, dim=1).values
    torch.save(model.state_dict(), f"{a.out}/resnet18.pth")
    with open(f"{a.out}/torch.json", "w") as f:
        json.dump({"mean": mean.tolist(), "std": std.tolist(), "accuracy": (predictions == ty).float().mean().item(),
                   "predictions": predictions.tolist(),
                   "smallest_margin": (top2[:, 0] - top2[:, 1]).min().item()}, f)


if __name__ == "__main__":
    main()
