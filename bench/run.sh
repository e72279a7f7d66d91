#!/usr/bin/env bash
# oimdiag scan benchmark (issues 8 and 19): oimdiag's full scan against `rg -c -i`
# with the signature literals over the same generated tree, and both against the
# read floor (examples/read_floor.rs: every file opened, read once and closed),
# on trees of several shapes (examples/gen_corpus.rs's knobs):
#
#   today   the corpus of issue 8: four rotated logs, a SIP packet every ~12
#           lines, an offline-IM attempt every ~384 KiB; 20,000 items
#   dense   four rotated logs, a SIP packet every ~50 lines, an offline-IM
#           attempt every ~200, near-miss noise (`CSIPStack`, `newsletters`,
#           `COfflineIMManager`...); 20,000 items
#   noise   one log of near-miss noise only: no SIP packet, no offline IM
#   many    5,000 small logs, a packet every ~100 lines, an attempt every ~1,000
#
#   bench/run.sh                      # every shape at its size, 20 rounds, RSS at 1 GiB + 100k
#   BENCH_DIR=/data/b bench/run.sh    # where corpora live (default /tmp/oimdiag-bench)
#   BENCH_SHAPES="noise:64:0:--logs,1,--sip-every,0,--oim-every,0,--noise,near-miss" bench/run.sh
#                                     # other shapes: name:MiB:items:gen_corpus args (commas for spaces)
#   BENCH_DIV=8 bench/run.sh          # every shape's MiB and items divided by 8 (a quick run;
#                                     # the RSS trees too, the log count not)
#   BENCH_RUNS=5 bench/run.sh         # rounds, each one run of oimdiag, rg and the floor on
#                                     # every shape (default 20: this shared machine moves
#                                     # single runs by ±15 %)
#   BENCH_SCALE="" bench/run.sh       # skip today's shape at 1 GiB + 100k (default
#                                     # 1024:100000: timed, for the scaling line)
#   BENCH_RSS="" bench/run.sh         # skip peak RSS of every shape at 1 GiB + 100k
#                                     # (default 1024:100000; not timed, 3 runs a shape)
#   BENCH_BASE=/tmp/oimdiag-old bench/run.sh   # also time another binary in every
#                                     # round: the paired ratio new / old a shape
#
# The noise shape is also timed pinned to one core (`taskset -c 0`), for its GB/s.
# Installs ripgrep, hyperfine, vmtouch and GNU time with apt when missing, builds
# release, generates each corpus once (reused while its parameters and the
# generator are unchanged), locks the corpora in the page cache (as root; else
# warms it), and prints medians. Always exits 0; targets are reported as
# PASS/MISS.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/oimdiag-bench}
NM="--noise,near-miss"
BENCH_SHAPES=${BENCH_SHAPES:-"today:256:20000: dense:256:20000:--sip-every,50,--oim-every,200,$NM noise:64:0:--logs,1,--sip-every,0,--oim-every,0,$NM many:160:0:--logs,5000,--sip-every,100,--oim-every,1000"}
BENCH_DIV=${BENCH_DIV:-1}
BENCH_RUNS=${BENCH_RUNS:-20}
BENCH_SCALE=${BENCH_SCALE-1024:100000}
BENCH_RSS=${BENCH_RSS-1024:100000}
BENCH_BASE=${BENCH_BASE:-}
BENCH_SEED=${BENCH_SEED:-1}
NOW=2026-11-30T00:00:00Z

say() { printf '%s\n' "$*" >&2; }

# --- tools ------------------------------------------------------------------
need=()
command -v rg >/dev/null || need+=(ripgrep)
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v vmtouch >/dev/null || need+=(vmtouch)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    say "installing: ${need[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

say "building release binaries"
cargo build --release --quiet --bin oimdiag --example gen_corpus --example read_floor
OIMDIAG="$ROOT/target/release/oimdiag"
GEN="$ROOT/target/release/examples/gen_corpus"
FLOOR="$ROOT/target/release/examples/read_floor"
GEN_HASH=$(sha256sum examples/gen_corpus.rs | cut -c1-16)

