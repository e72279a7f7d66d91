#!/usr/bin/env python3
"""Paired A/B rounds of two oimdiag binaries on one tree (issue 17).

    bench/ab.py ROUNDS TREE FORMAT OLD_BINARY NEW_BINARY

One warm-up run each, then ROUNDS rounds, each one run of both binaries in
alternating order (stdout discarded), with
`scan TREE --format FORMAT --now 2026-11-30T00:00:00Z --utc-offset +00:00 --quiet`.
Prints each binary's wall and CPU (user + sys) medians, their ratios, and the
median of the per-round wall ratios (new / old), with the load average
before and after: on a shared machine the paired ratio and the CPU time move
less than the wall time.
"""
import os
import resource
import statistics
import subprocess
import sys
import time

rounds, tree, fmt = int(sys.argv[1]), sys.argv[2], sys.argv[3]
bins = sys.argv[4:6]


def args(b):
    return [b, "scan", tree, "--format", fmt, "--now", "2026-11-30T00:00:00Z",
            "--utc-offset", "+00:00", "--quiet"]


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


wall = {b: [] for b in bins}
cpu = {b: [] for b in bins}
with open(os.devnull, "w") as devnull:
    for b in bins:
        subprocess.run(args(b), stdout=devnull, check=False)
    print("load before", load())
    for r in range(rounds):
        for b in bins if r % 2 == 0 else bins[::-1]:
            ru = resource.getrusage(resource.RUSAGE_CHILDREN)
            c0 = ru.ru_utime + ru.ru_stime
            t0 = time.perf_counter()
            subprocess.run(args(b), stdout=devnull, check=False)
            wall[b].append(time.perf_counter() - t0)
            ru = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[b].append(ru.ru_utime + ru.ru_stime - c0)
    print("load after", load())
w0, c0 = statistics.median(wall[bins[0]]), statistics.median(cpu[bins[0]])
for b in bins:
    w, c = statistics.median(wall[b]), statistics.median(cpu[b])
    print(f"{b}: wall median {w:.3f} s (min {min(wall[b]):.3f}, max {max(wall[b]):.3f}, "
          f"n={len(wall[b])}) ratio {w / w0:.3f}; cpu median {c:.3f} s ratio {c / c0:.3f}")
paired = [n / o for o, n in zip(wall[bins[0]], wall[bins[1]])]
print(f"paired wall ratio (new/old) median {statistics.median(paired):.3f}")
