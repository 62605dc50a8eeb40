#!/usr/bin/env bash
# Renders a harness report in headless Chromium (Debian's chromium package) at 1300 px wide, the
# width docs/guide.md shows it at, and saves a
# screenshot, to check the page as a browser shows it. Not part of CI: Chromium is large.
#   bash scripts/check-report.sh [results/report/report.html] [screenshot.png]
set -euo pipefail
page=$(readlink -f "${1:-results/report/report.html}")
shot=${2:-results/report/screenshot.png}
[ -f "$page" ] || { echo "check-report: $page does not exist (run harness report first)" >&2; exit 1; }
if ! command -v chromium >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1300,2600 \
    --screenshot="$(readlink -f "$(dirname "$shot")")/$(basename "$shot")" "file://$page" 2>/dev/null
echo "check-report: wrote $shot"
