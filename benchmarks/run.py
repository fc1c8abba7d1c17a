#!/usr/bin/env python3
"""Benchmark sepconv against its peers on the 28-case suite.

    python benchmarks/run.py                      # everything: batch 1 and 16, 1 and all threads
    python benchmarks/run.py --quick              # batch 1, all threads, short time boxes
    python benchmarks/run.py --cases mbv1_01 k7 --peers torch ort --threads 1

Every implementation runs in its own subprocess per thread count (see
worker.py); sepconv's worker also runs the roofline probe at that thread
count.  Prints one table per (threads, batch) and writes all raw timings and
machine facts as JSON (and a PNG when matplotlib is importable) to --out."""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases as suite  # noqa: E402
import report  # noqa: E402
from worker import PEERS  # noqa: E402


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ncpus():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def parse_threads(values):
    out = []
    for v in values:
        t = ncpus() if v == "all" else int(v)
        if t < 1:
            raise SystemExit(f"--threads: {v!r} is not a positive count")
        if t not in out:
            out.append(t)
    return out


def run_worker(python, peer, threads, args, cases):
    fd, path = tempfile.mkstemp(prefix=f"sepconv-bench-{peer}-", suffix=".json")
    os.close(fd)
    cmd = [python, os.path.join(HERE, "worker.py"), "--peer", peer, "--threads", str(threads),
           "--batches", *map(str, args.batch), "--budget", str(args.budget),
           "--repeats", str(args.repeats), "--out", path, "--cases", *cases]
    if peer == "sepconv":
        cmd += ["--probe", "--probe-bytes", str(args.probe_bytes), "--split-limit", str(args.split_limit)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, timeout=args.worker_timeout)
        with open(path) as fh:
            doc = json.load(fh)
        if proc.returncode:
            doc.setdefault("reason", f"worker exited with {proc.returncode}")
    except subprocess.TimeoutExpired:
        doc = {"peer": peer, "threads": threads, "available": False,
               "reason": f"worker timed out after {args.worker_timeout}s", "results": []}
    except (OSError, ValueError) as exc:
        doc = {"peer": peer, "threads": threads, "available": False,
               "reason": f"worker failed: {exc!r}", "results": []}
    finally:
        if os.path.exists(path):
            os.unlink(path)
    doc["wall_s"] = time.perf_counter() - t0
    return doc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", nargs="+", type=int, default=None, help="batch sizes (default 1 16)")
    ap.add_argument("--threads", nargs="+", default=None, help="thread counts or 'all' (default 1 all)")
    ap.add_argument("--cases", nargs="+", default=None, help=f"case names (default all {len(suite.ALL_CASES)})")
    ap.add_argument("--peers", nargs="*", default=None,
                    help=f"peers to run among {PEERS} (default: all; those not installed are skipped); "
                         "give no name for sepconv alone")
    ap.add_argument("--repeats", type=int, default=5, help="minimum timed calls per measurement")
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds of timed calls per measurement (default 0.3, --quick 0.1)")
    ap.add_argument("--quick", action="store_true",
                    help="batch 1, all threads, 0.1 s time boxes, 256 MiB bandwidth probe")
    ap.add_argument("--probe-bytes", type=int, default=None,
                    help="bytes per buffer of the copy-bandwidth probe (default 1 GiB)")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the workers")
    ap.add_argument("--split-limit", type=float, default=1.0,
                    help="skip the sepconv kernel split for calls slower than this (s)")
    ap.add_argument("--worker-timeout", type=float, default=1800.0)
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args(argv)
    args.batch = args.batch or ([1] if args.quick else [1, 16])
    threads = parse_threads(args.threads or (["all"] if args.quick else ["1", "all"]))
    args.budget = args.budget if args.budget is not None else (0.1 if args.quick else 0.3)
    args.probe_bytes = args.probe_bytes or ((256 << 20) if args.quick else (1 << 30))
    case_names = [c.name for c in suite.select(args.cases)]
    peers = PEERS if args.peers is None else args.peers
    bad = [p for p in peers if p not in PEERS]
    if bad:
        raise SystemExit(f"unknown peer(s) {bad}; known: {PEERS}")

    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    runs = {}
    for t in threads:
        runs[t] = {"sepconv": run_worker(args.python, "sepconv", t, args, case_names)}
        for p in peers:
            runs[t][p] = run_worker(args.python, p, t, args, case_names)

    present = [p for p in peers if any(runs[t][p].get("available") for t in threads)]
    tables, text = {}, []
    for t in threads:
        sep_doc = runs[t]["sepconv"]
        if not sep_doc.get("available"):
            raise SystemExit(f"sepconv worker failed: {sep_doc.get('reason')}")
        peer_docs = {p: runs[t][p] for p in present}
        for b in args.batch:
            rows = report.rows_for((t, b), sep_doc, peer_docs, case_names)
            tables[(t, b)] = rows
            text.append(report.format_table((t, b), rows, present, sep_doc.get("probe", {})))
            text.append(report.format_split((t, b), rows))
        ov = sep_doc.get("overhead_tiny")
        if ov:
            text.append(f"-- sepconv per-call overhead, 1x8x8x8 layer, threads={t}: full call "
                        f"{ov['full_call_s'] * 1e6:.1f} us, fused kernel {ov['fused_kernel_s'] * 1e6:.1f} us, "
                        f"overhead {ov['overhead_s'] * 1e6:.1f} us"
                        f"{'' if ov.get('public_api') else ' (Plan wrapper; public layer not present)'}")
    missing = [f"{p}: {runs[threads[0]][p].get('reason')}" for p in peers if p not in present]
    if missing:
        text.append("peers not run: " + "; ".join(missing))
    text.append("'!' after a time: that implementation failed the float64 check "
                "(excluded from best peer); ratio = best peer time / sepconv time")
    summary = "\n\n".join(text)
    print(summary)

    os.makedirs(args.out, exist_ok=True)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    sep_info = runs[threads[0]]["sepconv"].get("info", {})
    doc = {
        "date_utc": started.isoformat(),
        "wall_s": time.perf_counter() - t0,
        "command": sys.argv if argv is None else ["run.py", *argv],
        "machine": {"cpu_model": cpu_model(), "cpus": ncpus(), "platform": platform.platform(),
                    "python": platform.python_version(), "sepconv_isa": sep_info.get("isa"),
                    "openmp": sep_info.get("openmp")},
        "versions": {p: runs[threads[0]][p].get("info") for p in ["sepconv", *peers]},
        "settings": {"batches": args.batch, "threads": threads, "cases": case_names,
                     "budget_s": args.budget, "min_repeats": args.repeats,
                     "probe_copy_buffer_bytes": args.probe_bytes},
        "probe": {str(t): runs[t]["sepconv"].get("probe") for t in threads},
        "raw": {str(t): runs[t] for t in threads},
        "tables": {f"t{t}_b{b}": rows for (t, b), rows in tables.items()},
        "summary": summary,
    }
    base = os.path.join(args.out, f"bench-{stamp}")
    with open(base + ".json", "w") as fh:
        json.dump(doc, fh, indent=1)
    with open(base + ".txt", "w") as fh:
        fh.write(summary + "\n")
    wrote = [base + ".json", base + ".txt"]
    if present and report.plot(base + ".png", tables, present):
        wrote.append(base + ".png")
    print(f"\nwrote {', '.join(wrote)} in {doc['wall_s']:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
