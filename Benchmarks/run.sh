#!/usr/bin/env bash
# Release-built benchmarks: not tests, CI does not run them. Usage: Benchmarks/run.sh [--big]
#   lint        1,000 strategy files, in process and as a whole `keel lint` process
#   engine      S2E over 2,000,000 generated one-minute bars, in process (bars per second)
#   end to end  `keel backtest` S2E on 10 symbols x 1 year of one-minute bars (5.27M bars), from the
#               CSV files, from the same files gzip-compressed, and from Keel's cache of each: wall
#               time and peak memory, text and --format json
#   many trades the same 10 symbols with SMA 3/8 at 10% of equity (about 370,000 trades): text, from the cache
#   runner      `keel run --paper` over 200,000 one-minute bar events from a file: events per second, and
#               the p50 and p99 from an event's arrival to its order's commit
#   research    Benchmarks/search.sh: 1,000 random trials over 1,000,000 bars on 1 and 2 cores, walk-forward, Monte Carlo
#   peers       Benchmarks/peers.py (backtesting.py, backtrader, vectorbt, NautilusTrader) when PEERS_PYTHON names
#               the Python of a virtualenv that has them (and NAUTILUS_PYTHON one with nautilus_trader)
#   report      `keel backtest --report` on one symbol's year of one-minute bars: wall time, memory, file size
#   allocations heap allocations per bar (valgrind memcheck, 20k against 40k bars), if valgrind is here
#   --big       also 100,000,000 bars streamed from disk (peak memory; needs ~5.4 GB of disk)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

swift build -c release --package-path "$here" --product KeelBenchmarks >/dev/null
swift build -c release --package-path "$root" --product keel >/dev/null
keel="$root/.build/release/keel"

