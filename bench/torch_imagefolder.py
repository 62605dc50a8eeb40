#!/usr/bin/env python3
"""The peer of harness bench's image-loading race: torchvision's ImageFolder reading a folder
through PIL, resized and converted to the network's input, with a DataLoader of --threads worker
processes. Prints one JSON line: images, seconds (after torch is imported), versions."""
import argparse, json, time

import torch
import torchvision
from torchvision import datasets, transforms

parser = argparse.ArgumentParser()
parser.add_argument("--folder", required=True)
parser.add_argument("--channels", type=int, default=1)
parser.add_argument("--height", type=int, default=28)
parser.add_argument("--width", type=int, default=28)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(1)

start = time.perf_counter()
colour = transforms.Grayscale(1) if args.channels == 1 else transforms.Lambda(lambda image: image.convert("RGB"))
pipeline = transforms.Compose([colour, transforms.Resize((args.height, args.width)), transforms.ToTensor()])
images = 0
for split in ("train", "test"):
    data = datasets.ImageFolder(f"{args.folder}/{split}", transform=pipeline)
    for x, y in torch.utils.data.DataLoader(data, batch_size=256, num_workers=args.threads):
        images += len(y)
print(json.dumps({"images": images, "seconds": time.perf_counter() - start,
                  "torch": torch.__version__, "torchvision": torchvision.__version__}))
