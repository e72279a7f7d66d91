#!/usr/bin/env bash
# Same behaviour, proven: builds oimdiag at two git revisions and compares
# every report they write, byte for byte.
#
#   ci/compare-reports.sh BASE_REV [HEAD_REV]      # HEAD_REV defaults to HEAD
#   ci/compare-reports.sh --fixtures BASE_REV [HEAD_REV]
#
# Each revision is checked out with `git worktree add` into a temporary folder
# and built (release, --locked) into one target dir shared by all revisions
# ($COMPARE_TARGET, default target/compare-reports: dependencies build once,
# a later run is incremental). Both binaries then scan the same input trees:
#   - sample-spooler/ (HEAD_REV's, every file's time set to 2026-11-23T10:00:00Z);
#   - the bench corpora of examples/gen_corpus.rs (HEAD_REV's), as bench/run.sh
#     makes them, at 1/64 of their size ($COMPARE_CORPORA, MiB:items pairs);
#   - bench/dense_log.py's log (2 MiB) and bench/memory.sh's three shapes,
#     scaled down but past the 4,096 caps (300 logs, 20,000 recipients,
#     20,000 EWS hosts);
#   - with --fixtures, every tree the integration tests build: HEAD_REV's
#     tests run with OIMDIAG_KEEP_FIXTURES (tests/common/mod.rs) and the trees
#     they leave are scanned; or the trees already kept in $COMPARE_FIXTURES.
# Every tree is scanned in each format (text, markdown, json, ndjson), with and
# without --redact, at --now 2026-11-23T12:00:00Z --utc-offset +01:00, from the
# folder holding the inputs (so reports name the same relative paths). Stdout,
# stderr and the exit code of each run are compared.
#
# Prints each differing file (and the first lines of a few diffs); exits 1 if
# any differ, 0 if all are identical, 2 on a usage or build error. The same
# revision twice is a determinism check: two runs of one binary.
# Env: COMPARE_JOBS (parallel scans, default 2), COMPARE_KEEP=1 keeps the
# work folder (inputs, outputs) and prints it.
set -euo pipefail

