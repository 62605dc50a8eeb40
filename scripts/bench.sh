#!/usr/bin/env bash
# Races the harness engine against PyTorch on this machine (issue 6): installs the peer
# (Debian's python3-torch), builds in release mode and runs `harness bench`. About 15 minutes;
# pass --quick for a fast smoke run, or any other `harness bench` option.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --bench
swift build -c release
exec .build/release/harness bench "$@"
