#!/usr/bin/env bash
# Wine stage of issue 20: the client installed on "this machine".
#
# Puts stand-in lync.exe files (ci/wine/make_lync_exe.sh: a version resource
# built with mingw windres) into the Wine prefix's Program Files in the
# Click-to-Run layout (Microsoft Office\root\Office16) and, separately, the
# MSI layout (Microsoft Office\Office16); sets the Click-to-Run configuration
# with `wine reg add ... /reg:64`; runs oimdiag.exe with no PATH against a
# %LOCALAPPDATA% of its own; and checks client_build, install_type, the
# source, OIM010/OIM011/OIM014, the machine block and its redaction, and that
# a collected folder is not judged by this machine's client.
#
# Called from ci/windows.sh (one line) with OIMDIAG_EXE (the stripped
# oimdiag.exe) and WINEPREFIX set; run alone it makes a prefix of its own:
#   OIMDIAG_EXE=target/x86_64-pc-windows-gnu/release/oimdiag.exe ci/wine/installed_client.sh
# It removes what it put in the prefix when done. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
T0=$SECONDS
NOW=2026-11-23T10:00:00Z
step() { printf '\n=== [installed-client %3ds] %s\n' "$((SECONDS - T0))" "$*"; }
ok() { printf '  ok: %s\n' "$*"; }
die() {
  printf '  FAIL: %s\n' "$*" >&2
  exit 1
}
: "${OIMDIAG_EXE:?set OIMDIAG_EXE to the oimdiag.exe to test}"
[ -f "$OIMDIAG_EXE" ] || die "$OIMDIAG_EXE does not exist"
for t in wine winepath x86_64-w64-mingw32-gcc x86_64-w64-mingw32-windres python3; do
  command -v "$t" >/dev/null || die "$t not found (apt-get install wine gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64)"
done

