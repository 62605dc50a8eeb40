#!/usr/bin/env python3
"""Train harness's default network in PyTorch and export it for `harness import`.

    python3 examples/torch_export.py --classes 0-4 --epochs 2 --out net.safetensors
    harness import net.safetensors --input 1x28x28 --mean <printed> --std <printed> --out net.harness.safetensors
    harness compare --source-model net.harness.safetensors --target fashion-mnist:5-9

The module names (conv1 ... fc8) and layouts are those of harness's NetworkSpec.standard, so
`harness import` matches tensors by name. With --predictions the script also writes its own
predictions on the test images of those classes, in file order (the round-trip test compares
them with `harness eval --predictions`).
"""
import argparse, gzip, json, os, struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    """harness's default network (5 convolutional + 3 fully connected layers) for 28x28 inputs."""

    def __init__(self, classes, channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.conv3 = nn.Conv2d(64, 96, 3, padding=1)
        self.conv4 = nn.Conv2d(96, 96, 3, padding=1)
        self.conv5 = nn.Conv2d(96, 64, 3, padding=1)
        self.fc6 = nn.Linear(64 * 3 * 3, 256)
        self.fc7 = nn.Linear(256, 256)
        self.fc8 = nn.Linear(256, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.conv4(F.relu(self.conv3(x))))
        x = F.max_pool2d(F.relu(self.conv5(x)), 2)
        x = torch.flatten(x, 1)  # channels first, as harness flattens
        x = F.dropout(F.relu(self.fc6(x)), 0.5, self.training)
        x = F.dropout(F.relu(self.fc7(x)), 0.5, self.training)
        return self.fc8(x)


def save_safetensors(tensors, path):
    """What safetensors.torch.save_file writes (Debian has no python3-safetensors package)."""
    try:
        from safetensors.torch import save_file
        return save_file({k: v.contiguous() for k, v in tensors.items()}, path)
    except ImportError:
        pass
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def idx(path):
    with gzip.open(path) if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(folder, split, classes):
    prefix = "train" if split == "train" else "t10k"
    images = idx(f"{folder}/{prefix}-images-idx3-ubyte.gz").astype(np.float32) / 255
    labels = idx(f"{folder}/{prefix}-labels-idx1-ubyte.gz")
    keep = np.isin(labels, classes)
    relabel = {c: i for i, c in enumerate(classes)}
    return images[keep][:, None], np.array([relabel[l] for l in labels[keep]])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.environ.get("HARNESS_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    parser.add_argument("--classes", default="0-4", help="a range like 0-4")
    parser.add_argument("--train-per-class", type=int, default=0, help="0: all")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--out", required=True)
    parser.add_argument("--predictions")
    args = parser.parse_args()
    torch.manual_seed(1)
    lo, hi = map(int, args.classes.split("-"))
    classes = list(range(lo, hi + 1))
    x, y = load(args.data, "train", classes)
    if args.train_per_class:
        pick = np.concatenate([np.flatnonzero(y == c)[:args.train_per_class] for c in range(len(classes))])
        x, y = x[pick], y[pick]
    mean, std = float(x.mean()), float(x.std())  # stored with the model by `harness import`
    model = Net(len(classes))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xs, ys = torch.from_numpy((x - mean) / std), torch.from_numpy(y)
    for epoch in range(args.epochs):
        model.train()
        for batch in torch.randperm(len(ys)).split(64):
            opt.zero_grad()
            F.cross_entropy(model(xs[batch]), ys[batch]).backward()
            opt.step()
    save_safetensors(model.state_dict(), args.out)
    tx, ty = load(args.data, "test", classes)
    model.eval()
    with torch.no_grad():
        predicted = model(torch.from_numpy((tx - mean) / std)).argmax(1).numpy()
    accuracy = float((predicted == ty).mean())
    print(f"test accuracy {accuracy * 100:.2f}% on {len(ty)} images; import with:")
    print(f"  harness import {args.out} --input 1x28x28 --mean {mean:.6f} --std {std:.6f} --out model.safetensors")
    if args.predictions:
        with open(args.predictions, "w") as f:
            json.dump({"mean": mean, "std": std, "accuracy": accuracy, "predictions": predicted.tolist()}, f)


if __name__ == "__main__":
    main()
