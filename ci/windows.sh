#!/usr/bin/env bash
# Windows CI: cross-builds oimdiag.exe (x86_64-pc-windows-gnu) on Debian and runs
# it under Wine the way a helpdesk user would: `oimdiag.exe scan` with no PATH,
# finding the profile under %LOCALAPPDATA% of a fresh Wine prefix. Then runs the
# test suite under Wine. Prints each check; exits non-zero on any failure.
#
# Needs root (apt-get) unless the packages are already there. Idempotent.
# Env knobs: OIMDIAG_KEEP_WINE=1 keeps the temporary Wine prefix for debugging;
# OIMDIAG_SKIP_WINE_TESTS=1 skips `cargo test` under Wine (the scan checks run);
# OIMDIAG_FORCE_BUILD_STD=1 builds std with Debian's rustc-web even if rustup has it.
# With CI=true (set by .ci/run) nothing is worked around or skipped: no rustup
# target after `rustup target add` (so no Windows clippy), no Wine, no mingw,
# OIMDIAG_SKIP_WINE_TESTS or OIMDIAG_FORCE_BUILD_STD each fail the run.
# See docs/windows.md.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
T0=$SECONDS

TARGET=x86_64-pc-windows-gnu
APT_PACKAGES=(gcc-mingw-w64-x86-64 wine wine64 openssl)
NOW=2026-11-23T12:00:00Z
OFFSET=+01:00

step() { printf '\n=== [windows %3ds] %s\n' "$((SECONDS - T0))" "$*"; }
ok() { printf '  ok: %s\n' "$*"; }
die() {
  printf '  FAIL: %s\n' "$*" >&2
  exit 1
}
STRICT=0
case "${CI:-}" in true | 1) STRICT=1 ;; esac
if [ "$STRICT" = 1 ]; then
  [ "${OIMDIAG_SKIP_WINE_TESTS:-0}" != 1 ] || die "CI=true: OIMDIAG_SKIP_WINE_TESTS=1 would skip the tests under Wine"
  [ "${OIMDIAG_FORCE_BUILD_STD:-0}" != 1 ] || die "CI=true: OIMDIAG_FORCE_BUILD_STD=1 would build without Windows clippy"
  echo "  CI=true: a missing target, Wine, mingw or Windows clippy fails this stage"
fi

