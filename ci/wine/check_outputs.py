#!/usr/bin/env python3
"""Checks the files oimdiag.exe wrote under Wine: report.json is byte-identical
to the JSON on stdout (UTF-8, LF, no BOM); report.txt and the text on stdout
are UTF-8, the file with Windows line endings (CRLF), stdout with LF; report-deep.txt (a scan of a
folder with non-ASCII names) keeps those names in UTF-8. Exits 1 on any failure.

usage: check_outputs.py OUTDIR STDOUT.json STDOUT.txt
"""
import json
import os
import sys

failures = []


def check(ok, what):
    print(("  ok: " if ok else "  FAIL: ") + what)
    if not ok:
        failures.append(what)


def crlf_only(b):
    return b.count(b"\n") > 0 and b.count(b"\n") == b.count(b"\r\n") and b.count(b"\r") == b.count(b"\r\n")


outdir, stdout_json, stdout_txt = sys.argv[1:4]
rj = open(os.path.join(outdir, "report.json"), "rb").read()
sj = open(stdout_json, "rb").read()
check(rj == sj, "report.json is byte-identical to the JSON printed on stdout")
check(b"\r" not in rj and not rj.startswith(b"\xef\xbb\xbf"),
      "JSON uses LF line endings and no BOM (RFC 8259)")
json.loads(rj.decode("utf-8"))
check(True, "report.json parses as UTF-8 JSON")

rt = open(os.path.join(outdir, "report.txt"), "rb").read()
st = open(stdout_txt, "rb").read()
check(crlf_only(rt), "report.txt uses CRLF line endings")
check(b"\r" not in st, "the text report on stdout uses LF, as on every platform")
check(rt == st.replace(b"\n", b"\r\n"), "report.txt is the text printed on stdout, with CRLF")
try:
    rt.decode("utf-8")
    check(not rt.startswith(b"\xef\xbb\xbf"), "report.txt is UTF-8 without BOM")
except UnicodeDecodeError as e:
    check(False, f"report.txt is UTF-8: {e}")
# A text report of the collected copy below `...\INC 4711 Jürgen Müller\東京 オフィス`:
# non-ASCII path names must reach the file as UTF-8.
deep = open(os.path.join(outdir, "report-deep.txt"), "rb").read()
try:
    d = deep.decode("utf-8")
    check("Jürgen Müller" in d and "東京 オフィス" in d and crlf_only(deep),
          "non-ASCII names reach a text report as UTF-8 (Jürgen Müller, 東京 オフィス), CRLF")
except UnicodeDecodeError as e:
    check(False, f"report-deep.txt is UTF-8: {e}")
check(not any(f.startswith(".oimdiag-") for f in os.listdir(outdir)),
      "no temporary file left beside the reports")
if failures:
    sys.exit(1)
