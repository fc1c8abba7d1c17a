"""One benchmark worker: times one implementation (sepconv or one peer) on a
list of cases and batches at one thread count, in its own process.

Thread limits are put in the environment and the CPU affinity mask before the
framework is imported; the runner then also applies the framework's own API.
Writes one JSON document to --out; progress goes to stderr."""

import argparse
import importlib
import json
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))

# peer name -> (runner module, variant passed to its setup)
RUNNERS = {
    "sepconv": ("runners.sepconv_runner", None),
    "tf": ("runners.tf_runner", None),
    "torch": ("runners.torch_runner", "nchw"),
    "torch_cl": ("runners.torch_runner", "channels_last"),
    "torch_compile": ("runners.torch_runner", "compile"),
    "ort": ("runners.ort_runner", None),
    "jax": ("runners.jax_runner", None),
}
PEERS = [name for name in RUNNERS if name != "sepconv"]


def limit_threads(threads):
    """Environment and affinity limits; must run before any framework import."""
    t = str(threads)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                "TF_NUM_INTRAOP_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[var] = t
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    # One OpenMP thread per core, for every OpenMP user alike (sepconv, torch).  Unbound,
    # the OS may stack two spinning team threads on one core while another process holds
    # the other, and each barrier then waits a scheduler tick (4 ms steps were seen on
    # this shared machine).  The caller's own OMP_PROC_BIND wins.
    os.environ.setdefault("OMP_PROC_BIND", "true")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["JAX_PLATFORMS"] = "cpu"
    if threads == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false"
                                   " intra_op_parallelism_threads=1").strip()
    # pin to `threads` CPUs so no framework can use more cores than its peers
    if hasattr(os, "sched_getaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        if threads < len(cpus):
            os.sched_setaffinity(0, cpus[:threads])


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--peer", required=True, choices=sorted(RUNNERS))
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--cases", nargs="*", default=None)
    ap.add_argument("--batches", nargs="+", type=int, default=[1, 16])
    ap.add_argument("--budget", type=float, default=0.3, help="seconds of timed calls per measurement")
    ap.add_argument("--repeats", type=int, default=5, help="minimum timed calls per measurement")
    ap.add_argument("--split-limit", type=float, default=1.0,
                    help="sepconv only: skip the kernel split for calls slower than this (s)")
    ap.add_argument("--probe", action="store_true", help="sepconv only: measure peak and bandwidth")
    ap.add_argument("--probe-bytes", type=int, default=1 << 30)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    limit_threads(args.threads)
    sys.path.insert(0, HERE)
    import cases as suite
    from timing import time_calls

    doc = {"peer": args.peer, "threads": args.threads, "available": False, "results": []}
    modname, variant = RUNNERS[args.peer]
    try:
        runner = importlib.import_module(modname)
        doc["info"] = runner.setup(args.threads, variant)
        doc["available"] = True
    except ImportError as exc:
        doc["reason"] = f"not installed ({exc})"
    except Exception as exc:  # a broken install is reported, not fatal
        doc["reason"] = f"setup failed: {exc!r}"
    if not doc["available"]:
        log(f"[{args.peer}] unavailable: {doc['reason']}")
        _write(args.out, doc)
        return 0

    if args.probe and hasattr(runner, "probe"):
        log(f"[{args.peer} t={args.threads}] roofline probe ...")
        doc["probe"] = runner.probe(args.threads, args.probe_bytes)

    def timed(fn):
        return time_calls(fn, budget=args.budget, min_repeats=args.repeats)

    selected = suite.select(args.cases)
    for i, case in enumerate(selected):
        entry = {"case": case.name}
        t_case = time.perf_counter()
        try:
            small = suite.small(case)
            data = suite.make_data(small, 2)
            impl = runner.build(small, 2, *data)
            impl.call()
            ok, err, tol = suite.check(impl.result(), suite.reference(small, *data), small)
            entry["check"] = {"ok": ok, "max_abs_err": err, "tol": tol,
                              "shape": [2, small.h, small.w, small.c]}
            del impl
            for batch in args.batches:
                data = suite.make_data(case, batch)
                impl = runner.build(case, batch, *data)
                entry[f"b{batch}"] = timed(impl.call)
                extra = getattr(impl, "extra_timings", None)
                if extra is not None and entry[f"b{batch}"]["median_s"] > args.split_limit:
                    entry[f"b{batch}"]["split_skipped"] = f"call slower than {args.split_limit} s"
                elif extra is not None:
                    entry[f"b{batch}"]["split"] = extra(timed)
                del impl, data
        except Exception as exc:
            entry["error"] = f"{exc!r}"
            entry["traceback"] = traceback.format_exc(limit=4)
        doc["results"].append(entry)
        meds = " ".join(f"b{b}={entry[f'b{b}']['median_s'] * 1e3:.3f}ms"
                        for b in args.batches if f"b{b}" in entry)
        status = "ok" if entry.get("check", {}).get("ok") else "CHECK FAILED"
        if "error" in entry:
            status = "ERROR " + entry["error"][:120]
        log(f"[{args.peer} t={args.threads}] {i + 1}/{len(selected)} {case.name}: {meds} "
            f"{status} ({time.perf_counter() - t_case:.1f}s)")
    if hasattr(runner, "overhead"):
        doc["overhead_tiny"] = runner.overhead(args.threads, timed)
    _write(args.out, doc)
    return 0


def _write(path, doc):
    with open(path, "w") as fh:
        json.dump(doc, fh)


if __name__ == "__main__":
    sys.exit(main())
