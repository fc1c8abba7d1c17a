#!/usr/bin/env python3
"""channels_first against channels_last: sepconv's kernel time in each layout.

    python benchmarks/layout_ratio.py                     # mbv1_03 geometry, batch 1 and 16, 1 and 2 threads
    python benchmarks/layout_ratio.py --cases mbv1_03 k5 --batch 16 --threads 1

The suite's channels_first case (nchw_03) is mbv1_03 in the other layout, and
the full run times the two several minutes apart, so on a shared machine their
quotient carries whatever slowed one of them.  This times both layouts of each
case in one process, interleaved round by round as dtype_ratio.py does (the
fused kernel into a preallocated output, float32), and prints channels_last
time / channels_first time: the speed of channels_first as a fraction of
channels_last's (target: at least 0.9).  --json writes the raw figures."""

import argparse
import dataclasses
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases as suite  # noqa: E402
from dtype_ratio import finish, forward_call, interleave  # noqa: E402


def measure(case, batch, threads, rounds, budget, repeats):
    calls = {fmt: forward_call(dataclasses.replace(case, data_format=fmt), batch, np.float32, threads)
             for fmt in ("channels_last", "channels_first")}
    return interleave(calls, rounds, budget, repeats)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="+", default=["mbv1_03"])
    ap.add_argument("--batch", nargs="+", type=int, default=[1, 16])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--budget", type=float, default=2.0, help="seconds per layout and measurement")
    ap.add_argument("--repeats", type=int, default=15, help="minimum timed calls per layout and measurement")
    ap.add_argument("--json", default=None, help="write the raw figures here")
    args = ap.parse_args(argv)
    if args.rounds < 1 or min(args.threads) < 1 or min(args.batch) < 1:
        raise SystemExit("--rounds, --threads and --batch must be positive")
    rows = []
    for case in suite.select(args.cases):
        for batch in args.batch:
            for threads in args.threads:
                res = measure(case, batch, threads, args.rounds, args.budget, args.repeats)
                tl, tf = res["channels_last"]["median_s"], res["channels_first"]["median_s"]
                rows.append({"case": case.name, "batch": batch, "threads": threads,
                             "channels_last_s": tl, "channels_first_s": tf, "ratio": tl / tf, "raw": res})
                print(f"{case.name:<10} batch {batch:>2}, {threads} thread(s): channels_last "
                      f"{tl * 1e3:8.3f} ms  channels_first {tf * 1e3:8.3f} ms  cl/cf {tl / tf:.3f}",
                      flush=True)
    low = ", ".join("%s b%d/%dt" % (r["case"], r["batch"], r["threads"]) for r in rows if r["ratio"] < 0.9)
    return finish(rows, args, lambda lo, hi, gm: f"channels_first speed / channels_last speed: "
                  f"{lo:.3f}-{hi:.3f}, geomean {gm:.3f}; under 0.9: {low or 'none'}")


if __name__ == "__main__":
    sys.exit(main())
