#!/usr/bin/env bash
# End-to-end benchmark of `contact-loader check` against the Python baseline
# (docs/performance.md): generate a list, build, time ours, time the baseline if its
# virtual environment exists, and print one JSON line with the numbers.
#
#   scripts/bench-check.sh [ROWS] [RUNS]
#
#   ROWS  data rows to generate (default 1000000)
#   RUNS  runs of ours (default 3); the median wall time is reported
#
# Environment:
#   CARGO_TARGET_DIR  where cargo builds (default: the project's target/)
#   VENV              the baseline's virtual environment (default /work/venv-bench); set
#                     it up with: python3 -m venv VENV && VENV/bin/pip install phonenumbers
#                     email-validator
#   PY_RUNS           runs of the baseline (default 1; 0 skips it)
#   SEED              generator seed (default 42)
#   WORSE             1: the list in worse shape (`generate --worse`: 10% invalid, 3% empty,
#                     long names, mixed-case e-mails with spaces, 30% repeats); default 0,
#                     the project's benchmark list
#   BENCH_DIR         where the CSV and logs go (default /tmp/contact-loader-bench)
#
# Needs GNU time at /usr/bin/time (apt-get install time) for the peak RSS. MB are 10^6 bytes.
# Run it on an otherwise idle machine: `load_1min_before_runs` in the output shows if it was.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${1:-1000000}
RUNS=${2:-3}
PY_RUNS=${PY_RUNS:-1}
SEED=${SEED:-42}
VENV=${VENV:-/work/venv-bench}
BENCH_DIR=${BENCH_DIR:-/tmp/contact-loader-bench}
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
BASELINE=${BASELINE:-$PWD/../shared/bench/py_baseline.py}

if [[ ! -x /usr/bin/time ]]; then
    echo "bench-check: /usr/bin/time (GNU time) is needed for peak RSS" >&2
    exit 1
fi
mkdir -p "$BENCH_DIR"
WORSE=${WORSE:-0}
if [[ $WORSE == 1 ]]; then
    SHAPE=worse
    CSV="$BENCH_DIR/list-worse-$ROWS-$SEED.csv"
    GENERATE_FLAGS=(--worse)
else
    SHAPE=usual
    CSV="$BENCH_DIR/list-$ROWS-$SEED.csv"
    GENERATE_FLAGS=()
fi

echo "bench-check: building (release) into $TARGET_DIR" >&2
cargo build --release --quiet --bin contact-loader --example generate
BIN="$TARGET_DIR/release/contact-loader"
"$TARGET_DIR/release/examples/generate" "$ROWS" "$CSV" --seed "$SEED" "${GENERATE_FLAGS[@]}"

# Runs a command under GNU time, its stdout to $1; sets `wall` (seconds), `rss` (KiB) and
# `cpu` (user + system seconds).
timed() {
    local out=$1
    shift
    /usr/bin/time -f '%e %M %U %S' -o "$BENCH_DIR/time.txt" "$@" >"$out"
    local user sys
    read -r wall rss user sys < <(tail -n 1 "$BENCH_DIR/time.txt")
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')
}
mb() { awk -v k="$1" 'BEGIN {printf "%.0f", k * 1024 / 1e6}'; }

load() { cut -d' ' -f1 /proc/loadavg; }

ours_walls=()
ours_cpus=()
ours_rss=0
loads=()
for ((i = 1; i <= RUNS; i++)); do
    loads+=("$(load)")
    timed "$BENCH_DIR/ours.json" "$BIN" check "$CSV" --json
    echo "bench-check: ours run $i: ${wall}s (CPU ${cpu}s), peak RSS $(mb "$rss") MB" >&2
    ours_walls+=("$wall")
    ours_cpus+=("$cpu")
    if ((rss > ours_rss)); then ours_rss=$rss; fi
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ours_median=$(median "${ours_walls[@]}")

# The counts both tools print, for a like-for-like check.
counts() { tr -d ' \n' <"$1" | grep -o '"\(rows\|ready\|merged\|invalid\|skipped\|profiles\)":[0-9]*' | sort | paste -sd, -; }

py_json=null
if [[ $PY_RUNS -gt 0 && -x "$VENV/bin/python" && -f "$BASELINE" ]]; then
    py_walls=()
    py_rss=0
    for ((i = 1; i <= PY_RUNS; i++)); do
        loads+=("$(load)")
        timed "$BENCH_DIR/python.json" "$VENV/bin/python" "$BASELINE" "$CSV"
        echo "bench-check: python run $i: ${wall}s, peak RSS $(mb "$rss") MB" >&2
        py_walls+=("$wall")
        if ((rss > py_rss)); then py_rss=$rss; fi
    done
    py_median=$(median "${py_walls[@]}")
    same=false
    [[ "$(counts "$BENCH_DIR/ours.json")" == "$(counts "$BENCH_DIR/python.json")" ]] && same=true
    py_json=$(printf '{"wall_s":[%s],"wall_median_s":%s,"peak_rss_mb":%s,"rows_per_s":%.0f,"same_counts":%s}' \
        "$(IFS=,; echo "${py_walls[*]}")" "$py_median" "$(mb "$py_rss")" \
        "$(awk -v r="$ROWS" -v w="$py_median" 'BEGIN {print r / w}')" "$same")
    speedup=$(awk -v p="$py_median" -v o="$ours_median" 'BEGIN {printf "%.1f", p / o}')
else
    echo "bench-check: no baseline run ($VENV/bin/python or $BASELINE missing, or PY_RUNS=0)" >&2
    speedup=null
fi

flag() { awk "BEGIN {print ($1) ? \"true\" : \"false\"}"; }
printf '{"file":"%s","rows":%d,"file_mb":%.1f,"cpus":%d,"load_1min_before_runs":[%s],"ours":{"wall_s":[%s],"wall_median_s":%s,"cpu_s":[%s],"peak_rss_mb":%s,"rows_per_s":%.0f,"summary":%s},"python":%s,"speedup":%s,"targets":{"under_3s":%s,"under_250mb":%s,"at_least_20x":%s}}\n' \
    "$SHAPE" "$ROWS" "$(awk -v b="$(stat -c %s "$CSV")" 'BEGIN {print b / 1e6}')" "$(nproc)" \
    "$(IFS=,; echo "${loads[*]}")" \
    "$(IFS=,; echo "${ours_walls[*]}")" "$ours_median" "$(IFS=,; echo "${ours_cpus[*]}")" "$(mb "$ours_rss")" \
    "$(awk -v r="$ROWS" -v w="$ours_median" 'BEGIN {print r / w}')" \
    "$(tr -d '\n' <"$BENCH_DIR/ours.json")" \
    "$py_json" "$speedup" \
    "$(flag "$ours_median < 3")" "$(flag "$ours_rss * 1024 < 250e6")" \
    "$([[ $speedup == null ]] && echo null || flag "$speedup >= 20")"
