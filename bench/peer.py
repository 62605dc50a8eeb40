"""The PyTorch peer: the harness's network, optimiser and data, written the way a careful PyTorch
user would, so `harness bench` can race the engine against it on the same machine.

Shared by torch_throughput.py (steps per second) and torch_compare.py (the whole comparison).
The network is built from the harness's own NetworkSpec JSON, so the two sides cannot drift.
"""
import gzip
import json
import math
import os
import struct

# OpenBLAS's own threads fight torch's OpenMP pool on a small machine (+20% for torch when off).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


def configure(threads):
    """Torch's best CPU settings: an explicit thread count (Debian's torch starts with one) and
    denormals flushed to zero, as the harness engine does."""
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)


def read_idx(path):
    """An IDX file (optionally gzip-compressed) as a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(directory, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{directory}: no {stem}[.gz]")


def load_split(directory, split):
    """Images (N, 1, H, W) float32 in [0, 1] and labels (N,) int64 of one split."""
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(find(directory, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(find(directory, f"{prefix}-labels-idx1-ubyte"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


class SpecNet(nn.Module):
    """A NetworkSpec with residual connections: each layer reads the output of the layer its
    spec names (`input`, default the one before), an `add` adds its `shortcut`'s output and a
    `multiply` scales each channel by its `gate`'s output."""

    def __init__(self, modules, inputs, operands, kinds):
        super().__init__()
        self.layers = nn.ModuleList(modules)
        self.inputs, self.operands, self.kinds = inputs, operands, kinds

    def forward(self, x):
        outs = []
        for module, i, s, kind in zip(self.layers, self.inputs, self.operands, self.kinds):
            source = x if i < 0 else outs[i]
            if kind == "add":
                outs.append(source + outs[s])
            elif kind == "multiply":
                outs.append(source * outs[s])
            else:
                outs.append(module(source))
        return outs[-1]