WORK=$(mktemp -d /tmp/oimdiag-ic.XXXXXX)
OWN_PREFIX=
cleanup() {
  if [ -n "${PF_UNIX:-}" ]; then rm -rf "$PF_UNIX/Microsoft Office"; fi
  if [ -n "${WINEPREFIX:-}" ]; then
    timeout 60 wine reg delete 'HKLM\SOFTWARE\Microsoft\Office\ClickToRun' /f /reg:64 >/dev/null 2>&1 || true
  fi
  if [ -n "$OWN_PREFIX" ]; then WINEPREFIX=$OWN_PREFIX wineserver -k >/dev/null 2>&1 || true; fi
  if [ -n "${IC_ROOT_UNIX:-}" ]; then rm -rf "$IC_ROOT_UNIX"; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml=" LC_ALL=C.UTF-8
unset DISPLAY WAYLAND_DISPLAY

if [ -z "${WINEPREFIX:-}" ]; then
  step "a fresh headless Wine prefix (run alone)"
  OWN_PREFIX="$WORK/prefix"
  export WINEPREFIX=$OWN_PREFIX
  timeout 300 wineboot -i >"$WORK/wineboot.log" 2>&1 || { cat "$WORK/wineboot.log"; die "wineboot -i failed"; }
  timeout 120 wineserver -w
  SYS32="$WINEPREFIX/drive_c/windows/system32"
  if [ ! -e "$SYS32/bcryptprimitives.dll" ]; then
    x86_64-w64-mingw32-gcc -O2 -shared -s -o "$SYS32/bcryptprimitives.dll" \
      ci/wine/bcryptprimitives.c ci/wine/bcryptprimitives.def -ladvapi32
    ok "stand-in bcryptprimitives.dll (ProcessPrng) installed"
  fi
fi
winrun() { timeout 120 wine "$@" | tr -d '\r'; }
cp "$OIMDIAG_EXE" "$WINEPREFIX/drive_c/oimdiag-ic.exe"
EXE='C:\oimdiag-ic.exe'

step "stand-in lync.exe files (mingw windres)"
for v in 16.0.6741.2048 16.0.4849.1000 16.0.7766.2047; do
  ci/wine/make_lync_exe.sh "$v" "$WORK/lync-$v.exe"
done
ok "built $(ls "$WORK"/lync-*.exe | wc -l) stand-ins ($(stat -c %s "$WORK/lync-16.0.6741.2048.exe") bytes each)"

PF_WIN=$(winrun cmd /c 'echo %ProgramFiles%')
PF_UNIX=$(timeout 60 winepath -u "$PF_WIN" | tr -d '\r')
[ -d "$PF_UNIX" ] || die "%ProgramFiles% ($PF_WIN -> $PF_UNIX) is not a folder"
ok "%ProgramFiles% is $PF_WIN"
C2R_DIR="$PF_UNIX/Microsoft Office/root/Office16"
MSI_DIR="$PF_UNIX/Microsoft Office/Office16"

# A %LOCALAPPDATA% of this stage's own: an empty History Spooler (client
# evidence, no logs) for alice; set for each run through cmd.
IC_ROOT_WIN='C:\ic-local'
IC_ROOT_UNIX="$WINEPREFIX/drive_c/ic-local"
mkdir -p "$IC_ROOT_UNIX/Microsoft/Office/16.0/Lync/sip_alice@contoso.com/History Spooler"
COLLECTED_UNIX="$WINEPREFIX/drive_c/ic-collected"
mkdir -p "$COLLECTED_UNIX/Microsoft/Office/16.0/Lync/sip_alice@contoso.com/History Spooler"

# scan NAME EXPECTED-EXIT [ARGS...]: oimdiag.exe scan with this stage's
# %LOCALAPPDATA%, JSON into $WORK/NAME.json.
scan() {
  local name=$1 want=$2 rc=0
  shift 2
  timeout 300 wine cmd /c "set LOCALAPPDATA=$IC_ROOT_WIN&& $EXE scan --format json --now $NOW --utc-offset +00:00 --quiet $*" \
    >"$WORK/$name.json" 2>"$WORK/$name.err" || rc=$?
  tr -d '\r' <"$WORK/$name.json" >"$WORK/$name.tmp" && mv "$WORK/$name.tmp" "$WORK/$name.json"
  if [ "$rc" != "$want" ]; then
    cat "$WORK/$name.err" >&2
    head -c 2000 "$WORK/$name.json" >&2
    die "scan $name ($*) exited $rc, expected $want"
  fi
}
# check NAME PYTHON-ASSERTIONS: r is the report, f the finding ids, m the machine block.
check() {
  python3 - "$WORK/$1.json" "$2" <<'PY' || die "checks on $1 failed"
import json, sys
r = json.load(open(sys.argv[1]))
f = [x["rule_id"] for x in r["findings"]]
m = r["machine"]
def finding(i):
    return next(x for x in r["findings"] if x["rule_id"] == i)
try:
    exec(sys.argv[2])
except AssertionError as e:
    print("  assertion failed:", e, file=sys.stderr)
    print("  facts:", json.dumps(r["facts"], indent=1)[:1500], file=sys.stderr)
    print("  findings:", f, file=sys.stderr)
    print("  machine:", json.dumps(m, indent=1)[:1500], file=sys.stderr)
    sys.exit(1)
PY
}
c2r_config() { # VERSION CHANNEL-ID
  local key='HKLM\SOFTWARE\Microsoft\Office\ClickToRun\Configuration'
  winrun reg add "$key" /v VersionToReport /t REG_SZ /d "$1" /f /reg:64 >/dev/null
  winrun reg add "$key" /v CDNBaseUrl /t REG_SZ /d "http://officecdn.microsoft.com/pr/$2" /f /reg:64 >/dev/null
  winrun reg add "$key" /v Platform /t REG_SZ /d x64 /f /reg:64 >/dev/null
}

step "Click-to-Run: lync.exe 16.0.6741.2048 in root\\Office16, Deferred Channel; no logs; --mailbox on-premises"
mkdir -p "$C2R_DIR"
cp "$WORK/lync-16.0.6741.2048.exe" "$C2R_DIR/lync.exe"
c2r_config 16.0.6741.2048 7ffbc6bf-bc32-4f92-8982-f9dd17fd3114
v=$(winrun reg query 'HKLM\SOFTWARE\Microsoft\Office\ClickToRun\Configuration' /v CDNBaseUrl /reg:64)
grep -q 7ffbc6bf <<<"$v" || die "reg add did not set CDNBaseUrl: $v"
scan c2r 1 --mailbox on-premises
check c2r '
assert r["facts"]["client_build"] == "16.0.6741.2048", r["facts"]["client_build"]
assert r["facts"]["install_type"] == "c2r", r["facts"]["install_type"]
src = r["facts"]["client_build_source"]
assert src["kind"] == "machine", src
assert src["path"].lower().endswith("microsoft office\\root\\office16\\lync.exe"), src
assert "OIM011" in f and "OIM010" not in f and "OIM013" not in f and "OIM014" not in f, f
assert m["describes"] == "scanned_machine", m["describes"]
ic = m["installed_clients"]
assert len(ic) == 1 and ic[0]["file_version"] == "16.0.6741.2048" and ic[0]["chosen"], ic
assert ic[0]["install_type"] == "c2r" and ic[0]["channel"] == "Deferred Channel", ic
assert m["click_to_run"]["version_to_report"] == "16.0.6741.2048", m["click_to_run"]
assert m["click_to_run"]["platform"] == "x64", m["click_to_run"]
assert m["hostname"] and m["user"], (m["hostname"], m["user"])
assert m["scanned_roots"] == ["C:\\ic-local"], m["scanned_roots"]
assert "--mailbox on-premises" in m["options"], m["options"]
assert r["schema_version"] == "2.2"
'
ok "client_build 16.0.6741.2048 from the installed lync.exe (source: machine), c2r, OIM011, Deferred Channel"
HOST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["machine"]["hostname"])' "$WORK/c2r.json")
WUSER=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["machine"]["user"])' "$WORK/c2r.json")
echo "  machine: host $HOST, user $WUSER"

