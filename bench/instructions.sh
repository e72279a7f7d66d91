#!/usr/bin/env bash
# Instructions of one full scan (callgrind's "Collected" count): a measure the
# machine's load does not move, for comparing two builds on small trees.
#
#   bench/instructions.sh BINARY TREE...     # one line per tree: tree, instructions
#
# Same arguments as bench/run.sh's scan (json, fixed --now, stdout discarded).
# Under valgrind a scan runs ~30× slower: use trees of a few MiB
# (gen_corpus --log-mib 16), not the bench's.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
command -v valgrind >/dev/null || { echo "needs valgrind" >&2; exit 2; }
bin=$1
shift
for t in "$@"; do
    n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" scan "$t" \
        --format json --now 2026-11-30T00:00:00Z --utc-offset +00:00 --quiet 2>&1 >/dev/null |
        awk '/Collected/ {print $4}') || true # (exit 1: findings)
    printf '%s %s\n' "$t" "$n"
done
