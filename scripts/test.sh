#!/usr/bin/env bash
# The README's second command, and what CI runs: set up, build, run the whole test suite, then
# run the benchmark once in --quick mode so that it never rots (its figures are not judged here:
# timings are noisy on shared machines; `scripts/bench.sh` is where speed is measured).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --bench
swift build --build-tests --explicit-target-dependency-import-check error
# All tests are XCTest; skipping the empty Swift Testing pass keeps XCTest's summary the closing line.
swift test --disable-swift-testing "$@"
.build/debug/harness bench --quick
