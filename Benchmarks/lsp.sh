#!/usr/bin/env bash
# keel lsp's latency, release build (not tests; CI does not run it): keystroke to published
# diagnostics, typed one character at a time by pygls' LanguageClient (.ci/tools.sh installs it)
# into a 30-line strategy and a 202-line one. Usage: Benchmarks/lsp.sh [RUNS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
runs="${1:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
swift build -c release --package-path "$root" --product keel >/dev/null
"$root/.ci/tools.sh" >/dev/null
cp "$root/Strategies/sma_cross.yaml" "$work/trend.yaml"
cp "$root/Tests/KeelEditorTests/Fixtures/fmt/messy.yaml" "$work/messy.yaml"
sed 's/^let:$/let:\n  spare: ema(close, 5)/' "$work/trend.yaml" > "$work/unused.yaml"
for run in $(seq "$runs"); do
    "$root/.build/tools/bin/python3" "$root/Tests/KeelEditorTests/Fixtures/lsp_client.py" "$root/.build/release/keel" session "$work" > "$work/out.json"
    python3 - "$work/out.json" <<'PY'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
short, long = sorted(d["latencies_ms"]), sorted(d["long_latencies_ms"])
print(f"keystroke to diagnostics: {len(short)} keys in 30 lines, median {statistics.median(short):.2f} ms, max {short[-1]:.2f} ms; "
      f"{len(long)} keys in {d['long_lines']} lines, median {statistics.median(long):.2f} ms, max {long[-1]:.2f} ms")
PY
done
