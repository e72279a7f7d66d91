#!/usr/bin/env bash
# Builds a stand-in lync.exe: a do-nothing x86-64 Windows program of a few KB
# whose version resource says FILEVERSION $1 (e.g. 16.0.6741.2048), like the
# real client's. Used by ci/wine/installed_client.sh and to make the fixtures
# in tests/fixtures/lync-exe/ (see the README there).
# Usage: make_lync_exe.sh 16.0.6741.2048 OUT.exe
# Needs: x86_64-w64-mingw32-gcc and x86_64-w64-mingw32-windres (Debian: gcc-mingw-w64-x86-64, binutils-mingw-w64-x86-64).
set -euo pipefail
VERSION=$1
OUT=$2
IFS=. read -r A B C D <<<"$VERSION"
[ -n "${D:-}" ] || { echo "make_lync_exe.sh: '$VERSION' is not a.b.c.d" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cat >"$TMP/lync.rc" <<RC
1 VERSIONINFO
FILEVERSION $A,$B,$C,$D
PRODUCTVERSION $A,$B,$C,$D
FILEOS 0x40004
FILETYPE 0x1
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "CompanyName", "oimdiag test stand-in"
      VALUE "FileDescription", "Stand-in for Skype for Business (not Microsoft's)"
      VALUE "FileVersion", "$VERSION"
      VALUE "OriginalFilename", "lync.exe"
      VALUE "ProductVersion", "$VERSION"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
RC
printf 'int mainCRTStartup(void) { return 0; }\n' >"$TMP/lync.c"
x86_64-w64-mingw32-windres "$TMP/lync.rc" -O coff -o "$TMP/lync.res"
x86_64-w64-mingw32-gcc -Os -s -nostdlib -e mainCRTStartup -Wl,--subsystem,console \
  -o "$OUT" "$TMP/lync.c" "$TMP/lync.res"
