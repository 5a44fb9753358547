#!/usr/bin/env bash
# Sharding on a real Slurm cluster against one process, release build (not tests; CI does not run
# it). Starts a single-node cluster with .ci/slurm.sh (root, slurm-wlm and munge installed), and stops it.
# Usage: Benchmarks/shards.sh [TRIALS] [BARS] [SHARDS]
#   optimize     TRIALS random trials of a two-param SMA cross over BARS one-minute bars: one process
#                (--jobs 2) against SHARDS Slurm array tasks and the merge, submit to merged file
#   walkforward  the same with 60-day train and 30-day test windows, 50 random trials a fold
# Each pair's files are compared byte for byte.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
trials="${1:-200}"
bars="${2:-200000}"
shards="${3:-4}"
work="$(mktemp -d)"
cluster="$work/cluster"
trap '"$root/.ci/slurm.sh" stop "$cluster" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

swift build -c release --package-path "$root" --product keel >/dev/null
keel="$root/.build/release/keel"
python3 - "$bars" > "$work/SYN.csv" <<'PY'
import random, sys, datetime
n = int(sys.argv[1]); rng = random.Random(1); close = 100.0
start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
print("timestamp,open,high,low,close,volume")
for k in range(n):
    o = close; close = max(1.0, o * (1 + rng.gauss(0.000002, 0.0008)))
    t = (start + datetime.timedelta(minutes=k)).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"{t},{o:.4f},{max(o, close) * 1.0002:.4f},{min(o, close) * 0.9998:.4f},{close:.4f},100")
PY
cat > "$work/sma.yaml" <<'YAML'
keel: 1
name: SMA search
symbols: [SYN]
params:
  fast: {default: 10, range: [5, 100]}
  slow: {default: 50, range: [20, 400]}
entry: {long: crosses_above(sma(close, fast), sma(close, slow))}
exit: {long: crosses_below(sma(close, fast), sma(close, slow))}
execution: {fees: 0.02%, slippage: 1bps}
YAML
cd "$work"
"$keel" data cache SYN.csv > /dev/null
"$root/.ci/slurm.sh" start "$cluster" > /dev/null
export SLURM_CONF="$cluster/slurm.conf"

seconds() { date +%s.%N; }
await() {  # the merged file, with the queue empty
    until [ -f "$1" ] && [ -z "$(squeue -h)" ]; do sleep 0.1; done
}
run_pair() {  # label, merged file name, keel command, its arguments...
    local label="$1" merged="$2" command="$3"; shift 3
    local start end
    start=$(seconds); "$keel" "$command" "$@" --jobs 2 -o "local-$merged" > /dev/null 2>&1; end=$(seconds)
    local here_s; here_s=$(python3 -c "print(round($end - $start, 2))")
    local flag=(); [ "$command" = walkforward ] && flag=(--walkforward)
    start=$(seconds)
    "$keel" cluster slurm "${flag[@]}" --shards "$shards" --dir "jobs-$command" -o "$work/$merged" --submit -- "$@" > /dev/null
    await "$work/$merged"; end=$(seconds)
    local cluster_s; cluster_s=$(python3 -c "print(round($end - $start, 2))")
    cmp -s "local-$merged" "$merged" && same="byte-identical" || same="DIFFERENT"
    echo "$label: one process (--jobs 2) ${here_s} s; $shards Slurm shards and the merge ${cluster_s} s; merged file $same"
}
echo "== $trials random trials, $bars one-minute bars, $shards shards on a single-node Slurm cluster ($(nproc) CPUs)"
run_pair optimize merged.results.db optimize sma.yaml --data "$work" --method random --trials "$trials" --seed 1
run_pair walkforward merged.walkforward.json walkforward sma.yaml --data "$work" --method random --trials 50 --seed 1 --train 60d --test 30d
