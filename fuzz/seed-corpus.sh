#!/bin/sh
# Builds fuzz/corpus/<target>/ from the sample tree (sample-spooler/) plus a
# few hand-made shapes. Safe to re-run: existing corpus files are kept.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
s="$here/../sample-spooler"
lync="$s/Microsoft/Office/16.0/Lync"
log="$lync/Tracing/Lync-UccApi-0.UccApilog"
csv="$lync/Tracing/Lync-UccApi-0-etl.csv"
c="$here/corpus"
for t in uccapilog sip spool_item tracerpt admin signatures lines scan; do
    mkdir -p "$c/$t"
done

# A leading byte picks the UTC offset (0x7f = +00:00, 0x85 = +01:07).
{ printf '\177'; cat "$log"; } >"$c/uccapilog/sample"
{ printf '\205'; iconv -f UTF-8 -t UTF-16LE "$log" | { printf '\377\376'; cat; }; } >"$c/uccapilog/sample-utf16"
{ printf '\177'; cat "$csv"; } >"$c/tracerpt/sample"
{ printf '\177'; iconv -f UTF-8 -t UTF-16LE "$csv" | { printf '\377\376'; cat; }; } >"$c/tracerpt/sample-utf16"

# One file per packet record: mode byte (0 sent, 1 received), the rest of the
# record line, then the packet.
awk -v dir="$c/sip" '
    /^[0-9][0-9]\/[0-9][0-9]\/[0-9][0-9][0-9][0-9]\|/ {
        if (out) close(out)
        out = ""
        if ($0 ~ /:: Sending Packet/) { n++; out = dir "/packet-" n; printf "%c(head)\n", 0 > out }
        else if ($0 ~ /:: Data Received/) { n++; out = dir "/packet-" n; printf "%c(head)\n", 1 > out }
        next
    }
    out { print > out }
' "$log"

for f in "$lync/sip_alice@contoso.com/History Spooler"/*; do
    cp "$f" "$c/spool_item/$(basename "$f")"
done

for f in "$s/admin"/*; do
    cp "$f" "$c/admin/$(basename "$f")"
done

cp "$here/../crates/evidence/src/signatures.json" "$c/signatures/builtin.json"
{ cat "$here/../crates/evidence/src/signatures.json"; printf '\000'; grep ':: ' "$log" | head -20 | sed 's/.*:: //'; } >"$c/signatures/builtin-with-text"
printf 'OfflineIM: (?P<id>\\d+) failed\001offlineim\000OfflineIM: 42 failed' >"$c/signatures/pattern"

{ printf '\007'; cat "$log"; } >"$c/lines/sample-small-limit"
{ printf '\377'; cat "$csv"; } >"$c/lines/csv-trickle"
{ printf '\203'; iconv -f UTF-8 -t UTF-16LE "$log" | { printf '\377\376'; cat; }; } >"$c/lines/utf16le"
{ printf '\203'; iconv -f UTF-8 -t UTF-16BE "$log" | { printf '\376\377'; cat; }; } >"$c/lines/utf16be"
{ printf '\100'; iconv -f UTF-8 -t UTF-16LE "$log"; } >"$c/lines/utf16le-nobom"
# The whole pipeline: item \365 log \365 CSV \365 admin export, then the offset byte.
for item in "$lync/sip_alice@contoso.com/History Spooler"/*; do
    { cat "$item"; printf '\365'; cat "$log"; printf '\365'; cat "$csv"; printf '\365';
      cat "$s/admin/Get-CsImConfiguration.txt"; printf '\177'; } >"$c/scan/$(basename "$item")"
done
echo "corpus seeded in $c"
