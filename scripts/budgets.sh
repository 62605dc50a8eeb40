#!/usr/bin/env bash
# How the default training budget (min_steps) was chosen: the main job's strategies on a small
# target (20 images per class) and on the main job's (100 per class), at minimum step budgets
# from none to 1,000. The guide's "Training budgets" section shows the output and the reading.
set -euo pipefail
cd "$(dirname "$0")/.."
harness=${HARNESS:-.build/release/harness}
db=${DB:-results/budgets.sqlite}
for per in 20 100; do
  for steps in ${STEPS:-0 100 300 1000}; do
    echo "### $per per class, --min-steps $steps"
    echo
    "$harness" compare --strategies freeze3,finetune,svm-codes,lp-ft --target-per-class "$per" --min-steps "$steps" \
      --seeds 3 --db "$db" --format markdown 2>/dev/null
    echo
  done
done