# The signature literals: every `require` literal of signatures.json, plus the
# SIP packet markers and the EWS path, as case-insensitive -e patterns.
mapfile -t LITERALS < <(
    awk '/"require"[[:space:]]*:/ {inreq=1; next}
         inreq && /\]/ {inreq=0; next}
         inreq { gsub(/^[[:space:]]*"|"[[:space:]]*,?[[:space:]]*$/, ""); print }' \
        crates/evidence/src/signatures.json
    printf '%s\n' "Sending Packet" "Data Received" "/EWS/Exchange.asmx"
)
mapfile -t LITERALS < <(printf '%s\n' "${LITERALS[@]}" | awk '!seen[tolower($0)]++')
RG_ARGS=(-c -i)
for l in "${LITERALS[@]}"; do RG_ARGS+=(-e "$l"); done

q() { printf '%q' "$1"; }
median() { # of the numbers on stdin, one a line
    sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

mkdir -p "$BENCH_DIR"
declare -a ROWS=()
declare -A TREE T_OIM T_RG T_FLOOR T_ONE RSS RATIO BASE_RATIO BYTES OIM_CMD RG_CMD FLOOR_CMD ONE_CMD BASE_CMD
scan_args="--format json --now $NOW --utc-offset +00:00 --quiet"
# generate NAME MIB ITEMS ARGS: the tree (made once), on stdout.
generate() {
    local name=$1 mib=$2 items=$3 args=$4
    local tree="$BENCH_DIR/$name-log${mib}-items${items}-seed${BENCH_SEED}"
    local stamp="$tree.done"
    local want="mib=$mib items=$items seed=$BENCH_SEED args=$args gen=$GEN_HASH"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$tree" ]; then
        say "reusing $tree"
    else
        say "generating $tree ($mib MiB of logs, $items items, ${args//,/ })"
        rm -rf "$tree" "$stamp"
        # shellcheck disable=SC2086 # the knobs, split on purpose
        "$GEN" --out "$tree" --log-mib "$mib" --items "$items" --seed "$BENCH_SEED" ${args//,/ } >&2
        printf '%s\n' "$want" >"$stamp"
    fi
    printf '%s\n' "$tree"
}
div() { awk -v n="$1" -v d="$BENCH_DIV" 'BEGIN{v = int(n / d); if (n > 0 && v < 1) v = 1; print v}'; }
declare -A SHAPE_ARGS
specs=()
for spec in $BENCH_SHAPES; do
    IFS=: read -r name mib items args <<<"$spec"
    SHAPE_ARGS[$name]=$args
    specs+=("$name:$(div "$mib"):$(div "$items"):$args")
done
first=${specs[0]%%:*}
if [ -n "$BENCH_SCALE" ]; then
    IFS=: read -r _ _ _ args <<<"${specs[0]}"
    specs+=("$first-big:$(div "${BENCH_SCALE%%:*}"):$(div "${BENCH_SCALE##*:}"):$args")
fi
rg_cmd="rg"
for a in "${RG_ARGS[@]}"; do rg_cmd+=" $(q "$a")"; done
for spec in "${specs[@]}"; do
    IFS=: read -r name mib items args <<<"$spec"
    tree=$(generate "$name" "$mib" "$items" "$args")
    OIM_CMD[$name]="$(q "$OIMDIAG") scan $(q "$tree") $scan_args"
    [ -z "$BENCH_BASE" ] || BASE_CMD[$name]="$(q "$BENCH_BASE") scan $(q "$tree") $scan_args"
    [ "$name" != noise ] || ONE_CMD[$name]="taskset -c 0 ${OIM_CMD[$name]}"
    RG_CMD[$name]="$rg_cmd $(q "$tree")"
    FLOOR_CMD[$name]="$(q "$FLOOR") $(q "$tree")"
    TREE[$name]=$tree
    BYTES[$name]=$(find "$tree" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
    ROWS+=("$name")
done

# The page cache. Warming it (reading every file once) is not enough on a
# machine whose host takes page cache back: on the Firecracker VM of
# bench/RESULTS.md the cache drained by 10-50 MB/s while idle, and a
# "warm" run of 1 GiB + 100k read 20-325 MB from disk again (1.4-2.9 s
# instead of 1.0 s), more at 1 GiB than at 256 MiB. So the corpora are
# locked in memory (vmtouch -l, mlock) for the timing, and the disk reads
# during the timing are reported. vmtouch maps every file it locks: the
# map count limit is raised for that (as root), and put back at the end.
trees=()
for pair in "${ROWS[@]}"; do trees+=("${TREE[$pair]}"); done
locker=""
old_maps=""
unlock() {
    [ -z "$locker" ] || kill "$locker" 2>/dev/null || true
    [ -z "$old_maps" ] || sysctl -qw vm.max_map_count="$old_maps" || true
}
trap unlock EXIT
files=$(find "${trees[@]}" -type f | wc -l)
maps=$(sysctl -n vm.max_map_count 2>/dev/null || echo 0)
if [ "$(id -u)" -eq 0 ] && [ "$maps" -lt $((files + 65536)) ]; then
    sysctl -qw vm.max_map_count=$((files + 65536)) && old_maps=$maps
fi
say "locking the corpora in the page cache ($files files; vmtouch -l)"
pidfile="$BENCH_DIR/vmtouch.pid"
rm -f "$pidfile"
# The three programs timed are locked too (the host took their pages as well).
if vmtouch -q -d -l -w -P "$pidfile" "${trees[@]}" "$OIMDIAG" "$FLOOR" "$(command -v rg)" &&
    [ -s "$pidfile" ]; then
    locker=$(cat "$pidfile")
    CACHE="locked in memory (vmtouch -l, $(awk '/^Mlocked/ {printf "%.0f MiB", $2/1024}' /proc/meminfo))"
else
    say "  could not lock them (memory, or not root): warming only; the host may take pages back"
    find "${trees[@]}" -type f -print0 | xargs -0 cat >/dev/null
    CACHE="warmed by reading every file once (not locked: vmtouch -l failed)"
fi
paged_in() { awk '/^pgpgin / {print $2}' /proc/vmstat; } # KiB read from storage since boot

# Timing, in rounds: each round times one run of oimdiag, one of rg and one
# of the read floor on every corpus (one hyperfine call a corpus, which of
# oimdiag and rg goes first alternating). On this shared machine the load drifts over seconds: ten runs
# of one command, then ten of the other, then the next corpus, put that drift
# into the ratios (session 4: rg's median at 256 MiB moved 0.151-0.175 s
# between bench runs of the same code, and the scaling 3.44-4.34× in session 5).
# Every ratio below is the median of the rounds' own ratios, whose two sides
# ran seconds apart under the same load.
times="$BENCH_DIR/times.txt" # round corpus command seconds
disk_before=$(paged_in)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
json="$BENCH_DIR/hyperfine-round.json"
: >"$times"
say "timing: a warm-up round, then $BENCH_RUNS rounds of oimdiag, rg and the read floor on each shape ($(uptime | sed 's/.*load/load/'))"
for ((round = 0; round <= BENCH_RUNS; round++)); do
    for pair in "${ROWS[@]}"; do
        # The base, when given, runs between oimdiag and rg: before oimdiag in
        # one round, after it in the next, as rg is (it ran after the floor,
        # which left the files' metadata warm for it: 1.07-1.20x "slower"
        # for the same instructions, session 13).
        base=()
        [ -z "${BASE_CMD[$pair]:-}" ] || base=(-n base "${BASE_CMD[$pair]}")
        if ((round % 2 == 0)); then
            cmds=(-n oimdiag "${OIM_CMD[$pair]}" "${base[@]}" -n rg "${RG_CMD[$pair]}")
        else
            cmds=(-n rg "${RG_CMD[$pair]}" "${base[@]}" -n oimdiag "${OIM_CMD[$pair]}")
        fi
        cmds+=(-n floor "${FLOOR_CMD[$pair]}")
        [ -z "${ONE_CMD[$pair]:-}" ] || cmds+=(-n one-core "${ONE_CMD[$pair]}")
        hyperfine --style none --runs 1 --ignore-failure --export-json "$json" \
            "${cmds[@]}" >/dev/null 2>&1
        ((round > 0)) || continue
        # "command" then "median" for each result.
        grep -o '"command": *"[^"]*"\|"median": *[0-9.e+-]*' "$json" |
            sed 's/.*: *//; s/"//g' | paste - - | sed "s/^/$round $pair /" >>"$times"
    done
done
DISK_MIB=$(awk -v a="$disk_before" -v b="$(paged_in)" 'BEGIN{printf "%.0f", (b - a) / 1024}')
say "  read from disk during the timing: $DISK_MIB MiB"
time_of() { # corpus command: "round seconds" lines
    awk -v p="$1" -v c="$2" '$2 == p && $3 == c {print $1, $4}' "$times"
}
paired() { # corpus1 command1 corpus2 command2: the median over the rounds of time1 / time2
    join <(time_of "$1" "$2" | sort) <(time_of "$3" "$4" | sort) |
        awk '{print $2 / $3}' | median | awk '{printf "%.2f", $1}'
}
for pair in "${ROWS[@]}"; do
    T_OIM[$pair]=$(time_of "$pair" oimdiag | awk '{print $2}' | median)
    T_RG[$pair]=$(time_of "$pair" rg | awk '{print $2}' | median)
    T_FLOOR[$pair]=$(time_of "$pair" floor | awk '{print $2}' | median)
    RATIO[$pair]=$(paired "$pair" oimdiag "$pair" rg)
    [ -z "${ONE_CMD[$pair]:-}" ] || T_ONE[$pair]=$(time_of "$pair" one-core | awk '{print $2}' | median)
    [ -z "${BASE_CMD[$pair]:-}" ] || BASE_RATIO[$pair]=$(paired "$pair" oimdiag "$pair" base)
    say "  ${pair}: oimdiag median ${T_OIM[$pair]} s, rg median ${T_RG[$pair]} s, ratio ${RATIO[$pair]}×"
done
say "  every run: $times"

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
unlock
locker=""

# Peak RSS: median of three runs of /usr/bin/time -v, on each shape at
# BENCH_RSS (its own tree, not timed) or, without BENCH_RSS, on the timed tree.
peak_rss() { # tree: KiB
    local rss=()
    for _ in 1 2 3; do
        # shellcheck disable=SC2086
        /usr/bin/time -v "$OIMDIAG" scan "$1" $scan_args >/dev/null 2>"$BENCH_DIR/time.txt" || true
        rss+=("$(awk -F': *' '/Maximum resident set size/ {print $2}' "$BENCH_DIR/time.txt")")
    done
    printf '%s\n' "${rss[@]}" | sort -n | sed -n 2p
}
declare -A RSS_AT
for pair in "${ROWS[@]}"; do
    [ "$pair" != "$first-big" ] || continue
    if [ -n "$BENCH_RSS" ]; then
        rmib=$(div "${BENCH_RSS%%:*}")
        ritems=$(div "${BENCH_RSS##*:}")
        t=$(generate "$pair" "$rmib" "$ritems" "${SHAPE_ARGS[$pair]}")
        RSS_AT[$pair]="$rmib MiB + $ritems items"
    else
        t=${TREE[$pair]}
        RSS_AT[$pair]="the timed tree"
    fi
    RSS[$pair]=$(peak_rss "$t")
    say "  peak RSS $pair (${RSS_AT[$pair]}): ${RSS[$pair]} KiB"
done

# --- report -----------------------------------------------------------------
out="$BENCH_DIR/results.md"
{
    base_head=""
    [ -z "$BENCH_BASE" ] || base_head=" vs base (paired) |"
    echo "| shape | tree | oimdiag median | rg -c -i median | ratio (median of rounds) | oimdiag GB/s | read floor median | peak RSS (at) |$base_head"
    echo "|---|---|---:|---:|---:|---:|---:|---:|${base_head:+---:|}"
    for p in "${ROWS[@]}"; do
        files=$(find "${TREE[$p]}" -type f | wc -l)
        rss="-"
        [ -z "${RSS[$p]:-}" ] || rss=$(awk -v k="${RSS[$p]}" -v at="${RSS_AT[$p]}" 'BEGIN{printf "%.1f MiB (%s)", k/1024, at}')
        extra=""
        [ -z "$BENCH_BASE" ] || extra=" ${BASE_RATIO[$p]}× |"
        awk -v name="$p" -v bytes="${BYTES[$p]}" -v files="$files" -v o="${T_OIM[$p]}" -v r="${T_RG[$p]}" \
            -v ratio="${RATIO[$p]}" -v f="${T_FLOOR[$p]}" -v rss="$rss" -v extra="$extra" \
            'BEGIN{printf "| %s | %.0f MiB, %d files | %.3f s | %.3f s | %s× | %.2f | %.3f s | %s |%s\n", name, bytes/1048576, files, o, r, ratio, bytes/o/1e9, f, rss, extra}'
    done
    echo
    check() { # name, pass(0/1), detail
        if [ "$2" -eq 1 ]; then echo "PASS  $1 ($3)"; else echo "MISS  $1 ($3)"; fi
    }
    for p in "${ROWS[@]}"; do
        r=${RATIO[$p]}
        check "$p: oimdiag ≤ 1.5× rg" "$(awk -v r="$r" 'BEGIN{print (r<=1.5)?1:0}')" "ratio ${r}×"
    done
    if [ -n "${T_ONE[noise]:-}" ]; then
        gbs=$(awk -v b="${BYTES[noise]}" -v t="${T_ONE[noise]}" 'BEGIN{printf "%.2f", b/t/1e9}')
        check "noise: ≥ 1 GB/s on one core (taskset -c 0)" "$(awk -v g="$gbs" 'BEGIN{print (g>=1)?1:0}')" \
            "${gbs} GB/s, median ${T_ONE[noise]} s for $(awk -v b="${BYTES[noise]}" 'BEGIN{printf "%.0f", b/1048576}') MiB"
    fi
    for p in "${ROWS[@]}"; do
        [ -n "${RSS[$p]:-}" ] || continue
        check "$p: peak RSS ≤ 64 MiB at ${RSS_AT[$p]}" "$(awk -v k="${RSS[$p]}" 'BEGIN{print (k<=65536)?1:0}')" \
            "$(awk -v k="${RSS[$p]}" 'BEGIN{printf "%.1f MiB", k/1024}')"
    done
    if [ -n "$BENCH_SCALE" ]; then
        big="$first-big"
        data=$(awk -v a="${BYTES[$first]}" -v b="${BYTES[$big]}" 'BEGIN{printf "%.2f", b/a}')
        echo "scaling: ${data}× the bytes ($first → $big) cost $(paired "$big" oimdiag "$first" oimdiag)× the time" \
            "(rg: $(paired "$big" rg "$first" rg)×, read floor: $(paired "$big" floor "$first" floor)×)"
    fi
    echo
    echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
        "$(free -h | awk '/^Mem:/ {print $2}') RAM, load average $LOAD_BEFORE before the timing, $LOAD_AFTER after"
    echo "page cache: corpora $CACHE; read from disk during the timing: $DISK_MIB MiB; $BENCH_RUNS rounds"
    echo "oimdiag: ${OIM_CMD[$first]}"
    echo "rg:      ${RG_CMD[$first]}"
} | tee "$out"
say "written: $out"
exit 0
