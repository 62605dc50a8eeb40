#!/usr/bin/env bash
# Rewrites the generated tables in docs/ from the plugins and strategies.json (a test checks that
# the committed docs match): the part between the BEGIN and END markers of each command.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build >/dev/null
python3 - <<'PY'
import re, subprocess
for path in ["docs/strategies.md"]:
    text = open(path).read()
    def fill(m):
        command = m.group(1)
        out = subprocess.run([".build/debug/harness"] + command.split()[1:], capture_output=True, text=True, check=True).stdout.rstrip()
        return f"<!-- BEGIN {command} -->\n{out}\n<!-- END {command} -->"
    new = re.sub(r"<!-- BEGIN (.+?) -->\n.*?\n<!-- END \1 -->", fill, text, flags=re.S)
    if new != text:
        open(path, "w").write(new)
        print(f"updated {path}")
PY
