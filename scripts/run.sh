#!/usr/bin/env bash
# The README's first command: set up, build, and run the main job on the bundled default data
# (Fashion-MNIST from its Debian package). Extra arguments go to `harness train`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build -c release --product harness
exec .build/release/harness train --dataset fashion-mnist --classes all --epochs 10 --seed 1 "$@"
