#!/usr/bin/env bash
# The README's second command, and what CI runs: set up, build, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build --build-tests
# All tests are XCTest; skipping the empty Swift Testing pass keeps XCTest's summary the closing line.
swift test --disable-swift-testing "$@"
