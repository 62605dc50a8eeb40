#!/usr/bin/env bash
# The README's second command, and what CI runs: set up, build, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build --build-tests
swift test "$@"
