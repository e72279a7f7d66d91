#!/usr/bin/env python3
"""Compares a JSON report of oimdiag.exe under Wine with the Linux report of the
same tree. Paths differ by design (C:\\...\\x vs /.../x): they are checked to be
Windows paths below the Windows root and compared relative to their roots.
Everything else must be identical. Prints each check; exits 1 on any failure.

usage: compare_reports.py --win-root 'C:\\users\\u\\AppData\\Local' \
           --linux-root /abs/sample-spooler [--case-insensitive] WIN.json LINUX.json
"""
import argparse
import json
import re
import sys

failures = []


def check(ok, what, detail=""):
    print(("  ok: " if ok else "  FAIL: ") + what)
    if not ok:
        if detail:
            print("        " + str(detail).replace("\n", "\n        "))
        failures.append(what)
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--win-root", required=True)
    ap.add_argument("--linux-root", required=True)
    ap.add_argument("--case-insensitive", action="store_true",
                    help="the Windows copy spells folder names in another case")
    ap.add_argument("win")
    ap.add_argument("linux")
    a = ap.parse_args()
    win = json.load(open(a.win, encoding="utf-8"))
    lin = json.load(open(a.linux, encoding="utf-8"))
    win_root = a.win_root.rstrip("\\")
    lin_root = a.linux_root.rstrip("/")

    def rel_win(p):
        if not (p.lower() + "\\").startswith(win_root.lower() + "\\"):
            return None
        r = p[len(win_root):].lstrip("\\").replace("\\", "/")
        return r.lower() if a.case_insensitive else r

    def rel_lin(p):
        if not (p + "/").startswith(lin_root + "/"):
            return None
        r = p[len(lin_root):].lstrip("/")
        return r.lower() if a.case_insensitive else r

    # 1. both profiles discovered
    users = win["facts"]["sip_users"]
    check({"alice@contoso.com", "bob@contoso.com"} <= set(users),
          f"facts.sip_users has alice and bob: {users}")
    check(users == lin["facts"]["sip_users"], "facts.sip_users as on Linux",
          f"linux: {lin['facts']['sip_users']}")

    # 2. paths are Windows paths below the root, never \\?\ verbatim paths
    win_paths = [i["path"] for i in win["spool_items"]]
    check(len(win_paths) > 0, f"{len(win_paths)} spool items found")
    bad = [p for p in win_paths
           if not re.match(r"^[A-Za-z]:\\", p) or "/" in p or rel_win(p) is None]
    check(not bad, f"spool_items[].path are Windows paths (C:\\...) below {win_root}",
          "\n".join(bad))
    every_path = []

    def collect(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "path" and isinstance(x, str) and x and x != "command line":
                    every_path.append(x)
                else:
                    collect(x)
        elif isinstance(v, list):
            for x in v:
                collect(x)
    collect(win)
    verbatim = [p for p in every_path if p.startswith("\\\\?\\")]
    check(not verbatim, f"no \\\\?\\ prefix in any of {len(every_path)} reported paths",
          "\n".join(verbatim[:5]))

    # 3. findings
    ids = lambda r: [f["rule_id"] for f in r["findings"]]
    check(ids(win) == ids(lin), f"findings rule_ids as on Linux: {ids(win)}",
          f"linux: {ids(lin)}")
    check(win["summary"] == lin["summary"],
          f"summary as on Linux (verdict {win['summary']['verdict']})",
          f"win:   {win['summary']}\nlinux: {lin['summary']}")

    # 4. items, matched by their path below the root
    wi = {rel_win(i["path"]): i for i in win["spool_items"]}
    li = {rel_lin(i["path"]): i for i in lin["spool_items"]}
    check(sorted(wi) == sorted(li), "the same spool items as on Linux",
          f"win:   {sorted(wi)}\nlinux: {sorted(li)}")
    for rel in sorted(set(wi) & set(li)):
        w = {k: v for k, v in wi[rel].items() if k != "path"}
        l = {k: v for k, v in li[rel].items() if k != "path"}
        check(w == l, f"item {rel}: state {w['state']}, recipient {w['recipient']}, "
              f"sent_at {w['sent_at']} ({w['sent_at_source']}) as on Linux",
              "\n".join(f"{k}: win {w.get(k)!r} linux {l.get(k)!r}"
                        for k in sorted(set(w) | set(l)) if w.get(k) != l.get(k)))

    # 5. everything but inputs and machine (which describes the machine that
    #    ran the scan: host, OS, user, zone, what was installed there), with
    #    paths made relative to their roots: any string that is a path below
    #    the root (a `path` field, or a list of paths such as
    #    attempts[].spool_items) compares by its relative form.
    def norm(v, rel):
        if isinstance(v, dict):
            return {k: norm(x, rel) for k, x in v.items() if k not in ("inputs", "machine")}
        if isinstance(v, list):
            return [norm(x, rel) for x in v]
        if isinstance(v, str):
            r = rel(v)
            return v if r is None else "<root>/" + r
        return v
    nw, nl = norm(win, rel_win), norm(lin, rel_lin)
    diffs = []

    def diff(x, y, where):
        if type(x) is not type(y):
            diffs.append(f"{where}: win {x!r} linux {y!r}")
        elif isinstance(x, dict):
            for k in sorted(set(x) | set(y)):
                diff(x.get(k), y.get(k), f"{where}.{k}")
        elif isinstance(x, list) and len(x) == len(y):
            for n, (p, q) in enumerate(zip(x, y)):
                diff(p, q, f"{where}[{n}]")
        elif x != y:
            diffs.append(f"{where}: win {x!r} linux {y!r}")
    diff(nw, nl, "report")
    check(not diffs, "the whole report (but inputs) matches Linux, paths taken relative",
          "\n".join(diffs[:20]))

    # 6. inputs: the same files, the same kinds
    def inputs(r, rel):
        return (sorted((rel(s["path"]), s["kind"]) for s in r["inputs"]["scanned"]),
                sorted(rel(s["path"]) for s in r["inputs"]["skipped"]))
    iw, il = inputs(win, rel_win), inputs(lin, rel_lin)
    check(iw == il, f"inputs: {len(iw[0])} scanned, {len(iw[1])} skipped, as on Linux",
          f"win:   {iw}\nlinux: {il}")

    if failures:
        print(f"  {len(failures)} check(s) failed")
        sys.exit(1)


main()