# ---------------------------------------------------------------- toolchain
apt_install() { # installs those of the named Debian packages that are missing
  local missing=() p
  for p in "$@"; do
    # (Outputs are captured before matching: `cmd | grep -q` can fail under
    # pipefail when grep exits first and cmd gets SIGPIPE.)
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "  apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

step "install what is missing: ${APT_PACKAGES[*]}, rustup target $TARGET"
apt_install "${APT_PACKAGES[@]}"
ok "apt packages present: ${APT_PACKAGES[*]}"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
command -v wine >/dev/null || die "wine not found"
command -v x86_64-w64-mingw32-gcc >/dev/null || die "x86_64-w64-mingw32-gcc not found"
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

# How the Windows target is built: rustup's prebuilt std for the target, or,
# when rustup cannot fetch it (or OIMDIAG_FORCE_BUILD_STD=1), Debian's rustc-web
# 1.96 building std from its rust-web-src sources (-Zbuild-std, unlocked with
# RUSTC_BOOTSTRAP=1) into a target dir of its own.
WIN_CARGO=(cargo)
BUILD_STD=()
TEST_STD=()
WIN_TARGET_DIR=$TARGET_DIR
have_target() {
  command -v rustup >/dev/null || return 1
  local installed
  installed=$(rustup target list --installed)
  grep -qx "$TARGET" <<<"$installed"
}
if [ "${OIMDIAG_FORCE_BUILD_STD:-0}" != 1 ] && ! have_target; then
  if [ "$STRICT" = 1 ]; then
    command -v rustup >/dev/null || die "CI=true: no rustup to add the target $TARGET"
    rustup target add "$TARGET" || die "CI=true: rustup target add $TARGET failed"
  else
    command -v rustup >/dev/null && rustup target add "$TARGET" || true
  fi
fi
if [ "${OIMDIAG_FORCE_BUILD_STD:-0}" != 1 ] && have_target; then
  ok "rustup target $TARGET installed"
elif [ "$STRICT" = 1 ]; then
  die "CI=true: rustup target $TARGET is not installed (the rustc-web fallback has no clippy)"
else
  echo "  no rustup std for $TARGET: building std from source with Debian's rustc-web"
  apt_install rustc-web cargo-web rust-web-src
  [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] || die "rustc-web did not install /usr/bin/rustc, /usr/bin/cargo"
  export RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
  WIN_CARGO=(/usr/bin/cargo)
  WIN_TARGET_DIR="$TARGET_DIR/build-std"
  BUILD_STD=(-Zbuild-std=std,panic_abort --target-dir "$WIN_TARGET_DIR")
  # The test harness needs the `test` crate and unwinding: the default set.
  TEST_STD=(-Zbuild-std --target-dir "$WIN_TARGET_DIR")
  ok "$(/usr/bin/rustc --version), std from /usr/lib/rustlib/src"
fi
host_cargo() { # the Linux build: always the toolchain on PATH, never rustc-web
  env -u RUSTC -u RUSTDOC -u RUSTC_BOOTSTRAP cargo "$@"
}

# ---------------------------------------------------------------- builds
step "cargo build --release --target $TARGET ${BUILD_STD[*]}"
"${WIN_CARGO[@]}" build --release --locked --target "$TARGET" "${BUILD_STD[@]}"
EXE="$WIN_TARGET_DIR/$TARGET/release/oimdiag.exe"
[ -f "$EXE" ] || die "$EXE was not built"
WORK=$(mktemp -d /tmp/oimdiag-win.XXXXXX)
cleanup() {
  # Only our own prefix's wineserver, once we made one.
  if [ -n "${OUR_PREFIX:-}" ]; then WINEPREFIX=$OUR_PREFIX wineserver -k >/dev/null 2>&1 || true; fi
  if [ "${OIMDIAG_KEEP_WINE:-0}" = 1 ]; then
    echo "  (kept $WORK)"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
x86_64-w64-mingw32-strip -o "$WORK/oimdiag.exe" "$EXE"
ok "built $EXE ($(stat -c %s "$EXE") bytes; stripped copy $(stat -c %s "$WORK/oimdiag.exe") bytes)"
dlls=$(x86_64-w64-mingw32-objdump -p "$EXE" | sed -n 's/^\s*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u | tr '\n' ' ')
echo "  imports: $dlls"
for d in $dlls; do
  case "$d" in
  kernel32.dll | ntdll.dll | userenv.dll | ws2_32.dll | msvcrt.dll | advapi32.dll | shell32.dll | ole32.dll | \
    bcryptprimitives.dll | bcrypt.dll | api-ms-win-*.dll) ;;
  # The live probe (issue 22): rustls-native-certs reads the system's trust
  # store through the schannel crate, which imports these two.
  crypt32.dll) ;; # CertOpenStore, CertEnumCertificatesInStore...: the Windows certificate stores
  secur32.dll) ;; # AcquireCredentialsHandleA, FreeCredentialsHandle: schannel's TLS
  #                 credentials, linked with the crate, never called by the probe
  dnsapi.dll) ;; # DnsQuery_W, DnsFree: the autodiscover SRV record through the system resolver
  *) die "the .exe imports $d, which is not a Windows system DLL: users would need to ship it" ;;
  esac
done
ok "the .exe needs only system DLLs"

step "cargo build --release (Linux, the reference run)"
host_cargo build --release --locked
LINUX_BIN="$TARGET_DIR/release/oimdiag"

