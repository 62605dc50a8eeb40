#!/usr/bin/env bash
# The size x similarity table, measured: one comparison per quadrant, on the bundled data.
# Source: a network trained on five Fashion-MNIST classes. Similar target: the other five classes
# as they are. Dissimilar target: the same classes rotated by 90 degrees and inverted. Small: 10
# training images per class; large: 1,000. Each line is one command; the README shows its output.
set -euo pipefail
cd "$(dirname "$0")/.."
harness=${HARNESS:-.build/release/harness}
db=${DB:-results/quadrants.sqlite}
common=(--source fashion-mnist:0,1,2,5,6 --strategies svm-codes,finetune,freeze3 --seeds 3 --db "$db" --format markdown)
run() { echo "### $1"; echo; shift; "$harness" compare "$@" "${common[@]}"; echo; }
run "small, similar (10 per class)"      --target fashion-mnist:3,4,7,8,9                 --target-per-class 10
run "large, similar (1,000 per class)"   --target fashion-mnist:3,4,7,8,9                 --target-per-class 1000
run "small, dissimilar (10 per class)"   --target fashion-mnist:3,4,7,8,9@rotate:90@invert --target-per-class 10
run "large, dissimilar (1,000 per class)" --target fashion-mnist:3,4,7,8,9@rotate:90@invert --target-per-class 1000
