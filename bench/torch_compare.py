"""The default `harness compare --strategies freeze3,finetune,svm-codes` written as one PyTorch
script, as a user without the harness would: train the source network once, then for each seed
run scratch (the baseline), freeze3, finetune and svm-codes on the target task, and evaluate each
on the target classes' test images. `harness bench` times it against the harness.

Same protocol as the harness: the same network (from the harness's NetworkSpec JSON), Xavier
initialisation, SGD with momentum 0.9 and weight decay 5e-4 on weights, one-cycle rate, batch 64,
source network for --base-epochs on every source-class training image, K target images per class
drawn per seed of which 20% are held out for validation, every target training run at least 300
SGD steps (the harness's comparison defaults), the target test set normalised with the source network's training statistics,
and LIBLINEAR (Debian's python3-liblinear: L2-regularised L2-loss SVC, dual, C=1, eps 0.1, bias 1)
on standardised relu7 codes.

Prints one JSON object: seconds per stage and per strategy (all seeds), and each strategy's
accuracy per seed.
"""
import argparse
import json
import time

import peer

torch = peer.torch


def stratified(labels, classes, per_class, generator):
    """Indices of `per_class` images of each class (all of them when per_class is 0)."""
    picks = []
    for c in classes:
        members = (labels == c).nonzero().flatten()
        if per_class:
            members = members[torch.randperm(len(members), generator=generator)[:per_class]]
        picks.append(members)
    return torch.cat(picks).sort().values


def relabel(labels, classes):
    """Class indices of the data set -> 0..<len(classes), in the given order."""
    table = torch.full((int(labels.max()) + 1,), -1, dtype=torch.long)
    for i, c in enumerate(classes):
        table[c] = i
    return table[labels]


def accuracy(network, images, labels, channels_last):
    return (peer.outputs(network, images, channels_last=channels_last).argmax(1) == labels).float().mean().item()


def codes(network, images, layer_index, channels_last):
    return peer.outputs(network, images, upto=layer_index + 1, channels_last=channels_last)