usage() {
  sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
FIXTURES=0
if [ "${1:-}" = --fixtures ]; then
  FIXTURES=1
  shift
fi
[ $# -ge 1 ] && [ $# -le 2 ] || usage
case "$1" in -h | --help) usage ;; esac

cd "$(dirname "$0")/.."
REPO=$(pwd)
NOW=2026-11-23T12:00:00Z
OFFSET=+01:00
FORMATS=(text markdown json ndjson)
CORPORA=${COMPARE_CORPORA:-"4:300 16:1500 16:1200"}
JOBS=${COMPARE_JOBS:-2}
TARGET=${COMPARE_TARGET:-$REPO/target/compare-reports}
T0=$SECONDS

say() { printf '[compare %4ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() {
  printf 'compare-reports: %s\n' "$*" >&2
  exit 2
}

command -v python3 >/dev/null || die "needs python3 (the bench corpora are written by python)"
BASE_SHA=$(git rev-parse --verify "$1^{commit}") || die "not a revision: $1"
HEAD_SHA=$(git rev-parse --verify "${2:-HEAD}^{commit}") || die "not a revision: ${2:-HEAD}"

WORK=$(mktemp -d /tmp/oimdiag-compare.XXXXXX)
TREES=()
cleanup() {
  for t in "${TREES[@]}"; do git -C "$REPO" worktree remove --force "$t" >/dev/null 2>&1 || true; done
  git -C "$REPO" worktree prune
  if [ "${COMPARE_KEEP:-0}" = 1 ]; then
    echo "kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
mkdir -p "$WORK/bin" "$WORK/inputs" "$WORK/out"

# ------------------------------------------------------------------ builds
checkout() { # sha name -> prints the worktree
  local dir="$WORK/src-$2"
  git -C "$REPO" worktree add --quiet --detach "$dir" "$1" >&2
  TREES+=("$dir")
  echo "$dir"
}
say "base $(git log -1 --format='%h %s' "$BASE_SHA" | cut -c1-100)"
say "head $(git log -1 --format='%h %s' "$HEAD_SHA" | cut -c1-100)"
HEAD_SRC=$(checkout "$HEAD_SHA" head)
say "building head (release, target dir $TARGET)"
(cd "$HEAD_SRC" && CARGO_TARGET_DIR=$TARGET cargo build --release --locked --quiet \
  --bin oimdiag --example gen_corpus) || die "head does not build"
cp "$TARGET/release/oimdiag" "$WORK/bin/head"
cp "$TARGET/release/examples/gen_corpus" "$WORK/bin/gen_corpus"
if [ "$BASE_SHA" = "$HEAD_SHA" ]; then
  say "base is head: comparing two runs of one binary"
  cp "$WORK/bin/head" "$WORK/bin/base"
else
  BASE_SRC=$(checkout "$BASE_SHA" base)
  say "building base"
  (cd "$BASE_SRC" && CARGO_TARGET_DIR=$TARGET cargo build --release --locked --quiet --bin oimdiag) ||
    die "base does not build"
  cp "$TARGET/release/oimdiag" "$WORK/bin/base"
fi

# ------------------------------------------------------------------ inputs
IN="$WORK/inputs"
fixed_times() { find "$1" -exec touch -h -d "$2" {} +; }
cp -R "$HEAD_SRC/sample-spooler" "$IN/sample"
fixed_times "$IN/sample" 2026-11-23T10:00:00Z
for pair in $CORPORA; do
  mib=${pair%%:*} items=${pair##*:}
  say "gen_corpus --log-mib $mib --items $items --seed 1"
  "$WORK/bin/gen_corpus" --out "$IN/corpus-${mib}m-${items}" --log-mib "$mib" --items "$items" \
    --seed 1 >/dev/null
  fixed_times "$IN/corpus-${mib}m-${items}" 2026-11-23T11:00:00Z
done
if [ -f "$HEAD_SRC/bench/dense_log.py" ]; then
  python3 "$HEAD_SRC/bench/dense_log.py" 2 "$IN/dense-2m" >/dev/null
  fixed_times "$IN/dense-2m" 2026-11-23T11:00:00Z
fi
# bench/memory.sh's shapes, smaller, each past a 4,096 cap.
python3 - "$IN" <<'PY'
import datetime, os, sys
work = sys.argv[1]
t0 = datetime.datetime(2026, 11, 23, 9, 0, 0)
def lync(shape):
    d = os.path.join(work, shape, "Microsoft", "Office", "16.0", "Lync")
    os.makedirs(os.path.join(d, "Tracing"))
    os.makedirs(os.path.join(d, "sip_alice@contoso.com", "History Spooler"))
    return os.path.join(d, "Tracing")
def stamp(i):
    t = t0 + datetime.timedelta(milliseconds=i)
    return t.strftime("%m/%d/%Y|%H:%M:%S.") + f"{t.microsecond // 1000:03d} 1A2B:3C4D INFO  :: "
small = lync("memory-many-logs")
body = "".join(stamp(i) + "CUcmpConversation::Notify state 7 padding the line out\n" for i in range(40))
for n in range(300):
    with open(os.path.join(small, f"Lync-UccApi-{n}.UccApilog"), "w") as f:
        f.write(body)
with open(os.path.join(lync("memory-recipients"), "Lync-UccApi-0.UccApilog"), "w") as f:
    for i in range(20_000):
        f.write(stamp(i) + f"OfflineIM: queued message {i} for sip:user{i}@fabrikam.com\n")
with open(os.path.join(lync("memory-hosts"), "Lync-UccApi-0.UccApilog"), "w") as f:
    for i in range(20_000):
        f.write(stamp(i) + f"EWS: POST https://mail{i}.contoso.com/EWS/Exchange.asmx CreateItem -> 503 Service Unavailable\n")
PY
for shape in memory-many-logs memory-recipients memory-hosts; do
  fixed_times "$IN/$shape" 2026-11-23T11:00:00Z
done
TREE_LIST=()
for d in "$IN"/*; do TREE_LIST+=("${d#"$IN"/}"); done
FIX_LIST=()
FIX=

if [ "$FIXTURES" = 1 ] && [ -z "${COMPARE_FIXTURES:-}" ]; then
  say "running head's tests with OIMDIAG_KEEP_FIXTURES (debug build)"
  COMPARE_FIXTURES="$WORK/fixtures"
  (cd "$HEAD_SRC" && OIMDIAG_KEEP_FIXTURES=$COMPARE_FIXTURES CARGO_TARGET_DIR=$TARGET \
    cargo test --locked --tests -q >"$WORK/tests.log" 2>&1) ||
    say "some of head's tests failed (their trees are kept all the same; log: $WORK/tests.log)"
fi
if [ -n "${COMPARE_FIXTURES:-}" ]; then
  [ -d "$COMPARE_FIXTURES" ] || die "no fixture folder $COMPARE_FIXTURES"
  FIX=$(cd "$COMPARE_FIXTURES" && pwd)
  n=0
  for d in "$FIX"/*/*; do
    [ -d "$d" ] || continue
    FIX_LIST+=("${d#"$FIX"/}")
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || die "no test trees in $COMPARE_FIXTURES (does head's tests/common/mod.rs know OIMDIAG_KEEP_FIXTURES?)"
  say "$n test trees"
fi

# ------------------------------------------------------------------ scans
# One job: binary, folder to run in, tree (relative to it), output name,
# format, redaction; NUL-separated fields.
JOBFILE="$WORK/jobs"
: >"$JOBFILE"
job() { printf '%s\0' "$@" >>"$JOBFILE"; }
for rev in base head; do
  mkdir -p "$WORK/out/$rev"
  for f in "${FORMATS[@]}"; do
    for red in - --redact; do
      for t in "${TREE_LIST[@]}"; do job "$rev" "$IN" "$t" "$t" "$f" "$red"; done
      for t in "${FIX_LIST[@]}"; do job "$rev" "$FIX" "$t" "fixtures/$t" "$f" "$red"; done
    done
  done
done
ntrees=$((${#TREE_LIST[@]} + ${#FIX_LIST[@]}))
say "$((ntrees * ${#FORMATS[@]} * 4)) scans ($ntrees trees x ${#FORMATS[@]} formats x with/without --redact x 2 revisions), $JOBS at a time"
export WORK NOW OFFSET
# shellcheck disable=SC2016 # expanded by the inner shell
xargs -0 -P "$JOBS" -n 6 bash -c '
  rev=$1 dir=$2 tree=$3 name=$4 fmt=$5 red=$6
  name=$(printf %s "$name" | sed "s|/|__|g").$fmt
  args=(scan "$tree" --format "$fmt" --now "$NOW" --utc-offset "$OFFSET" --quiet)
  if [ "$red" = --redact ]; then args+=(--redact); name=$name.redacted; fi
  out="$WORK/out/$rev/$name"
  rc=0
  (cd "$dir" && timeout 300 "$WORK/bin/$rev" "${args[@]}" </dev/null >"$out" 2>"$out.stderr") || rc=$?
  echo "$rc" >"$out.exit"
' _ <"$JOBFILE"

# ------------------------------------------------------------------ compare
say "comparing"
diffs=$(cd "$WORK/out" && diff -rq base head | sed -n "s|^Files base/\(.*\) and head/.* differ$|\1|p; /^Only in/p") || true
total=$(find "$WORK/out/base" -type f | wc -l)
if [ -z "$diffs" ]; then
  say "all $total files identical (stdout, stderr and exit code of each scan)"
  exit 0
fi
n=$(wc -l <<<"$diffs")
echo "$n of $total files differ:"
echo "$diffs" | sed 's/^/  /'
echo
shown=0
while read -r f; do
  [ -f "$WORK/out/base/$f" ] && [ -f "$WORK/out/head/$f" ] || continue
  echo "--- first lines of the diff of $f"
  diff -u "$WORK/out/base/$f" "$WORK/out/head/$f" | sed -n '3,40p' | cut -c1-200
  shown=$((shown + 1))
  [ "$shown" -lt 3 ] || break
done <<<"$diffs"
echo "(COMPARE_KEEP=1 keeps base and head outputs for a closer look)"
exit 1
