#!/usr/bin/env bash
# Release-built benchmarks. Usage: Benchmarks/run.sh [files]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
files="${1:-1000}"

swift build -c release --package-path "$here" --product KeelBenchmarks >/dev/null
"$here/.build/release/KeelBenchmarks" "$root" "$files"

# Whole process: `keel lint` over the same number of files on disk, release build.
swift build -c release --package-path "$root" --product keel >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
i=0
while [ "$i" -lt "$files" ]; do
    for f in "$root"/Strategies/*.yaml; do
        [ "$i" -lt "$files" ] || break
        sed "s/^name: \(.*\)/name: \1 $i/" "$f" > "$work/s$i.yaml"
        i=$((i + 1))
    done
done
start=$(date +%s%N)
"$root/.build/release/keel" lint "$work" > /dev/null
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
echo "keel lint (whole process, release): $files files in ${ms} ms"
