#!/usr/bin/env python3
"""A log that is nothing but offline-IM stories: the sample UccApilog repeated
with advancing times (two hours per copy), for measuring that memory stays
flat however long a log is.

    python3 bench/dense_log.py 1024 /tmp/dense      # 1 GiB under /tmp/dense/.../Tracing
    /usr/bin/time -v target/release/oimdiag scan /tmp/dense --format json \
        --now 2026-11-23T12:00:00Z --utc-offset +01:00 --quiet >/dev/null
"""
import datetime
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "..", "sample-spooler", "Microsoft", "Office", "16.0",
                      "Lync", "Tracing", "Lync-UccApi-0.UccApilog")
STAMP = re.compile(r"^(\d\d)/(\d\d)/(\d{4})\|(\d\d):(\d\d):(\d\d)\.(\d{3})", re.M)


def main():
    mib, root = int(sys.argv[1]), sys.argv[2]
    src = open(SAMPLE, encoding="utf-8").read()
    parts, last = [], 0
    for m in STAMP.finditer(src):
        parts.append(src[last:m.start()])
        mo, d, y, hh, mm, ss, ms = map(int, m.groups())
        parts.append(datetime.datetime(y, mo, d, hh, mm, ss, ms * 1000))
        last = m.end()
    parts.append(src[last:])
    t0 = min(p for p in parts if isinstance(p, datetime.datetime))
    base = datetime.datetime(2010, 1, 1)
    out_dir = os.path.join(root, "Microsoft", "Office", "16.0", "Lync", "Tracing")
    os.makedirs(out_dir, exist_ok=True)
    target, written, copies = mib << 20, 0, 0
    with open(os.path.join(out_dir, "Lync-UccApi-0.UccApilog"), "w", encoding="utf-8") as out:
        while written < target:
            shift = base + datetime.timedelta(hours=2 * copies) - t0
            chunk = "".join(
                (p + shift).strftime("%m/%d/%Y|%H:%M:%S.") + "%03d" % ((p + shift).microsecond // 1000)
                if isinstance(p, datetime.datetime) else p
                for p in parts)
            out.write(chunk)
            written += len(chunk)
            copies += 1
    print(f"{copies} copies of the sample story, {written} bytes")


if __name__ == "__main__":
    main()
