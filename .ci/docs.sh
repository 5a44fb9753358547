#!/usr/bin/env bash
# The front door's API docs: the Keel module's public symbols and Sources/Keel/Keel.docc, built by
# the toolchain's DocC with every warning an error (a parameter left undocumented, a broken link).
# Usage: .ci/docs.sh [OUTPUT]; the rendered archive goes to OUTPUT (default .build/docs/Keel.doccarchive).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/.build/docs/Keel.doccarchive}"
graphs="$(mktemp -d)"
mkdir -p "$graphs/all"
trap 'rm -rf "$graphs"' EXIT
cd "$root"
mkdir -p "$(dirname "$out")"
# The Keel target alone, in a scratch folder of its own (its modules must not mix with the test
# build's), emitting the symbol graphs of the public API as it compiles.
swift build --scratch-path .build/docs-build --target Keel -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir \
    -Xswiftc "$graphs/all" -Xswiftc -symbol-graph-minimum-access-level -Xswiftc public > /dev/null
cp "$graphs"/all/Keel.symbols.json "$graphs/"
rm -rf "$graphs/all"
docc convert Sources/Keel/Keel.docc --additional-symbol-graph-dir "$graphs" --fallback-display-name Keel \
    --fallback-bundle-identifier org.keel.Keel --output-path "$out" --analyze --warnings-as-errors
echo "docs: $out"
