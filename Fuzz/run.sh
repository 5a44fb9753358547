#!/usr/bin/env bash
# Runs one coverage-guided fuzz target for SECONDS: Fuzz/run.sh TARGET SECONDS [libFuzzer flags...]
# Targets: strategy expression csv events broker service. CI does not run this.
#
# Builds the target in release with libFuzzer and AddressSanitizer (the C code too: Yams' libyaml),
# starts from the committed seeds (Fuzz/Corpus/TARGET) and the target's dictionary (Fuzz/Dictionaries),
# keeps what it finds in .build/fuzz-corpus/TARGET, and writes crashing inputs to .build/fuzz-crashes/TARGET.
# JOBS=2 runs that many fuzzing processes (libFuzzer's -fork), sharing the corpus. BUILD=0 runs the
# binary built before as it is (a long run that should not pick up edits made meanwhile).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${1:?usage: Fuzz/run.sh TARGET SECONDS [libFuzzer flags]}"
seconds="${2:?usage: Fuzz/run.sh TARGET SECONDS [libFuzzer flags]}"
shift 2
cd "$here"
[ -d "Sources/$target" ] || { echo "no fuzz target '$target'; the targets: $(ls Sources | grep -v FuzzSupport | tr '\n' ' ')" >&2; exit 64; }

if [ "${BUILD:-1}" != 0 ]; then
    swift build -c release --product "$target" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing \
        -Xcc -fsanitize=fuzzer-no-link,address >&2
fi
binary="$(swift build -c release --show-bin-path)/$target"

corpus=".build/fuzz-corpus/$target"
crashes=".build/fuzz-crashes/$target"
mkdir -p "$corpus" "$crashes"
dictionary=()
[ -f "Dictionaries/$target.dict" ] && dictionary=("-dict=Dictionaries/$target.dict")
fork=()
[ "${JOBS:-1}" -gt 1 ] && fork=("-fork=$JOBS" "-ignore_crashes=1")

# Swift's own crash handler would hide AddressSanitizer's report; allocation stacks are not
# recorded (a quarter of the strategy target's time; a heap report still names the access).
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:malloc_context_size=0 "$binary" "$corpus" "Corpus/$target" \
    "${dictionary[@]}" "${fork[@]}" -max_total_time="$seconds" -max_len=2048 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$crashes/" -print_final_stats=1 "$@"
