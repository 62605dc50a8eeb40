#!/usr/bin/env bash
# The README's first command: set up, build, and run the main job on the bundled default data
# (Fashion-MNIST from its Debian package): compare three transfer strategies against training
# from scratch. Extra arguments go to `harness compare`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build -c release --explicit-target-dependency-import-check error
exec .build/release/harness compare --strategies freeze3,finetune,svm-codes "$@"
