#!/bin/sh
# Runs every fuzz target one after another, each for SECS seconds (default
# 300) with one job, and prints one summary line per target. Needs
# cargo-fuzz and a nightly compiler (or RUSTC_BOOTSTRAP=1 on stable).
#   fuzz/run-all.sh [SECS] [TARGET...]
# Panics at locations listed in OIMDIAG_FUZZ_IGNORE (file:line,...) are known
# bugs and do not stop a run (see fuzz_targets/known_bugs.rs).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
secs=${1:-300}
[ $# -gt 0 ] && shift
targets=${*:-"uccapilog sip spool_item tracerpt admin signatures lines scan"}
[ -d corpus ] || ./seed-corpus.sh
RUSTC_BOOTSTRAP=1 cargo fuzz build -O -a -s none
bin=target/x86_64-unknown-linux-gnu/release
mkdir -p logs
for t in $targets; do
    mkdir -p "artifacts/$t" "corpus/$t"
    case $t in
        lines) max_len=-max_len=8192 ;;
        *) max_len= ;;
    esac
    nice -n 5 "$bin/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$secs" \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 $max_len \
        "corpus/$t" >"logs/$t.log" 2>&1 || true
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "logs/$t.log")
    cov=$(grep -a -o 'cov: [0-9]*' "logs/$t.log" | tail -1)
    crashes=$(ls "artifacts/$t" | wc -l)
    echo "$t: ${secs}s, ${runs:-?} execs (${rate:-?}/s), $cov, corpus $(ls "corpus/$t" | wc -l), artifacts $crashes"
done
