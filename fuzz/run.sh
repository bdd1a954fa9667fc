#!/usr/bin/env bash
# Builds every fuzz target, then runs each for SECONDS, one after another in one process at the
# lowest priority, and prints the executions and crashes of each and in all.
#
#   fuzz/run.sh SECONDS [TARGET...]
#
# Settings (environment): FUZZ_SANITIZER (address, the default, or none), FUZZ_TIMEOUT (seconds
# one input may take before it counts as a crash, default 10). Exits 1 when anything crashed;
# the crashing inputs are in fuzz/artifacts/TARGET/.
set -euo pipefail

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ || $1 -eq 0 ]]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift
cd "$(dirname "$0")"

sanitizer=${FUZZ_SANITIZER:-address}
timeout=${FUZZ_TIMEOUT:-10}
# cargo fuzz passes nightly flags; this lets a stable toolchain accept them.
export RUSTC_BOOTSTRAP=1
# One build job and one fuzzing process: the machine stays usable.
export CARGO_BUILD_JOBS=1

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

echo "building ${#targets[@]} targets (sanitizer: $sanitizer)..."
nice -n 19 cargo fuzz build --sanitizer "$sanitizer" >/dev/null

mkdir -p logs
total_execs=0
total_crashes=0
rows=()
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    log="logs/$target.log"
    before=$(find "artifacts/$target" -type f | wc -l)
    started=$(date +%s)
    echo "fuzzing $target for ${seconds}s..."
    case $target in
        http_signature) dict=dicts/http_signature.dict ;;
        compose | sanitize_html) dict=dicts/html.dict ;;
        *) dict=dicts/activitypub.dict ;;
    esac
    set +e
    # New inputs go to corpus/TARGET (not committed); seeds/TARGET is read only.
    nice -n 19 cargo fuzz run --sanitizer "$sanitizer" "$target" \
        "corpus/$target" "seeds/$target" -- \
        -dict="$dict" -max_total_time="$seconds" -timeout="$timeout" -print_final_stats=1 \
        >"$log" 2>&1
    status=$?
    set -e
    elapsed=$(($(date +%s) - started))
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
    if [[ -z $execs ]]; then
        # No final statistics (killed): the last progress line.
        execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#' || true)
    fi
    execs=${execs:-0}
    crashes=$(($(find "artifacts/$target" -type f | wc -l) - before))
    if [[ $status -ne 0 && $crashes -eq 0 ]]; then
        # A failure that left no input behind (a build error, the fuzzer killed): count it.
        crashes=1
    fi
    total_execs=$((total_execs + execs))
    total_crashes=$((total_crashes + crashes))
    rows+=("$(printf '%-20s %8ss %14s %10s/s %8s' "$target" "$elapsed" "$execs" \
        "$((execs / (elapsed > 0 ? elapsed : 1)))" "$crashes")")
    if [[ $crashes -gt 0 ]]; then
        echo "  $target: exit $status, see fuzz/$log and fuzz/artifacts/$target/" >&2
    fi
done

printf '\n%-20s %9s %14s %12s %8s\n' target time executions rate crashes
printf '%s\n' "${rows[@]}"
printf '%-20s %9s %14s %12s %8s\n' "all" "" "$total_execs" "" "$total_crashes"
[[ $total_crashes -eq 0 ]]