echo "== lint"
"$here/.build/release/KeelBenchmarks" "$root" 1000 | head -1
mkdir "$work/lint"
i=0
while [ "$i" -lt 1000 ]; do
    for f in "$root"/Strategies/*.yaml; do
        [ "$i" -lt 1000 ] || break
        sed "s/^name: \(.*\)/name: \1 $i/" "$f" > "$work/lint/s$i.yaml"
        i=$((i + 1))
    done
done
start=$(date +%s%N); "$keel" lint "$work/lint" > /dev/null; end=$(date +%s%N)
echo "keel lint (whole process): 1000 files in $(( (end - start) / 1000000 )) ms"

echo "== engine"
"$here/.build/release/KeelBenchmarks" engine 2000000

cp "$here/s2e.yaml" "$work/s2e.yaml"

measure() {  # label, command...
    local label="$1"; shift
    /usr/bin/time -f "$label: %e s wall, %M KB peak" "$@" > /dev/null
}

echo "== end to end: 10 symbols x 527,040 one-minute bars"
"$keel" data generate --symbols 10 --bars 527040 --seed 1 --out "$work/year" > /dev/null
data=(--data "$work/year")
zipped=(--data "$work/yeargz")
mkdir "$work/yeargz"
for f in "$work"/year/*.csv; do gzip -c "$f" > "$work/yeargz/$(basename "$f").gz"; done
echo "CSV $(du -sm "$work/year" | cut -f1) MB, gzip $(du -sm "$work/yeargz" | cut -f1) MB"
measure "from the CSV files" "$keel" backtest "$work/s2e.yaml" "${data[@]}" --no-cache
measure "from the .csv.gz files" "$keel" backtest "$work/s2e.yaml" "${zipped[@]}" --no-cache
"$keel" data cache "$work/year" "$work/yeargz" --cache-dir "$work/cache" > /dev/null
measure "from the cache" "$keel" backtest "$work/s2e.yaml" "${data[@]}" --cache-dir "$work/cache"
measure "from the cache of the .csv.gz files" "$keel" backtest "$work/s2e.yaml" "${zipped[@]}" --cache-dir "$work/cache"
# The JSON lists every trade, streamed as they close: its time and memory against the text summary's.
measure "from the cache, --format json" "$keel" backtest "$work/s2e.yaml" "${data[@]}" --cache-dir "$work/cache" --format json
"$keel" backtest "$work/s2e.yaml" "${data[@]}" --cache-dir "$work/cache" --format json > "$work/result.json"
echo "the JSON document: $(wc -c < "$work/result.json") bytes, $(grep -c '"exit_reason"' "$work/result.json") trades"

echo "== many trades: the same bars, SMA 3/8 at 10% of equity"
sed -e 's/sma(close, 10)/sma(close, 3)/' -e 's/sma(close, 30)/sma(close, 8)/' -e 's/percent_of_equity(100%)/percent_of_equity(10%)/' \
    "$work/s2e.yaml" > "$work/many.yaml"
measure "from the cache, text" "$keel" backtest "$work/many.yaml" "${data[@]}" --cache-dir "$work/cache"
measure "from the CSV files, text" "$keel" backtest "$work/many.yaml" "${data[@]}" --no-cache
"$keel" backtest "$work/many.yaml" "${data[@]}" --cache-dir "$work/cache" --format json | grep -c '"exit_reason"' | sed 's/$/ trades/'

echo "== runner: 200,000 one-minute bar events through keel run --paper, a file stream, commits of 256"
"$keel" data generate --bars 200000 --seed 1 --out "$work/run" > /dev/null
"$keel" data events "SYM001=$work/run/SYM001.csv" > "$work/run/events.jsonl"
times=()
for i in 1 2 3 4 5; do
    rm -f "$work/run/state.db"*
    start=$(date +%s%N)
    "$keel" run "$work/s2e.yaml" --paper --stream "$work/run/events.jsonl" --state "$work/run/state.db" --symbols SYM001 > /dev/null 2> "$work/run/log"
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
echo "median of 5: $median ms as a whole process, $(( 200000 * 1000 / median )) events/s"
sed -n 's/.*\(from an event.s arrival.*\)/the last run, \1/p' "$work/run/log"

echo "== report: one symbol's year of one-minute bars (527,040)"
measure "backtest --report" "$keel" backtest "$work/s2e.yaml" --data "SYM001=$work/year/SYM001.csv" --cache-dir "$work/cache" --report "$work/report.html"
measure "backtest (the same run without the report)" "$keel" backtest "$work/s2e.yaml" --data "SYM001=$work/year/SYM001.csv" --cache-dir "$work/cache"
echo "the report: $(wc -c < "$work/report.html") bytes"

if command -v valgrind > /dev/null; then
    echo "== heap allocations per bar (S2E, text output)"
    strip --strip-debug -o "$work/keel" "$keel"
    counts=()
    for bars in 20000 40000; do
        "$keel" data generate --bars "$bars" --seed 1 --out "$work/a$bars" > /dev/null
        counts+=("$(valgrind --tool=memcheck "$work/keel" backtest "$work/s2e.yaml" --data "SYM001=$work/a$bars/SYM001.csv" \
            --no-cache 2>&1 >/dev/null | sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,)")
    done
    echo "${counts[0]} allocations at 20,000 bars, ${counts[1]} at 40,000: $(( (counts[1] - counts[0]) * 1000 / 20000 )) per 1,000 bars"
fi

echo "== research"
"$here/search.sh" 1000 1000000

if [ -n "${PEERS_PYTHON:-}" ]; then
    echo "== peers, 200,000 bars"
    "$PEERS_PYTHON" "$here/peers.py" 200000
fi

if [ "${1:-}" = "--big" ]; then
    echo "== 100,000,000 bars streamed from disk"
    "$keel" data generate --bars 100000000 --seed 1 --out "$work/big" > /dev/null
    measure "100M bars from the CSV" "$keel" backtest "$work/s2e.yaml" --data "SYM001=$work/big/SYM001.csv" --no-cache
fi
