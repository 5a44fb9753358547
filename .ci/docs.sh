#!/usr/bin/env bash
# The front door's API docs: the Keel module's public symbols and Sources/Keel/Keel.docc, built by
# the toolchain's DocC with every warning an error (a parameter left undocumented, a broken link).
# Usage: .ci/docs.sh [OUTPUT]; the rendered archive goes to OUTPUT (default .build/docs/Keel.doccarchive).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/.build/docs/Keel.doccarchive}"
graphs="$(mktemp -d)"
trap 'rm -rf "$graphs"' EXIT
cd "$root"
mkdir -p "$(dirname "$out")"
swift package dump-symbol-graph --minimum-access-level public > /dev/null
cp .build/*/symbolgraph/Keel.symbols.json "$graphs/"
docc convert Sources/Keel/Keel.docc --additional-symbol-graph-dir "$graphs" --fallback-display-name Keel \
    --fallback-bundle-identifier org.keel.Keel --output-path "$out" --analyze --warnings-as-errors
echo "docs: $out"