step "--redact: the report names neither the host nor the user (JSON, text, Markdown)"
for fmt in json text markdown; do
  timeout 300 wine cmd /c "set LOCALAPPDATA=$IC_ROOT_WIN&& $EXE scan --format $fmt --now $NOW --utc-offset +00:00 --quiet --redact --mailbox on-premises" \
    >"$WORK/red.$fmt" 2>/dev/null || true
  [ -s "$WORK/red.$fmt" ] || die "no redacted $fmt report"
  python3 - "$WORK/red.$fmt" "$HOST" "$WUSER" <<'PY' || die "redacted $fmt names the host or user"
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
for name in sys.argv[2:]:
    if re.search(r"(?i)(?<![A-Za-z0-9])" + re.escape(name) + r"(?![A-Za-z0-9])", text):
        print("  found", repr(name), file=sys.stderr); sys.exit(1)
PY
done
ok "no '$HOST' and no '$WUSER' in the redacted reports"

step "a collected folder (PATH outside %LOCALAPPDATA%): this machine's client is not read"
scan collected 0 'C:\ic-collected' --mailbox online --fail-on never
check collected '
assert m["describes"] == "scanning_machine", m["describes"]
assert m["installed_clients"] == [] and m["click_to_run"] is None, m
assert r["facts"]["client_build"] is None and "OIM013" in f, (r["facts"]["client_build"], f)
'
ok "describes scanning_machine, no installed client, OIM013"

