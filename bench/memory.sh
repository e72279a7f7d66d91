#!/usr/bin/env bash
# Peak memory on the shapes that once grew without bound (issue 18):
#   many-logs   20,000 small logs (~2.6 KB each, noise)
#   dense-logs  20,000 small logs (~5 KB each) that are nothing but offline-IM lines
#   recipients  one log naming 2 M distinct recipients
#   hosts       one log naming 2 M distinct EWS hosts
#   users       one log of REGISTERs for 2 M distinct users
# Each must stay at or under 96 MiB peak RSS. Prints one line a shape and
# exits 1 if one does not. Not a timed test: run it by hand or in a benchmark
# session (all shapes write about 1.3 GB under $TMPDIR, removed at the end).
#
#   bench/memory.sh                      # every shape, with a fresh release build
#   bench/memory.sh dense-logs users     # only these
#   OIMDIAG_BIN=/tmp/old/oimdiag bench/memory.sh dense-logs   # another binary, no build
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT_KIB=$((96 * 1024))
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
if [ -n "${OIMDIAG_BIN:-}" ]; then
  BIN="$OIMDIAG_BIN"
else
  cargo build --release --quiet --bin oimdiag
  BIN="$PWD/target/release/oimdiag"
fi
SHAPES=("$@")
[ ${#SHAPES[@]} -gt 0 ] || SHAPES=(many-logs dense-logs recipients hosts users)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" "${SHAPES[@]}" <<'PY'
import datetime, os, sys
work, shapes = sys.argv[1], set(sys.argv[2:])
t0 = datetime.datetime(2026, 11, 23, 9, 0, 0)
def lync(shape):
    d = os.path.join(work, shape, "Microsoft", "Office", "16.0", "Lync")
    os.makedirs(os.path.join(d, "Tracing"))
    os.makedirs(os.path.join(d, "sip_alice@contoso.com", "History Spooler"))
    return os.path.join(d, "Tracing")
def stamp(i, base=t0):
    t = base + datetime.timedelta(milliseconds=i)
    return t.strftime("%m/%d/%Y|%H:%M:%S.") + f"{t.microsecond // 1000:03d} 1A2B:3C4D INFO  :: "
if "many-logs" in shapes:
    small = lync("many-logs")
    body = "".join(stamp(i) + "CUcmpConversation::Notify state 7 padding the line out\n" for i in range(40))
    for n in range(20000):
        with open(os.path.join(small, f"Lync-UccApi-{n}.UccApilog"), "w") as f:
            f.write(body)
if "dense-logs" in shapes:
    # Rotated logs: each its own two minutes, 27 messages queued and delivered.
    dense = lync("dense-logs")
    start = datetime.datetime(2026, 10, 20, 0, 0, 0)
    for n in range(20000):
        base = start + datetime.timedelta(seconds=120 * n)
        lines = []
        for j in range(27):
            lines.append(stamp(4000 * j, base) + f"OfflineIM: queued message {n}-{j} for sip:user{j}@contoso.com\n")
            lines.append(stamp(4000 * j + 1500, base) + f"OfflineIM: message {n}-{j} delivered to sip:user{j}@contoso.com\n")
        with open(os.path.join(dense, f"Lync-UccApi-{n}.UccApilog"), "w") as f:
            f.write("".join(lines))
if "recipients" in shapes:
    with open(os.path.join(lync("recipients"), "Lync-UccApi-0.UccApilog"), "w") as f:
        for i in range(2_000_000):
            f.write(stamp(i) + f"OfflineIM: queued message {i} for sip:user{i}@fabrikam.com\n")
if "hosts" in shapes:
    with open(os.path.join(lync("hosts"), "Lync-UccApi-0.UccApilog"), "w") as f:
        for i in range(2_000_000):
            f.write(stamp(i) + f"EWS: POST https://mail{i}.contoso.com/EWS/Exchange.asmx CreateItem -> 503 Service Unavailable\n")
if "users" in shapes:
    with open(os.path.join(lync("users"), "Lync-UccApi-0.UccApilog"), "w") as f:
        for i in range(2_000_000):
            s = stamp(i)
            f.write(s + "Sending Packet - 10.0.0.1:5061 (From Local Address: 10.0.0.2:1) 200 bytes:\n"
                    f"REGISTER sip:contoso.com SIP/2.0\nFrom: <sip:user{i}@contoso.com>;tag=1\n"
                    "CSeq: 1 REGISTER\n" + s + "End of Sending Packet - 10.0.0.1:5061\n")
PY

failed=0
for shape in "${SHAPES[@]}"; do
  /usr/bin/time -f '%M %e' -o "$WORK/time" "$BIN" scan "$WORK/$shape" \
    --now 2026-11-23T12:00:00Z --utc-offset +00:00 --format json -q > /dev/null || true
  # (time writes "Command exited with non-zero status 1" first: findings.)
  read -r kib secs < <(tail -n 1 "$WORK/time")
  verdict=ok
  if [ "$kib" -gt "$LIMIT_KIB" ]; then verdict=OVER; failed=1; fi
  printf '%-10s peak %6.1f MiB  %6.2f s  %s (limit 96 MiB)\n' "$shape" "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" "$secs" "$verdict"
done
exit $failed
