#!/usr/bin/env bash
# Builds the release a helpdesk downloads: dist/oimdiag-<version>-windows-x64.zip
# holding the stripped oimdiag.exe (x86_64-pc-windows-gnu, needs only system
# DLLs), README.md, LICENSE and SHA256SUMS of the three; then unpacks the
# archive elsewhere, checks the sums, and runs the unpacked .exe under Wine
# (--version, and a scan of sample-spooler/ giving the verdict the Linux
# build gives). Nobody needs a Rust toolchain to use what it makes.
#
# Needs: rustup target x86_64-pc-windows-gnu, mingw-w64 (gcc, strip), zip,
# unzip, wine, python3. Usage: ci/release.sh   (env OIMDIAG_SKIP_WINE=1 skips
# the Wine check, and says so).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=x86_64-pc-windows-gnu
step() { printf '\n=== [release] %s\n' "$*"; }
die() {
  printf '  FAIL: %s\n' "$*" >&2
  exit 1
}
for t in cargo x86_64-w64-mingw32-gcc x86_64-w64-mingw32-strip zip unzip sha256sum python3; do
  command -v "$t" >/dev/null || die "$t not found"
done
VERSION=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="oimdiag"))')
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
NAME="oimdiag-$VERSION-windows-x64"

step "cargo build --release --target $TARGET"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
cargo build --release --locked --target "$TARGET"
EXE="$TARGET_DIR/$TARGET/release/oimdiag.exe"
[ -f "$EXE" ] || die "$EXE was not built"

step "dist/$NAME.zip"
STAGE=$(mktemp -d /tmp/oimdiag-release.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
mkdir "$STAGE/$NAME"
x86_64-w64-mingw32-strip -o "$STAGE/$NAME/oimdiag.exe" "$EXE"
cp README.md LICENSE "$STAGE/$NAME/"
(cd "$STAGE/$NAME" && sha256sum oimdiag.exe README.md LICENSE >SHA256SUMS)
mkdir -p dist
rm -f "dist/$NAME.zip"
# Fixed file times and no extra attributes: the same sources give the same zip.
find "$STAGE/$NAME" -exec touch -d "@$(git log -1 --format=%ct)" {} +
(cd "$STAGE" && zip -q -X -r "$OLDPWD/dist/$NAME.zip" "$NAME")
(cd dist && sha256sum "$NAME.zip" >"$NAME.zip.sha256")
echo "  dist/$NAME.zip: $(stat -c %s "dist/$NAME.zip") bytes; sha256 $(cut -d' ' -f1 "dist/$NAME.zip.sha256")"
unzip -l "dist/$NAME.zip"

step "check the unpacked archive"
CHECK="$STAGE/check"
mkdir "$CHECK"
unzip -q "dist/$NAME.zip" -d "$CHECK"
(cd "$CHECK/$NAME" && sha256sum -c --quiet SHA256SUMS) || die "SHA256SUMS does not match the unpacked files"
echo "  ok: SHA256SUMS matches"
if [ "${OIMDIAG_SKIP_WINE:-0}" = 1 ]; then
  echo "  the .exe was NOT run under Wine (OIMDIAG_SKIP_WINE=1)"
  exit 0
fi
command -v wine >/dev/null || die "wine not found (or set OIMDIAG_SKIP_WINE=1 to skip this check)"
export WINEPREFIX="$STAGE/prefix" WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml=" LC_ALL=C.UTF-8
unset DISPLAY WAYLAND_DISPLAY
timeout 300 wineboot -i >/dev/null 2>&1 || die "wineboot -i failed"
timeout 120 wineserver -w
SYS32="$WINEPREFIX/drive_c/windows/system32"
if [ ! -e "$SYS32/bcryptprimitives.dll" ]; then
  # Older Wine lacks ProcessPrng, which Rust's std needs (see docs/windows.md).
  x86_64-w64-mingw32-gcc -O2 -shared -s -o "$SYS32/bcryptprimitives.dll" \
    ci/wine/bcryptprimitives.c ci/wine/bcryptprimitives.def -ladvapi32
fi
v=$(timeout 120 wine "$CHECK/$NAME/oimdiag.exe" --version | tr -d '\r')
[ "$v" = "oimdiag $VERSION" ] || die "the unpacked .exe says '$v', expected 'oimdiag $VERSION'"
echo "  ok: $v"
cp -r sample-spooler "$WINEPREFIX/drive_c/sample"
rc=0
timeout 300 wine "$CHECK/$NAME/oimdiag.exe" scan 'C:\sample' --format json --now 2026-11-23T12:00:00Z \
  --utc-offset +01:00 --quiet >"$STAGE/win.json" || rc=$?
[ "$rc" = 1 ] || die "the unpacked .exe's scan of sample-spooler exited $rc, expected 1"
verdict=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["verdict"])' "$STAGE/win.json")
[ "$verdict" = failing ] || die "the unpacked .exe's verdict on sample-spooler is $verdict, expected failing"
echo "  ok: the unpacked .exe scans sample-spooler under Wine: verdict $verdict, exit 1"
wineserver -k >/dev/null 2>&1 || true
step "dist/$NAME.zip is ready"
