#!/usr/bin/env python3
"""Train a network in PyTorch and export it for `harness import`, or load a harness model into PyTorch.

    python3 examples/torch_export.py --classes 0-4 --epochs 2 --out net.safetensors
    harness import net.safetensors --input 1x28x28 --mean <printed> --std <printed> --out net.harness.safetensors
    harness compare --source-model net.harness.safetensors --target fashion-mnist:5-9

--network standard (the default) is harness's default network: its module names (conv1 ... fc8)
and layouts are those of NetworkSpec.standard, so `harness import` matches tensors by name.
--network resnet20 is a CIFAR ResNet-20 built from torchvision's own BasicBlock, named as
torchvision names a ResNet (conv1, bn1, layer1.0.conv1, layer2.0.downsample.0, ..., fc), which
is what `harness import --network resnet20` expects, running statistics included.

--load MODEL goes the other way: a model harness wrote (train --out, import --out, compare
--save-models) loads into the PyTorch network with load_state_dict(strict=True) and classifies the
test images, normalised as the model's metadata says. --network also takes a torchvision
architecture by name (resnet18, mobilenet_v2, ...) for a model transferred from a zoo network; the
grayscale test images are repeated into three channels when the model takes colour, as harness
does.

With --predictions the script writes its predictions on the test images of those classes, in file
order (the round-trip tests compare them with `harness eval --predictions`).
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


def resnet(classes, channels=1, blocks=3, widths=(16, 32, 64)):
    """He et al.'s CIFAR ResNet (6 * blocks + 2 layers) from torchvision's BasicBlock, with a
    projection shortcut (1x1 convolution + batch normalisation) where a stage changes size."""
    from torchvision.models.resnet import BasicBlock

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(channels, widths[0], 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(widths[0])
            self.relu = nn.ReLU(inplace=True)
            inplanes = widths[0]
            for stage, width in enumerate(widths):
                stride = 1 if stage == 0 else 2
                layers = []
                for b in range(blocks):
                    s = stride if b == 0 else 1
                    downsample = None
                    if s != 1 or inplanes != width:
                        downsample = nn.Sequential(nn.Conv2d(inplanes, width, 1, stride=s, bias=False), nn.BatchNorm2d(width))
                    layers.append(BasicBlock(inplanes, width, s, downsample))
                    inplanes = width
                setattr(self, f"layer{stage + 1}", nn.Sequential(*layers))
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(widths[-1], classes)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.layer3(self.layer2(self.layer1(x)))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return ResNet()


NETWORKS = {"standard": Net, "resnet20": resnet}


def read_safetensors(path):
    """Tensors and metadata of a safetensors file (harness writes F32 tensors)."""
    with open(path, "rb") as f:
        data = f.read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        array = np.frombuffer(data[8 + size + begin:8 + size + end], dtype=np.float32).reshape(t["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, metadata


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
    parser.add_argument("--network", default="standard",
                        help=f"{', '.join(sorted(NETWORKS))} (to train or load), or a torchvision architecture (to --load)")
    parser.add_argument("--out", help="the state dict to write")
    parser.add_argument("--load", help="a harness model to load into PyTorch and evaluate, instead of training")
    parser.add_argument("--predictions")
    args = parser.parse_args()
    torch.manual_seed(1)
    lo, hi = map(int, args.classes.split("-"))
    classes = list(range(lo, hi + 1))
    if args.load:
        return evaluate_harness_model(args, classes)
    if not args.out:
        parser.error("--out is required unless --load is given")
    if args.network not in NETWORKS:
        parser.error(f"--network {args.network} can be loaded (--load), not trained here: train {', '.join(sorted(NETWORKS))}")
    x, y = load(args.data, "train", classes)
    if args.train_per_class:
        pick = np.concatenate([np.flatnonzero(y == c)[:args.train_per_class] for c in range(len(classes))])
        x, y = x[pick], y[pick]
    mean, std = float(x.mean()), float(x.std())  # stored with the model by `harness import`
    model = NETWORKS[args.network](len(classes))
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
    predicted = classify(model, torch.from_numpy((tx - mean) / std))
    accuracy = float((predicted == ty).mean())
    print(f"test accuracy {accuracy * 100:.2f}% on {len(ty)} images; import with:")
    print(f"  harness import {args.out} --network {args.network} --input 1x28x28 --mean {mean:.6f} --std {std:.6f} --out model.safetensors")
    if args.predictions:
        with open(args.predictions, "w") as f:
            json.dump({"mean": mean, "std": std, "accuracy": accuracy, "predictions": predicted.tolist()}, f)


def classify(model, images):
    """Predicted classes, in batches (one 5000-image batch costs PyTorch more than its work)."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(batch).argmax(1) for batch in images.split(500)]).numpy()


def network(name, classes):
    """One of this script's networks, or a torchvision architecture by its name."""
    if name in NETWORKS:
        return NETWORKS[name](classes)
    import torchvision
    return getattr(torchvision.models, name)(num_classes=classes)


def evaluate_harness_model(args, classes):
    tensors, metadata = read_safetensors(args.load)
    model = network(args.network, len(json.loads(metadata["class_names"])))
    model.load_state_dict(tensors, strict=True)  # every tensor named and shaped as PyTorch's own
    norm = json.loads(metadata["normalization"])
    mean = torch.tensor(norm["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(norm["std"]).view(1, -1, 1, 1)
    tx, ty = load(args.data, "test", classes)
    x = torch.from_numpy(tx)
    if mean.shape[1] == 3 and x.shape[1] == 1:
        x = x.repeat(1, 3, 1, 1)  # grayscale for a colour network, as harness brings it
    predicted = classify(model, (x - mean) / std)
    accuracy = float((predicted == ty).mean())
    print(f"{args.load} in PyTorch: test accuracy {accuracy * 100:.2f}% on {len(ty)} images")
    if args.predictions:
        with open(args.predictions, "w") as f:
            json.dump({"accuracy": accuracy, "predictions": predicted.tolist()}, f)


if __name__ == "__main__":
    main()
