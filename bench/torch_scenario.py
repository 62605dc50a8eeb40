"""PyTorch's side of `harness bench`'s scenario race: the pretrained-backbone scenario
(scripts/pretrained-scenario.sh) written as one PyTorch script, the way a PyTorch user would run
the same strategies: a fresh EfficientNet-Lite0 from the ImageNet weights for every strategy and
seed, its frozen layers run forward in every step (no feature cache), in a fresh process so its
peak memory is its own.

    torch_scenario.py --data IDX-DIR --weights lite0.pth --size 64 --per-class 10 \
        --eval-per-class 100 --seeds 3 --batch 32 --threads 2 \
        --strategies scratch,svm-codes,softmax-codes,partial-ft,bn-only,bitfit,surgical-first,surgical-last,lp-ft,finetune

The protocol is the harness's comparison defaults:
- Fashion-MNIST's ten classes, K training images per class drawn per seed, of which 20% are
  held out and scored as validation images (as the harness's compare does), E test images per
  class; gray images repeated into three channels, stretched to SIZE x SIZE (bilinear) and
  normalised with the port's statistics (mean 0.498, std 0.502).
- Every training run: SGD, momentum 0.9, weight decay 5e-4 on convolution and linear weights
  only, the one-cycle rate from 0.05, batch 32 (last partial batch dropped), 10 epochs or more
  to reach 300 steps.
- The new classifier Xavier-initialised; copied layers that do not train are frozen with
  requires_grad_(False), and a batch normalisation whose parameters are all frozen runs in
  eval mode (the harness's batch_norm=frozen).
- The units are the stem, the 16 blocks and the head. finetune: every copied layer at lr x0.1;
  partial-ft: the first half of the units frozen, the rest at x0.1; surgical-first/last: only
  the stem / the head trains; bitfit: only biases (Lite0's are batch normalisation's shifts);
  bn-only: only batch normalisation's scale and shift; lp-ft: a linear probe (3 epochs, or 300
  steps), then everything at x0.1. svm-codes: LIBLINEAR (Debian's python3-liblinear: -s 1 -c 1
  -e 0.1 -B 1) on standardised pooled features; softmax-codes: a zero-initialised linear layer
  on them (40 epochs of batch 32, cosine rate, weight decay 1/(C n), C = 1). scratch: the same
  network from PyTorch's own initialisation, every layer trained.

Prints one JSON line: {"seconds": S, "strategy_seconds": {...}, "accuracy": {strategy: [per seed]}}.
"""
import argparse
import json
import math
import time

import peer

torch = peer.torch
nn = torch.nn

STRATEGIES = ["scratch", "svm-codes", "softmax-codes", "partial-ft", "bn-only", "bitfit", "surgical-first", "surgical-last", "lp-ft", "finetune"]


def stratified(labels, per_class, generator):
    picks = []
    for c in range(int(labels.max()) + 1):
        members = (labels == c).nonzero().flatten()
        picks.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    return torch.cat(picks).sort().values


def prepared(images, size):
    """Gray [0, 1] images (N, 1, 28, 28) as normalised 3 x size x size, channels_last."""
    x = torch.nn.functional.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    x = (x.repeat(1, 3, 1, 1) - 0.498) / 0.502
    return x.contiguous(memory_format=torch.channels_last)


