"""PyTorch side of `harness bench`: a long-lived process that answers timing requests, so the
harness can alternate engines run by run (A B A B ...) without paying torch's import each time.

    torch_throughput.py --spec SPEC.json --data DIR --threads N

Reads one JSON request per line on stdin:
    {"op": "train" | "infer", "batch": 64, "steps": 60, "warmup": 5, "layout": "nchw" | "channels_last"}
and answers one JSON line: {"images": ..., "seconds": ..., "images_per_second": ...}.
"""
import argparse
import json
import sys
import time

import peer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    peer.configure(args.threads)
    spec = peer.spec_from(args.spec)
    images, labels = peer.load_split(args.data, "train")
    images = (images - images.mean()) / images.std()  # as the harness normalises its inputs
    networks = {}
    print(json.dumps({"ready": True, "torch": peer.torch.__version__, "threads": peer.torch.get_num_threads()}), flush=True)

    for line in sys.stdin:
        request = json.loads(line)
        channels_last = request["layout"] == "channels_last"
        key = request["layout"]
        if key not in networks:
            network = peer.build_network(spec)
            networks[key] = network.to(memory_format=peer.torch.channels_last) if channels_last else network
        network = networks[key]
        batch, steps, warmup = request["batch"], request["steps"], request.get("warmup", 3)
        x, y = images[: (steps + warmup) * batch], labels[: (steps + warmup) * batch]
        if request["op"] == "train":
            peer.train(network, x[: warmup * batch], y[: warmup * batch], 1, batch, 0.05, channels_last=channels_last)
            start = time.perf_counter()
            count = peer.train(network, x[warmup * batch:], y[warmup * batch:], 1, batch, 0.05, channels_last=channels_last)
        else:
            peer.outputs(network, x[: warmup * batch], batch=batch, channels_last=channels_last)
            start = time.perf_counter()
            peer.outputs(network, x[warmup * batch:], batch=batch, channels_last=channels_last)
            count = steps * batch
        seconds = time.perf_counter() - start
        print(json.dumps({"images": count, "seconds": seconds, "images_per_second": count / seconds}), flush=True)


if __name__ == "__main__":
    main()
