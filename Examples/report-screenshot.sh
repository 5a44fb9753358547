#!/usr/bin/env bash
# Makes docs/report.png, the README's picture of a real report: the bundled momentum rotation on
# the bundled data, opened in headless Chromium by the tests' own driver (Tests/KeelTestSupport/Browser/look.py).
set -euo pipefail
cd "$(dirname "$0")/.."
keel=${KEEL:-.build/debug/keel}
page=$(mktemp --suffix=.html)
"$keel" backtest Strategies/momentum_rotation.yaml --data Examples/data --report "$page" > /dev/null
python3 Tests/KeelTestSupport/Browser/look.py "$page" docs/report.png --width 1200 --height 1500 --top '#statistics' > /dev/null
rm -f "$page"
echo "wrote docs/report.png"