def build_network(spec):
    """The harness's NetworkSpec JSON (`harness bench` passes it) as PyTorch modules: an
    nn.Sequential for a plain chain, a SpecNet for a residual network."""
    names = [layer["name"] for layer in spec["layers"]]
    inputs = [names.index(layer["input"]) if "input" in layer else i - 1 for i, layer in enumerate(spec["layers"])]
    operands = [names.index(layer["shortcut"]) if layer["kind"] == "add" else names.index(layer["gate"]) if layer["kind"] == "multiply" else None
                for layer in spec["layers"]]
    readers = [inputs.count(i) + operands.count(i) for i in range(len(names))]
    graph = any("input" in layer or layer["kind"] in ("add", "multiply") for layer in spec["layers"])
    shapes, modules = [], []
    for i, layer in enumerate(spec["layers"]):
        kind = layer["kind"]
        shape = (spec["channels"], spec["height"], spec["width"]) if inputs[i] < 0 else shapes[inputs[i]]
        bias = layer.get("bias", True)
        if kind == "convolution":
            k, s, p = layer["kernel"], layer.get("stride", 1), layer.get("padding", 0)
            module = nn.Conv2d(shape[0], layer["outputs"], k, stride=s, padding=p, groups=layer.get("groups", 1), bias=bias)
            shape = (layer["outputs"], (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1)
        elif kind == "max_pool":
            k, s, p = layer["kernel"], layer.get("stride", layer["kernel"]), layer.get("padding", 0)
            module = nn.MaxPool2d(k, s, padding=p)
            shape = (shape[0], (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1)
        elif kind == "avg_pool":
            k, s, p = layer["kernel"], layer.get("stride", layer["kernel"]), layer.get("padding", 0)
            module = nn.AvgPool2d(k, s, padding=p)
            shape = (shape[0], (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1)
        elif kind == "global_avg_pool":
            module = nn.AdaptiveAvgPool2d(1)
            shape = (shape[0], 1, 1)
        elif kind == "batch_norm":
            eps = layer.get("eps", 1e-5)
            module = nn.BatchNorm2d(shape[0], eps=eps) if len(shape) == 3 else nn.BatchNorm1d(shape[0], eps=eps)
        elif kind == "relu":
            # In place only where nothing else reads the input (a residual block's input is read twice).
            module = nn.ReLU(inplace=inputs[i] < 0 or readers[inputs[i]] == 1)
        elif kind in ("relu6", "sigmoid", "silu", "hardswish"):
            module = {"relu6": nn.ReLU6, "sigmoid": nn.Sigmoid, "silu": nn.SiLU, "hardswish": nn.Hardswish}[kind]()
        elif kind == "dropout":
            module = nn.Dropout(layer["rate"])
        elif kind in ("add", "multiply"):
            module = nn.Identity()
        elif kind == "fully_connected":
            linear = nn.Linear(int(np.prod(shape)), layer["outputs"], bias=bias)
            module = nn.Sequential(nn.Flatten(), linear) if len(shape) == 3 and graph else linear
            if len(shape) == 3 and not graph:
                modules.append(nn.Flatten())
            shape = (layer["outputs"],)
        else:
            raise ValueError(f"unknown layer kind {kind}")
        modules.append(module)
        shapes.append(shape)
    network = SpecNet(modules, inputs, operands, [layer["kind"] for layer in spec["layers"]]) if graph else nn.Sequential(*modules)
    for m in network.modules():  # the harness's default initialiser: Xavier, zero biases
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return network


def learnable(network):
    return [m for m in network.modules() if isinstance(m, (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d))]


def make_optimizer(network, lr, lr_mults=None, momentum=0.9, weight_decay=5e-4):
    """SGD with momentum; weight decay on convolution and fully connected weights only (the
    harness's decay_mult 0 for biases and batch normalisation); one parameter group per learnable
    layer so each can have its own rate multiplier."""
    groups = []
    for i, m in enumerate(learnable(network)):
        mult = 1.0 if lr_mults is None else lr_mults[i]
        if mult == 0:
            continue
        decayed = not isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))
        groups.append({"params": [m.weight], "lr": lr * mult, "weight_decay": weight_decay if decayed else 0.0, "mult": mult})
        if m.bias is not None:
            groups.append({"params": [m.bias], "lr": lr * mult, "weight_decay": 0.0, "mult": mult})
    return torch.optim.SGD(groups, lr=lr, momentum=momentum)


def one_cycle(base, step, total):
    """The harness's one-cycle schedule (rate, momentum) at a 0-based step."""
    t = step / (total - 1) if total > 1 else 1.0

    def between(a, b, f):
        return b + (a - b) * (1 + math.cos(math.pi * f)) / 2

    start = base / 25
    end = start / 1e4
    if t < 0.3:
        f = t / 0.3
        return between(start, base, f), between(0.95, 0.85, f)
    f = (t - 0.3) / 0.7
    return between(base, end, f), between(0.85, 0.95, f)


def to_layout(x, channels_last):
    return x.contiguous(memory_format=torch.channels_last) if channels_last and x.dim() == 4 else x


def train(network, images, labels, epochs, batch, lr, lr_mults=None, seed=1, channels_last=False, bf16=False, min_steps=0):
    """The harness's training loop: shuffled minibatches (last partial batch dropped), softmax
    cross-entropy, SGD with a per-step one-cycle rate, `epochs` or more to reach `min_steps`
    steps (the harness's --min-steps); with bf16, the forward pass under CPU autocast to bfloat16."""
    optimizer = make_optimizer(network, lr, lr_mults)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    n = images.shape[0]
    batch = min(batch, n)
    steps = max(n // batch, 1)
    epochs = max(epochs, -(-min_steps // steps))
    total = steps * epochs
    network.train()
    step = 0
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for s in range(steps):
            index = order[s * batch:(s + 1) * batch]
            x = to_layout(images[index], channels_last)
            rate, momentum = one_cycle(lr, step, total)
            for g in optimizer.param_groups:
                g["lr"] = rate * g["mult"]
                g["momentum"] = momentum
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = loss_fn(network(x), labels[index])
            loss.backward()
            optimizer.step()
            step += 1
    return step * batch


@torch.no_grad()
def outputs(network, images, upto=None, batch=256, channels_last=False, bf16=False):
    """The network's output (or the output of its first `upto` modules) for every image."""
    network.eval()
    body = network if upto is None else network[:upto]
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        rows = [body(to_layout(images[i:i + batch], channels_last)).reshape(min(batch, images.shape[0] - i), -1).float()
                for i in range(0, images.shape[0], batch)]
    return torch.cat(rows)


def spec_from(path):
    with open(path) as f:
        return json.load(f)