step "build the ProcessPrng stand-in DLL (ci/wine/bcryptprimitives.c)"
x86_64-w64-mingw32-gcc -O2 -shared -s -Wall -Werror -o "$WORK/bcryptprimitives.dll" \
  ci/wine/bcryptprimitives.c ci/wine/bcryptprimitives.def -ladvapi32
dll_exports=$(x86_64-w64-mingw32-objdump -p "$WORK/bcryptprimitives.dll")
grep -q '\] ProcessPrng$' <<<"$dll_exports" ||
  die "bcryptprimitives.dll does not export ProcessPrng"
ok "bcryptprimitives.dll exports ProcessPrng"

# ---------------------------------------------------------------- Wine prefix
step "create a fresh headless Wine prefix"
OUR_PREFIX="$WORK/prefix"
export WINEPREFIX=$OUR_PREFIX WINEDEBUG=-all WINEARCH=win64
# No Mono/Gecko installers (they would want a display and the network).
export WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
# Wine converts arguments and file names with the Unix locale: make it UTF-8.
export LC_ALL=C.UTF-8
# `wineboot -i` reports a missing 32-bit rundll32 (no wine32 here); harmless.
# Every Wine call has a time limit: a hung Wine must fail CI, not stall it.
timeout 300 wineboot -i >"$WORK/wineboot.log" 2>&1 || { cat "$WORK/wineboot.log"; die "wineboot -i failed"; }
timeout 120 wineserver -w
SYS32="$WINEPREFIX/drive_c/windows/system32"
[ -d "$SYS32" ] || die "no system32 in the new prefix"
if [ -e "$SYS32/bcryptprimitives.dll" ]; then
  echo "  this Wine ships bcryptprimitives.dll; the stand-in is not needed"
else
  cp "$WORK/bcryptprimitives.dll" "$SYS32/"
  ok "stand-in bcryptprimitives.dll installed in system32"
fi
winrun() { timeout 120 wine "$@" | tr -d '\r'; }

LOCAL_WIN=$(winrun cmd /c 'echo %LOCALAPPDATA%')
LOCAL_UNIX=$(timeout 120 winepath -u "$LOCAL_WIN" | tr -d '\r')
[ -d "$LOCAL_UNIX" ] || die "%LOCALAPPDATA% ($LOCAL_WIN -> $LOCAL_UNIX) is not a folder"
ok "%LOCALAPPDATA% is $LOCAL_WIN ($LOCAL_UNIX)"
# -a keeps file times: items without a content date are aged by their mtime,
# and the Linux reference run reads the same times from sample-spooler/.
cp -a sample-spooler/Microsoft "$LOCAL_UNIX/"
ok "copied sample-spooler/Microsoft into %LOCALAPPDATA%"
cp "$WORK/oimdiag.exe" "$WINEPREFIX/drive_c/oimdiag.exe"
EXE_WIN='C:\oimdiag.exe'

# ---------------------------------------------------------------- the user's run
step "oimdiag.exe --version"
v=$(winrun "$EXE_WIN" --version) || die "oimdiag.exe does not start under Wine"
ok "$v"

run_expect() { # expected-exit-code output-file command...
  local want=$1 out=$2 rc=0
  shift 2
  timeout 300 "$@" >"$out" 2>"$out.err" || rc=$?
  if [ "$rc" != "$want" ]; then
    cat "$out.err" >&2
    die "'$*' exited $rc, expected $want"
  fi
}

step "Linux reference: oimdiag scan <copy of sample-spooler/Microsoft> --format json --now $NOW --utc-offset $OFFSET"
# The same tree the Windows run finds in %LOCALAPPDATA%: Microsoft\... only
# (sample-spooler/admin holds admin exports a helpdesk adds to a collected copy;
# they are compared in the collected-copy run below).
mkdir "$WORK/linux-local"
cp -a sample-spooler/Microsoft "$WORK/linux-local/"
run_expect 1 "$WORK/linux.json" "$LINUX_BIN" scan "$WORK/linux-local" --format json \
  --now "$NOW" --utc-offset "$OFFSET" --quiet
