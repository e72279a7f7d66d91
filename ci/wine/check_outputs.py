#!/usr/bin/env python3
"""Checks the files oimdiag.exe wrote under Wine: report.json is byte-identical
to the JSON on stdout (UTF-8, LF, no BOM); report.txt and the text on stdout
use Windows line endings (CRLF) and are UTF-8. Exits 1 on any failure.

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
check(crlf_only(st), "the text report on stdout uses CRLF line endings")
check(rt == st, "report.txt is byte-identical to the text printed on stdout")
try:
    t = rt.decode("utf-8")
    check("\u2014" in t, "report.txt is UTF-8 (the em dash in its title survives)")
except UnicodeDecodeError as e:
    check(False, f"report.txt is UTF-8: {e}")
check(not any(f.startswith(".oimdiag-") for f in os.listdir(outdir)),
      "no temporary file left beside the reports")
if failures:
    sys.exit(1)
