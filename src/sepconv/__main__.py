"""`python -m sepconv`: build facts, a self-check of the public API against a
float64 reference, and MobileNetV1 timings against the machine's FMA peak.
Exits non-zero when a self-check fails."""

import argparse
import platform
import sys

import numpy as np


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m sepconv", description=__doc__)
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for the timings (default: sepconv.get_num_threads())")
    ap.add_argument("--no-timing", action="store_true", help="self-check only")
    ap.add_argument("--budget", type=float, default=0.25, help="seconds of timed calls per layer")
    args = ap.parse_args(argv)

    import sepconv
    from sepconv import _bench, _kernels

    threads = args.threads or sepconv.get_num_threads()
    print(f"sepconv {sepconv.__version__}  (Python {platform.python_version()}, "
          f"NumPy {np.__version__}, {platform.machine()})")
    print(f"SIMD level: {sepconv.selected_isa()} (best supported: {_kernels.best_isa()})")
    omp = "enabled" if sepconv.openmp_enabled() else "disabled (serial build)"
    print(f"OpenMP: {omp}; threads: {sepconv.get_num_threads()}"
          + (f" (timings use {threads})" if threads != sepconv.get_num_threads() else ""))

    results = _bench.self_check()
    failed = [r for r in results if not r[1]]
    print(f"\nself-check against a float64 NumPy reference: "
          f"{len(results) - len(failed)}/{len(results)} passed")
    for label, ok, err, tol in results:
        print(f"  {'ok  ' if ok else 'FAIL'} {label}  (max error {err:.2e}, tolerance {tol:.1e})")
    if failed:
        print("self-check FAILED", file=sys.stderr)
        return 1
    if args.no_timing:
        return 0

    peak = _kernels.probe_peak_flops(threads, 0.3)
    print(f"\nMobileNetV1 separable layers, batch 1, float32, NHWC, {threads} thread(s); "
          f"measured FMA peak {peak / 1e9:.0f} GFLOP/s")
    rows = _bench.time_mobilenet(threads, budget=args.budget)
    print(f"{'layer':<9} {'input':>13} {'s':>2} {'F':>5} {'ms/call':>9} {'GFLOP/s':>8} {'% peak':>7}")
    total_t = total_f = 0.0
    for (name, side, c, stride, f, t, _reps, fl), (*_, count) in zip(rows, _bench.MOBILENET_V1):
        print(f"{name:<9} {f'{side}x{side}x{c}':>13} {stride:>2} {f:>5} {t * 1e3:>9.3f} "
              f"{fl / t / 1e9:>8.1f} {100 * fl / t / peak:>7.1f}")
        total_t += count * t
        total_f += count * fl
    print(f"{'13 blocks':<9} {'':>13} {'':>2} {'':>5} {total_t * 1e3:>9.3f} "
          f"{total_f / total_t / 1e9:>8.1f} {100 * total_f / total_t / peak:>7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