step "MSI: lync.exe 16.0.4849.1000 in Office16 (no root), no Click-to-Run configuration"
rm -rf "$PF_UNIX/Microsoft Office"
winrun reg delete 'HKLM\SOFTWARE\Microsoft\Office\ClickToRun' /f /reg:64 >/dev/null
mkdir -p "$MSI_DIR"
cp "$WORK/lync-16.0.4849.1000.exe" "$MSI_DIR/lync.exe"
scan msi 1 --mailbox on-premises
check msi '
assert r["facts"]["client_build"] == "16.0.4849.1000", r["facts"]["client_build"]
assert r["facts"]["install_type"] == "msi", r["facts"]["install_type"]
assert r["facts"]["client_build_source"]["kind"] == "machine"
assert "OIM010" in f and "OIM011" not in f, f
ic = m["installed_clients"]
assert len(ic) == 1 and ic[0]["install_type"] == "msi" and ic[0]["channel"] is None, ic
assert m["click_to_run"] is None, m["click_to_run"]
'
ok "client_build 16.0.4849.1000, msi, OIM010"

step "installed 16.0.7766.2047 (Current Channel), logs showing 16.0.6965.2058: OIM014"
rm -rf "$PF_UNIX/Microsoft Office"
mkdir -p "$C2R_DIR"
cp "$WORK/lync-16.0.7766.2047.exe" "$C2R_DIR/lync.exe"
c2r_config 16.0.7766.2047 492350f6-3a01-4f97-b9c0-c7c6ddf67d60
TRACING="$IC_ROOT_UNIX/Microsoft/Office/16.0/Lync/Tracing"
mkdir -p "$TRACING"
printf '%s\r\n' \
  '11/23/2026|09:50:00.000 1A2B:3C4D INFO  :: Sending Packet - 10.0.0.1:5061 (From Local Address: 10.0.0.2:1) 500 bytes:' \
  'REGISTER sip:contoso.com SIP/2.0' \
  'From: <sip:alice@contoso.com>;tag=1' \
  'To: <sip:alice@contoso.com>' \
  'CSeq: 1 REGISTER' \
  'Call-ID: r1' \
  'User-Agent: UCCAPI/16.0.6965.5308 OC/16.0.6965.2058 (Skype for Business)' \
  '11/23/2026|09:50:00.000 1A2B:3C4D INFO  :: End of Sending Packet - 10.0.0.1:5061' \
  >"$TRACING/Lync-UccApi-0.UccApilog"
scan oim014 0 --mailbox on-premises --fail-on error
check oim014 '
assert r["facts"]["client_build"] == "16.0.7766.2047", r["facts"]["client_build"]
assert r["facts"]["client_build_source"]["kind"] == "machine"
assert "OIM014" in f, f
msg = finding("OIM014")["message"]
assert "updated after these logs" in msg and "16.0.6965.2058" in msg, msg
assert not any(i in f for i in ("OIM010", "OIM011", "OIM012")), f
assert m["installed_clients"][0]["channel"] == "Current Channel", m["installed_clients"]
'
ok "client_build 16.0.7766.2047 from lync.exe, OIM014 (updated after these logs)"

step "double-click detection: with a redirected stream it is the command line as usual"
DESK_WIN=$(winrun cmd /c 'echo %USERPROFILE%\Desktop')
DESK_UNIX=$(timeout 60 winepath -u "$DESK_WIN" | tr -d '\r')
before=$(ls "$DESK_UNIX" 2>/dev/null | grep -c '^oimdiag-' || true)
rc=0
timeout 120 wine "$EXE" </dev/null >"$WORK/noargs.out" 2>"$WORK/noargs.err" || rc=$?
[ "$rc" = 2 ] || die "oimdiag.exe with no argument and redirected streams exited $rc, expected 2 (usage)"
after=$(ls "$DESK_UNIX" 2>/dev/null | grep -c '^oimdiag-' || true)
[ "$before" = "$after" ] || die "a run with redirected streams wrote reports to the Desktop"
ok "no argument + redirected streams: usage (exit 2), nothing written to the Desktop"
echo "  not shown under Wine: a real Explorer double-click (a console of its own, GetConsoleProcessList = 1)"
echo "  needs a display and wineconsole; the decision itself is unit-tested (double_click::tests)."

step "installed-client stage passed in $((SECONDS - T0)) s"