ok "exit 1 (findings), as expected"

step "Windows: oimdiag.exe scan --format json --now $NOW --utc-offset $OFFSET   (no PATH)"
run_expect 1 "$WORK/win.json" wine "$EXE_WIN" scan --format json --now "$NOW" --utc-offset "$OFFSET"
ok "exit 1 (findings), as on Linux"
python3 ci/wine/compare_reports.py --win-root "$LOCAL_WIN" --linux-root "$WORK/linux-local" \
  "$WORK/win.json" "$WORK/linux.json"

step "Windows: %LOCALAPPDATA% unset: the Known Folder is used"
run_expect 1 "$WORK/win-noenv.json" wine cmd /c \
  "set LOCALAPPDATA=&& $EXE_WIN scan --format json --now $NOW --utc-offset $OFFSET"
python3 ci/wine/compare_reports.py --win-root "$LOCAL_WIN" --linux-root "$WORK/linux-local" \
  "$WORK/win-noenv.json" "$WORK/linux.json"

step "Windows: a collected copy (all of sample-spooler/) below a \\\\?\\ path of > 260 chars, spaces, non-ASCII, other case"
# A zip extracted by the helpdesk below a deep folder whose names are not ASCII,
# spelt in another letter case than the client's (Windows compares names
# case-insensitively), with the admin exports beside it.
DEEP_WIN='C:\Tickets\INC 4711 Jürgen Müller\東京 オフィス'
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do DEEP_WIN="$DEEP_WIN\\collected copy number $i of 12"; done
# Not winepath: it cuts paths at MAX_PATH. C:\ is $WINEPREFIX/drive_c.
deep_rel=${DEEP_WIN#C:\\}
DEEP_UNIX="$WINEPREFIX/drive_c/${deep_rel//\\//}"
mkdir -p "$DEEP_UNIX/microsoft/OFFICE/16.0"
cp -a sample-spooler/Microsoft/Office/16.0/Lync "$DEEP_UNIX/microsoft/OFFICE/16.0/lync"
for d in sample-spooler/*; do
  [ "$(basename "$d")" = Microsoft ] || cp -a "$d" "$DEEP_UNIX/"
done
L="$DEEP_UNIX/microsoft/OFFICE/16.0/lync"
mv "$L/sip_alice@contoso.com" "$L/SIP_Alice@Contoso.com"
mv "$L/SIP_Alice@Contoso.com/History Spooler" "$L/SIP_Alice@Contoso.com/HISTORY spooler"
deep_item="$DEEP_WIN\\microsoft\\OFFICE\\16.0\\lync\\SIP_Alice@Contoso.com\\HISTORY spooler\\7f3a9c.hist"
echo "  deepest item path: ${#deep_item} characters"
[ "${#deep_item}" -gt 260 ] || die "the test path is not longer than MAX_PATH"
run_expect 1 "$WORK/linux-full.json" "$LINUX_BIN" scan "$REPO/sample-spooler" --format json \
  --now "$NOW" --utc-offset "$OFFSET" --quiet
run_expect 1 "$WORK/win-deep.json" wine "$EXE_WIN" scan "\\\\?\\$DEEP_WIN" --format json \
  --now "$NOW" --utc-offset "$OFFSET"
python3 ci/wine/compare_reports.py --win-root "$DEEP_WIN" --linux-root "$REPO/sample-spooler" \
  --case-insensitive "$WORK/win-deep.json" "$WORK/linux-full.json"

step "Windows: --output to a folder with spaces; a text report file uses CRLF, JSON and stdout LF"
mkdir -p "$WINEPREFIX/drive_c/Help Desk/Ticket 42"
OUT_WIN='C:\Help Desk\Ticket 42'
run_expect 1 "$WORK/out.log" wine "$EXE_WIN" scan --now "$NOW" --utc-offset "$OFFSET" \
  --output "$OUT_WIN\\report.json" --format json
run_expect 1 "$WORK/out.log" wine "$EXE_WIN" scan --now "$NOW" --utc-offset "$OFFSET" \
  --output "$OUT_WIN\\report.txt"
run_expect 2 "$WORK/out.log" wine "$EXE_WIN" scan --now "$NOW" --utc-offset "$OFFSET" \
  --output "$OUT_WIN\\report.txt"
grep -q 'already exists' "$WORK/out.log.err" || die "no refusal to overwrite report.txt"
ok "--output refuses to overwrite without --force (exit 2)"
run_expect 1 "$WORK/win-stdout.txt" wine "$EXE_WIN" scan --now "$NOW" --utc-offset "$OFFSET"
run_expect 1 "$WORK/out.log" wine "$EXE_WIN" scan "$DEEP_WIN" --now "$NOW" --utc-offset "$OFFSET" \
  --output "$OUT_WIN\\report-deep.txt"
python3 ci/wine/check_outputs.py "$WINEPREFIX/drive_c/Help Desk/Ticket 42" "$WORK/win.json" \
  "$WORK/win-stdout.txt"

OIMDIAG_EXE="$WORK/oimdiag.exe" ci/wine/installed_client.sh || die "the installed-client stage (ci/wine/installed_client.sh) failed"
OIMDIAG_EXE="$WORK/oimdiag.exe" ci/wine/probe.sh || die "the live probe stage (ci/wine/probe.sh) failed"

step "the scanned files were not modified"
(cd sample-spooler && find Microsoft -type f -print0 | sort -z | xargs -0 sha256sum) >"$WORK/local.sum"
(cd "$LOCAL_UNIX" && sha256sum -c --quiet "$WORK/local.sum") || die "a scanned file changed"
ok "every file under %LOCALAPPDATA%\\Microsoft still matches sample-spooler/Microsoft"
(cd sample-spooler && find . -path ./Microsoft -prune -o -type f -print0 | sort -z | xargs -0 -r sha256sum) \
  >"$WORK/extras.sum"
(cd "$DEEP_UNIX" && sha256sum -c --quiet "$WORK/extras.sum") || die "a scanned file changed"
ok "the collected extras (admin exports) still match sample-spooler/"

# ---------------------------------------------------------------- tests under Wine
if [ "${OIMDIAG_SKIP_WINE_TESTS:-0}" = 1 ]; then
  step "cargo test under Wine: skipped (OIMDIAG_SKIP_WINE_TESTS=1)"
else
  if [ ${#TEST_STD[@]} -eq 0 ]; then
    step "cargo clippy --all-targets --target $TARGET -- -D warnings"
    cargo clippy --locked --all-targets --target "$TARGET" -- -D warnings
    ok "no warnings in the Windows build"
  else
    # Not reached with CI=true (the fallback fails above).
    step "cargo clippy for $TARGET: skipped (rustc-web has no clippy)"
  fi

  step "cargo test --target $TARGET ${TEST_STD[*]}, run under Wine"
  # Every test binary runs as a Windows process in the same prefix.
  # As on Linux (.ci/run), ignored tests run too (today every test that needs
  # root is Linux-only); only the two hand-run benchmarks are left out.
  OIMDIAG_UNDER_WINE=1 CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="timeout 900 wine" \
    "${WIN_CARGO[@]}" test --locked --no-fail-fast --target "$TARGET" "${TEST_STD[@]}" \
    -- --include-ignored --skip sniff_throughput --skip uccapilog::tests::throughput ||
    die "tests failed under Wine (their names and messages are above)"
  ok "the test suite passed under Wine"
fi

step "Windows CI passed in $((SECONDS - T0)) s"