class Scenario:
    def __init__(self, args):
        from efficientnet_lite_pytorch import EfficientNet
        self.EfficientNet = EfficientNet
        self.args = args
        self.state = torch.load(args.weights, weights_only=True)

    def network(self, classes, pretrained=True):
        a = self.args
        network = self.EfficientNet.from_name("efficientnet-lite0", image_size=a.size, num_classes=1000)
        if pretrained:
            network.load_state_dict(self.state)
        network._fc = nn.Linear(network._fc.in_features, classes)
        nn.init.xavier_uniform_(network._fc.weight)
        nn.init.zeros_(network._fc.bias)
        return network.to(memory_format=torch.channels_last)

    @staticmethod
    def units(network):
        return [nn.ModuleList([network._conv_stem, network._bn0])] + list(network._blocks) + [nn.ModuleList([network._conv_head, network._bn1])]

    def train(self, network, x, y, multiplier, seed, epochs=None):
        """One training run: `multiplier(name, parameter)` gives each parameter's rate multiplier
        (0 freezes it)."""
        a = self.args
        groups = []
        for name, p in network.named_parameters():
            mult = multiplier(name, p)
            p.requires_grad_(mult > 0)
            if mult > 0:
                decayed = p.dim() > 1  # convolution and linear weights; not biases or batch normalisation
                groups.append({"params": [p], "lr": a.lr * mult, "weight_decay": 5e-4 if decayed else 0.0, "mult": mult})
        optimizer = torch.optim.SGD(groups, lr=a.lr, momentum=0.9)
        network.train()
        for m in network.modules():
            if isinstance(m, nn.BatchNorm2d) and not any(p.requires_grad for p in m.parameters()):
                m.eval()
        for step, total, index in self.batches(len(x), a.batch, epochs or a.epochs, seed):
            rate, momentum = peer.one_cycle(a.lr, step, total)
            for g in optimizer.param_groups:
                g["lr"] = rate * g["mult"]
                g["momentum"] = momentum
            optimizer.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(network(x[index]), y[index]).backward()
            optimizer.step()

    def batches(self, count, batch, epochs, seed):
        """(step, total steps, image indices) of a run: shuffled whole batches, `epochs` or more
        to reach --min-steps steps, as the harness's Trainer."""
        batch = min(batch, count)
        per_epoch = max(count // batch, 1)
        total = max(epochs, math.ceil(self.args.min_steps / per_epoch)) * per_epoch
        generator = torch.Generator().manual_seed(seed)
        for step in range(total):
            if step % per_epoch == 0:
                order = torch.randperm(count, generator=generator)
            s = step % per_epoch
            yield step, total, order[s * batch:(s + 1) * batch]

    @torch.no_grad()
    def predict(self, network, x):
        network.eval()
        return torch.cat([network(x[i:i + 256]).argmax(1) for i in range(0, len(x), 256)])

    @torch.no_grad()
    def codes(self, network, x):
        network.eval()
        return torch.cat([network._avg_pooling(network.extract_features(x[i:i + 256])).flatten(1) for i in range(0, len(x), 256)])

    def run(self, strategy, x, y, tx, seed, classes):
        torch.manual_seed(seed)
        if strategy in ("svm-codes", "softmax-codes"):
            network = self.network(classes)
            train, test = self.codes(network, x), self.codes(network, tx)
            mean, std = train.mean(0), train.std(0, unbiased=False)
            std[std < 1e-8] = 1
            train, test = (train - mean) / std, (test - mean) / std
            if strategy == "svm-codes":
                import liblinearutil
                model = liblinearutil.train(y.tolist(), train.double().tolist(), "-s 1 -c 1 -e 0.1 -B 1 -q")
                predicted, _, _ = liblinearutil.predict([0] * len(test), test.double().tolist(), model, "-q")
                return torch.tensor(predicted).long()
            return self.softmax(train, y, test, classes, seed)
        network = self.network(classes, pretrained=strategy != "scratch")
        units = self.units(network)
        fc = {id(p) for p in network._fc.parameters()}
        inside = lambda modules: {id(p) for m in modules for p in m.parameters()}  # noqa: E731

        if strategy == "scratch":
            self.train(network, x, y, lambda n, p: 1.0, seed)
        elif strategy == "finetune":
            self.train(network, x, y, lambda n, p: 1.0 if id(p) in fc else 0.1, seed)
        elif strategy == "partial-ft":
            frozen = inside(units[:len(units) // 2])
            self.train(network, x, y, lambda n, p: 1.0 if id(p) in fc else 0.0 if id(p) in frozen else 0.1, seed)
        elif strategy in ("surgical-first", "surgical-last"):
            trained = inside([units[0] if strategy == "surgical-first" else units[-1]]) | fc
            self.train(network, x, y, lambda n, p: 1.0 if id(p) in trained else 0.0, seed)
        elif strategy == "bitfit":
            self.train(network, x, y, lambda n, p: 1.0 if id(p) in fc or n.endswith(".bias") else 0.0, seed)
        elif strategy == "bn-only":
            norms = inside([m for m in network.modules() if isinstance(m, nn.BatchNorm2d)])
            self.train(network, x, y, lambda n, p: 1.0 if id(p) in fc or id(p) in norms else 0.0, seed)
        elif strategy == "lp-ft":
            self.train(network, x, y, lambda n, p: 1.0 if id(p) in fc else 0.0, seed, epochs=3)
            self.train(network, x, y, lambda n, p: 1.0 if id(p) in fc else 0.1, seed)
        else:
            raise SystemExit(f"unknown strategy {strategy}; these are written: {', '.join(STRATEGIES)}")
        return self.predict(network, tx)

    def softmax(self, train, y, test, classes, seed):
        a = self.args
        linear = nn.Linear(train.shape[1], classes)
        nn.init.zeros_(linear.weight)
        nn.init.zeros_(linear.bias)
        optimizer = torch.optim.SGD([{"params": [linear.weight], "weight_decay": 1 / len(train)}, {"params": [linear.bias]}], lr=a.lr, momentum=0.9)
        for step, total, index in self.batches(len(train), 32, 40, seed):
            for g in optimizer.param_groups:
                g["lr"] = a.lr * (1 + math.cos(math.pi * step / total)) / 2
            optimizer.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(linear(train[index]), y[index]).backward()
            optimizer.step()
        with torch.no_grad():
            return linear(test).argmax(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, help="Fashion-MNIST's IDX folder")
    p.add_argument("--weights", required=True, help="EfficientNet-Lite0's ImageNet .pth")
    for name, default in (("--size", 64), ("--per-class", 10), ("--eval-per-class", 100), ("--seeds", 3), ("--batch", 32),
                          ("--epochs", 10), ("--min-steps", 300), ("--threads", 2)):
        p.add_argument(name, type=int, default=default)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--validation", type=float, default=0.2, help="fraction of each class's training images held out and scored")
    p.add_argument("--strategies", default=",".join(STRATEGIES))
    a = p.parse_args()
    started = time.perf_counter()
    peer.configure(a.threads)
    strategies = a.strategies.split(",")
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise SystemExit(f"unknown strategies {', '.join(unknown)}; these are written: {', '.join(STRATEGIES)}")
    scenario = Scenario(a)
    train_x, train_y = peer.load_split(a.data, "train")
    test_x, test_y = peer.load_split(a.data, "test")
    classes = int(train_y.max()) + 1
    pick = stratified(test_y, a.eval_per_class, torch.Generator().manual_seed(0))
    tx, ty = prepared(test_x[pick], a.size), test_y[pick]
    accuracy = {s: [] for s in strategies}
    spent = {s: 0.0 for s in strategies}
    for seed in range(1, a.seeds + 1):
        generator = torch.Generator().manual_seed(seed)
        pick = stratified(train_y, a.per_class, generator)
        held = torch.cat([members[torch.randperm(len(members), generator=generator)[:round(len(members) * a.validation)]]
                          for members in (pick[train_y[pick] == c] for c in range(classes))])
        kept = pick[~torch.isin(pick, held)]
        x, y = prepared(train_x[kept], a.size), train_y[kept]
        # The validation images are scored with the test images (one pass), as the harness scores both.
        vx = prepared(train_x[held], a.size)
        for strategy in strategies:
            t = time.perf_counter()
            predicted = scenario.run(strategy, x, y, torch.cat([tx, vx]), seed, classes)[:len(tx)]
            accuracy[strategy].append((predicted == ty).float().mean().item())
            spent[strategy] += time.perf_counter() - t
    print(json.dumps({"seconds": time.perf_counter() - started, "strategy_seconds": spent, "accuracy": accuracy,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)


if __name__ == "__main__":
    main()