def svm_codes(source, x, y, test_x, test_y, layer_index, channels_last):
    import liblinearutil
    train_codes = codes(source, x, layer_index, channels_last)
    test_codes = codes(source, test_x, layer_index, channels_last)
    mean, std = train_codes.mean(0), train_codes.std(0, unbiased=False)
    std[std < 1e-8] = 1
    train_codes, test_codes = (train_codes - mean) / std, (test_codes - mean) / std
    model = liblinearutil.train(y.tolist(), train_codes.double().tolist(), "-s 1 -c 1 -e 0.1 -B 1 -q")
    predicted, _, _ = liblinearutil.predict(test_y.tolist(), test_codes.double().tolist(), model, "-q")
    return (torch.tensor(predicted).long() == test_y).float().mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True, help="the harness's NetworkSpec JSON for the source classes")
    parser.add_argument("--data", required=True)
    parser.add_argument("--source-classes", required=True)
    parser.add_argument("--target-classes", required=True)
    parser.add_argument("--target-per-class", type=int, default=100)
    parser.add_argument("--source-per-class", type=int, default=0)
    parser.add_argument("--eval-per-class", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--base-epochs", type=int, default=3)
    parser.add_argument("--min-steps", type=int, default=300, help="fewest SGD steps of each target training run (the harness's comparison default)")
    parser.add_argument("--validation", type=float, default=0.2, help="fraction of each target class's training images held out (never trained on), as the harness does")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--layout", choices=["nchw", "channels_last"], default="channels_last")
    args = parser.parse_args()
    started = time.perf_counter()
    peer.configure(args.threads)
    channels_last = args.layout == "channels_last"
    spec = peer.spec_from(args.spec)
    source_classes = [int(c) for c in args.source_classes.split(",")]
    target_classes = [int(c) for c in args.target_classes.split(",")]
    train_x, train_y = peer.load_split(args.data, "train")
    test_x, test_y = peer.load_split(args.data, "test")
    stages = {"load": time.perf_counter() - started}

    def network(classes):
        spec["layers"][-1]["outputs"] = classes
        n = peer.build_network(spec)
        return n.to(memory_format=torch.channels_last) if channels_last else n

    # The source network, trained once.
    t = time.perf_counter()
    g = torch.Generator().manual_seed(1)
    pick = stratified(train_y, source_classes, args.source_per_class, g)
    sx, sy = train_x[pick], relabel(train_y[pick], source_classes)
    mean, std = sx.mean().item(), sx.std().item()
    sx = (sx - mean) / std
    torch.manual_seed(1)
    source = network(len(source_classes))
    peer.train(source, sx, sy, args.base_epochs, args.batch, args.lr, seed=1, channels_last=channels_last)
    stages["source network"] = time.perf_counter() - t

    test_pick = stratified(test_y, target_classes, args.eval_per_class, torch.Generator().manual_seed(0))
    tx, ty = (test_x[test_pick] - mean) / std, relabel(test_y[test_pick], target_classes)
    modules = list(source)
    learnable = [i for i, m in enumerate(modules) if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    relu7 = [i for i, layer in enumerate(spec["layers"]) if layer["name"] == "relu7"][0]
    # Module index of relu7: one Flatten module sits before the first fully connected layer.
    relu7_module = relu7 + 1

    results = {name: [] for name in ("scratch", "freeze3", "finetune", "svm-codes")}
    spent = {name: 0.0 for name in results}
    t = time.perf_counter()
    clock = [time.perf_counter()]

    def lap(name):
        now = time.perf_counter()
        spent[name] += now - clock[0]
        clock[0] = now

    for seed in range(1, args.seeds + 1):
        g = torch.Generator().manual_seed(seed)
        pick = stratified(train_y, target_classes, args.target_per_class, g)
        # As the harness: a share of each class held out for validation (scored, never trained on).
        held = torch.cat([members[torch.randperm(len(members), generator=g)[:round(len(members) * args.validation)]]
                          for members in (pick[train_y[pick] == c] for c in target_classes)])
        pick = pick[~torch.isin(pick, held)]
        x, y = (train_x[pick] - mean) / std, relabel(train_y[pick], target_classes)
        vx = (train_x[held] - mean) / std
        classes = len(target_classes)

        clock[0] = time.perf_counter()
        torch.manual_seed(seed)
        scratch = network(classes)
        peer.train(scratch, x, y, args.epochs, args.batch, args.lr, seed=seed, channels_last=channels_last, min_steps=args.min_steps)
        results["scratch"].append(accuracy(scratch, tx, ty, channels_last))
        lap("scratch")

        torch.manual_seed(seed)
        frozen = network(classes)
        for i in learnable[:3]:
            frozen[i].load_state_dict(modules[i].state_dict())
            frozen[i].requires_grad_(False)
        mults = [0.0] * 3 + [1.0] * (len(learnable) - 3)
        peer.train(frozen, x, y, args.epochs, args.batch, args.lr, lr_mults=mults, seed=seed, channels_last=channels_last, min_steps=args.min_steps)
        results["freeze3"].append(accuracy(frozen, tx, ty, channels_last))
        lap("freeze3")

        torch.manual_seed(seed)
        tuned = network(classes)
        for i in learnable[:-1]:
            tuned[i].load_state_dict(modules[i].state_dict())
        mults = [0.1] * (len(learnable) - 1) + [1.0]
        peer.train(tuned, x, y, args.epochs, args.batch, args.lr, lr_mults=mults, seed=seed, channels_last=channels_last, min_steps=args.min_steps)
        results["finetune"].append(accuracy(tuned, tx, ty, channels_last))
        lap("finetune")

        results["svm-codes"].append(svm_codes(source, x, y, tx, ty, relu7_module, channels_last))
        lap("svm-codes")
    stages["strategies"] = time.perf_counter() - t
    stages["total"] = time.perf_counter() - started
    print(json.dumps({"seconds": stages, "strategy_seconds": spent, "accuracy": results, "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "layout": args.layout}))


if __name__ == "__main__":
    main()
