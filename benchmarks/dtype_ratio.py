#!/usr/bin/env python3
"""float64 against float32: sepconv's kernel time in each dtype on suite cases.

    python benchmarks/dtype_ratio.py                      # 13 cases, batch 1, 1 thread
    python benchmarks/dtype_ratio.py --cases valid_s2 k5 --threads 2 --batch 4

Times `Plan.forward` (the fused kernel into a preallocated output) for both
dtypes in one process, interleaved as run.py interleaves the implementations:
--rounds rounds per case, the two dtypes taking turns (the order alternating),
each time the median of all its rounds' calls.  Prints f64 time / f32 time per
case and the geomean; --json writes the raw figures."""

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases as suite  # noqa: E402
import report  # noqa: E402
import timing  # noqa: E402
from runners import sepconv_runner  # noqa: E402

DEFAULT_CASES = ["mbv1_01", "mbv1_03", "mbv1_05", "mbv1_13", "xc_05", "xc_09", "aspp_d6", "k5",
                 "k7", "dm2", "valid_s2", "mbv2_144", "nchw_03"]


def forward_call(case, batch, dtype, threads):
    """A no-argument callable running Plan.forward on the case's data in dtype
    (in the case's own layout: layout_ratio.py passes each layout's twin)."""
    from sepconv import _kernels
    x, dw, pw, bias = suite.make_data(case, batch)
    plan = sepconv_runner.packed_plan(case, dw, pw, bias, dtype)
    x = np.ascontiguousarray(x, dtype)
    y = _kernels.empty_output(sepconv_runner.output_shape(case, batch, case.f), dtype)
    args = sepconv_runner.forward_args(case, batch, threads)
    return lambda: plan.forward(x, y, *args)


def measure(case, batch, threads, rounds, budget, repeats):
    calls = {"float32": forward_call(case, batch, np.float32, threads),
             "float64": forward_call(case, batch, np.float64, threads)}
    return interleave(calls, rounds, budget, repeats)


def interleave(calls, rounds, budget, repeats):
    """{name: pooled timing} of the named calls, taking turns round by round."""
    got = {name: [] for name in calls}
    for r in range(rounds):
        for name in timing.rotated(list(calls), r):
            got[name].append(timing.time_calls(calls[name],
                                               **timing.round_share(r, rounds, budget, repeats)))
    return {name: timing.pool_rounds(res) for name, res in got.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="+", default=DEFAULT_CASES)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--budget", type=float, default=0.6, help="seconds per dtype and case, over all rounds")
    ap.add_argument("--repeats", type=int, default=15, help="minimum timed calls per dtype and case")
    ap.add_argument("--json", default=None, help="write the raw figures here")
    args = ap.parse_args(argv)
    if args.rounds < 1 or args.threads < 1 or args.batch < 1:
        raise SystemExit("--rounds, --threads and --batch must be positive")
    rows = []
    for case in suite.select(args.cases):
        res = measure(case, args.batch, args.threads, args.rounds, args.budget, args.repeats)
        t32, t64 = res["float32"]["median_s"], res["float64"]["median_s"]
        rows.append({"case": case.name, "float32_s": t32, "float64_s": t64, "ratio": t64 / t32,
                     "raw": res})
        print(f"{case.name:<10} f32 {t32 * 1e3:8.3f} ms  f64 {t64 * 1e3:8.3f} ms  f64/f32 {t64 / t32:.2f}",
              flush=True)
    high = ", ".join(r["case"] for r in rows if r["ratio"] > 2.2)
    return finish(rows, args, lambda lo, hi, gm: f"batch {args.batch}, {args.threads} thread(s): f64/f32 "
                  f"{lo:.2f}-{hi:.2f}, geomean {gm:.2f}; above 2.2: {high or 'none'}")


def finish(rows, args, summary):
    """Prints summary(lowest, highest, geomean) of the rows' ratios, writes
    --json, and returns main's exit status (layout_ratio.py ends the same way)."""
    ratios = [r["ratio"] for r in rows]
    gm = report.geomean(ratios)
    print(summary(min(ratios), max(ratios), gm))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"settings": vars(args), "rows": rows, "geomean": gm}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
