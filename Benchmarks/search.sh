#!/usr/bin/env bash
# Research benchmarks, release build (not tests; CI does not run them). Usage: Benchmarks/search.sh [TRIALS] [BARS]
#   optimize     TRIALS random trials (default 1,000) of a two-param SMA cross over BARS generated
#                one-minute bars (default 1,000,000), on 1 and on 2 cores: wall time, peak memory
#   walkforward  the same strategy, 100 random trials per fold, 60-day train and 30-day test windows
#   montecarlo   10,000 trade reshuffles and 100 bootstrap runs (each as long as the bars) of the backtest
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
trials="${1:-1000}"
bars="${2:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

swift build -c release --package-path "$root" --product keel >/dev/null
keel="$root/.build/release/keel"

# A seeded random walk with a little drift, one bar a minute from 2020-01-01.
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
"$keel" data cache "$work/SYN.csv" > /dev/null     # the cache, built once

measure() {  # label, command...
    local label="$1"; shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2>/dev/null || { echo "$label: failed"; cat "$work/out"; return; }
    read -r wall kb < "$work/time"
    echo "$label: ${wall} s, peak $((kb / 1024)) MB"
}

echo "== optimize ($trials random trials, $bars bars)"
for jobs in 1 2; do
    measure "jobs $jobs" "$keel" optimize "$work/sma.yaml" --data "$work" --method random --trials "$trials" --seed 1 --jobs "$jobs" -o "$work/r$jobs.db"
done
cmp -s "$work/r1.db" "$work/r2.db" && echo "the results files of 1 and 2 jobs are byte-identical"
tail -n 4 "$work/out"

echo "== walkforward (100 random trials per fold, train 60d, test 30d)"
measure "walkforward" "$keel" walkforward "$work/sma.yaml" --data "$work" --method random --trials 100 --seed 1 --train 60d --test 30d
tail -n 3 "$work/out"

echo "== montecarlo"
"$keel" backtest "$work/sma.yaml" --data "$work" --format json --equity > "$work/bt.json"
measure "trades, 10,000 runs" "$keel" montecarlo "$work/bt.json" --runs 10000
measure "bootstrap, 100 runs" "$keel" montecarlo "$work/bt.json" --method bootstrap --runs 100
