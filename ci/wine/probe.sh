#!/usr/bin/env bash
# Wine stage of issue 22: one live probe of oimdiag.exe against servers on
# 127.0.0.1 (ci/wine/probe_server.py, python3): plain HTTP answering 401
# `Negotiate, NTLM` (OIM036, both schemes, exit 0), and TLS with a self-signed
# certificate made here with openssl (OIM033 from the Windows trust store as
# Wine has it; with --ca-file, OIM036); the Internet Settings proxy read from
# the registry (HKCU ProxyEnable/ProxyServer/ProxyOverride). Each server fails
# the stage if an Authorization header ever reached it.
#
# Called from ci/windows.sh (one line) with OIMDIAG_EXE and WINEPREFIX set.
set -euo pipefail
cd "$(dirname "$0")/../.."
T0=$SECONDS
step() { printf '\n=== [probe %3ds] %s\n' "$((SECONDS - T0))" "$*"; }
ok() { printf '  ok: %s\n' "$*"; }
die() {
  printf '  FAIL: %s\n' "$*" >&2
  exit 1
}
: "${OIMDIAG_EXE:?set OIMDIAG_EXE to the oimdiag.exe to test}"
: "${WINEPREFIX:?set WINEPREFIX (ci/windows.sh makes one)}"
for t in wine winepath python3 openssl; do
  command -v "$t" >/dev/null || die "$t not found"
done
export WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml=" LC_ALL=C.UTF-8
unset DISPLAY WAYLAND_DISPLAY HTTPS_PROXY https_proxy HTTP_PROXY http_proxy ALL_PROXY all_proxy
WORK=$(mktemp -d /tmp/oimdiag-probe.XXXXXX)
SERVER_PID=
SETTINGS='HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings'
# The probe reads this machine's client folder for EWS URLs and an address,
# and with an address it tries autodiscover for its domain. windows.sh put the
# sample there (alice@contoso.com), whose autodiscover cannot answer in CI
# (OIM035, exit 1). The stage tests only the URLs it names, so the folder is
# set aside while it runs and put back after.
LOCAL_UNIX=$(timeout 120 winepath -u "$(timeout 120 wine cmd /c 'echo %LOCALAPPDATA%' | tr -d '\r')" | tr -d '\r')
ASIDE=
if [ -d "$LOCAL_UNIX/Microsoft" ]; then
  ASIDE="$LOCAL_UNIX/Microsoft.set-aside-by-probe-stage"
  mv "$LOCAL_UNIX/Microsoft" "$ASIDE"
fi
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$ASIDE" ]; then mv "$ASIDE" "$LOCAL_UNIX/Microsoft" || true; fi
  for v in ProxyEnable ProxyServer ProxyOverride; do
    timeout 60 wine reg delete "$SETTINGS" /v "$v" /f >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

start_server() { # port-file [cert key]: starts one server for up to 3 connections, 120 s
  rm -f "$1"
  python3 ci/wine/probe_server.py "$1" 3 120 "${@:2}" 2>"$1.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done
  die "the test server did not start: $(cat "$1.log")"
}
stop_server() { # waits for the server; it exits 3 if credentials arrived
  kill "$SERVER_PID" 2>/dev/null || true
  local rc=0
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=
  [ "$rc" != 3 ] || die "an Authorization header reached the test server"
}
probe() { # expected-exit out.json args...
  local want=$1 out=$2 rc=0
  shift 2
  timeout 300 wine "$OIMDIAG_EXE" probe --format json --timeout 10 "$@" >"$out" 2>"$out.err" || rc=$?
  tr -d '\r' <"$out" >"$out.lf"
  [ "$rc" = "$want" ] || { cat "$out.err" >&2; die "probe $* exited $rc, expected $want; report: $(head -c 3000 "$out.lf")"; }
}
check() { # out.json python-assertions (r = the report)
  python3 - "$1.lf" "$2" <<'PY' || die "unexpected report: $(head -c 3000 "$1.lf")"
import json, sys
r = json.load(open(sys.argv[1]))
ids = [f["rule_id"] for f in r["findings"]]
exec(sys.argv[2])
PY
}

step "plain HTTP, 401 Negotiate, NTLM: OIM036 with both schemes, exit 0"
start_server "$WORK/http.port"
P=$(cat "$WORK/http.port")
probe 0 "$WORK/http.json" --ews-url "http://127.0.0.1:$P/EWS/Exchange.asmx"
stop_server
check "$WORK/http.json" '
assert ids == ["OIM036"], ids
assert r["probe"]["auth_schemes"] == ["Negotiate", "NTLM"], r["probe"]
assert r["probe"]["targets"][0]["status"] == 401'
ok "OIM036, auth_schemes Negotiate, NTLM"

step "TLS with a self-signed certificate: OIM033 (Wine's trust store), then OIM036 with --ca-file"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
start_server "$WORK/tls.port" "$WORK/cert.pem" "$WORK/key.pem"
P=$(cat "$WORK/tls.port")
probe 1 "$WORK/tls.json" --ews-url "https://localhost:$P/EWS/Exchange.asmx"
CA_WIN=$(timeout 60 winepath -w "$WORK/cert.pem" | tr -d '\r')
probe 0 "$WORK/tls-ca.json" --ews-url "https://localhost:$P/EWS/Exchange.asmx" --ca-file "$CA_WIN"
stop_server
check "$WORK/tls.json" '
assert ids == ["OIM033"], ids
t = r["probe"]["targets"][0]
assert t["tls"]["trusted"] is False and "localhost" in t["tls"]["subject"], t'
check "$WORK/tls-ca.json" '
assert ids == ["OIM036"], ids
assert r["probe"]["auth_schemes"] == ["Negotiate", "NTLM"]'
ok "OIM033 without --ca-file, OIM036 with it"

step "the Internet Settings proxy (registry) is honoured and reported"
start_server "$WORK/px.port"
P=$(cat "$WORK/px.port")
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 60 wine reg add "$SETTINGS" /v ProxyEnable /t REG_DWORD /d 1 /f >/dev/null
timeout 60 wine reg add "$SETTINGS" /v ProxyServer /t REG_SZ /d "127.0.0.1:$DEAD" /f >/dev/null
timeout 60 wine reg add "$SETTINGS" /v ProxyOverride /t REG_SZ /d "<local>" /f >/dev/null
# The EWS host has a dot, so it goes through the (closed) proxy: OIM032;
# `localhost` is <local>, so it goes direct to the server: OIM036.
probe 1 "$WORK/px.json" --ews-url "http://127.0.0.1:$P/EWS/Exchange.asmx"
probe 0 "$WORK/px-local.json" --ews-url "http://localhost:$P/EWS/Exchange.asmx"
stop_server
check "$WORK/px.json" '
assert ids == ["OIM032"], ids
assert r["probe"]["proxy"]["http"] == "127.0.0.1:'"$DEAD"'", r["probe"]["proxy"]
assert "Windows Internet Settings" in r["probe"]["proxy"]["source"], r["probe"]["proxy"]'
check "$WORK/px-local.json" '
assert ids == ["OIM036"], ids'
ok "ProxyServer used (OIM032 through a closed proxy), <local> bypassed (OIM036)"
