#!/usr/bin/env bash
# Peak memory on the shapes that once grew without bound (issue 18): 20,000
# small logs, one log naming 2 M distinct recipients, one naming 2 M distinct
# EWS hosts. Each must stay at or under 96 MiB peak RSS. Prints one line a
# shape and exits 1 if one does not. Not a timed test: run it by hand or in
# a benchmark session (it writes about 450 MB under $TMPDIR and removes it).
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT_KIB=$((96 * 1024))
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
cargo build --release --quiet --bin oimdiag
BIN="$PWD/target/release/oimdiag"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" <<'PY'
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
small = lync("many-logs")
body = "".join(stamp(i) + "CUcmpConversation::Notify state 7 padding the line out\n" for i in range(40))
for n in range(20000):
    with open(os.path.join(small, f"Lync-UccApi-{n}.UccApilog"), "w") as f:
        f.write(body)
with open(os.path.join(lync("recipients"), "Lync-UccApi-0.UccApilog"), "w") as f:
    for i in range(2_000_000):
        f.write(stamp(i) + f"OfflineIM: queued message {i} for sip:user{i}@fabrikam.com\n")
with open(os.path.join(lync("hosts"), "Lync-UccApi-0.UccApilog"), "w") as f:
    for i in range(2_000_000):
        f.write(stamp(i) + f"EWS: POST https://mail{i}.contoso.com/EWS/Exchange.asmx CreateItem -> 503 Service Unavailable\n")
PY

failed=0
for shape in many-logs recipients hosts; do
  /usr/bin/time -f '%M %e' -o "$WORK/time" "$BIN" scan "$WORK/$shape" \
    --now 2026-11-23T12:00:00Z --utc-offset +00:00 --format json -q > /dev/null || true
  # (time writes "Command exited with non-zero status 1" first: findings.)
  read -r kib secs < <(tail -n 1 "$WORK/time")
  verdict=ok
  if [ "$kib" -gt "$LIMIT_KIB" ]; then verdict=OVER; failed=1; fi
  printf '%-10s peak %6.1f MiB  %6.2f s  %s (limit 96 MiB)\n' "$shape" "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" "$secs" "$verdict"
done
exit $failed
