#!/usr/bin/env python3
"""Benchmark sepconv against its peers on the 28-case suite.

    python benchmarks/run.py                      # everything: batch 1 and 16, 1 and all threads
    python benchmarks/run.py --quick              # batch 1, all threads, short time boxes
    python benchmarks/run.py --cases mbv1_01 k7 --peers torch ort --threads 1

Every implementation runs in its own subprocess per thread count (see
worker.py); sepconv's worker also runs the roofline probe at that thread
count, before its cases and after them (the higher reading counts).  The
implementations take turns case by case: each measurement is split into
--rounds rounds, and in each round every implementation times the
same case in turn (the order rotating), so that a slow spell of this shared
machine falls on all of them alike rather than on whichever ran at that
minute.  Prints one table per (threads, batch) and writes all raw timings and
machine facts as JSON (and a PNG when matplotlib is importable) to --out."""

import argparse
import datetime
import json
import os
import platform
import select
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases as suite  # noqa: E402
import report  # noqa: E402
import timing  # noqa: E402
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


class WorkerGone(Exception):
    pass


class WorkerProc:
    """A worker process (worker.py) and its line protocol, with a time limit per answer."""

    def __init__(self, python, peer, threads, timeout):
        self.peer, self.timeout = peer, timeout
        self.proc = subprocess.Popen(
            [python, os.path.join(HERE, "worker.py"), "--peer", peer, "--threads", str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.alive = True
        self.reason = None

    def answer(self):
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.stop(f"no answer within {self.timeout:.0f} s" if not ready
                      else f"worker exited with {self.proc.wait()}")
            raise WorkerGone(self.reason)
        return json.loads(line)

    def ask(self, op, **kw):
        if not self.alive:
            raise WorkerGone(self.reason)
        try:
            self.proc.stdin.write(json.dumps({"op": op, **kw}) + "\n")
            self.proc.stdin.flush()
        except OSError as exc:
            self.stop(f"worker gone: {exc!r}")
            raise WorkerGone(self.reason)
        return self.answer()

    def stop(self, reason=None):
        if reason and self.alive:
            self.reason = reason
        self.alive = False
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def run_threads(args, threads, peers, case_names):
    """Every implementation at one thread count, interleaved: for each case and
    batch, `rounds` rounds in which each implementation in turn (the order
    rotating from round to round) times its call for budget / rounds seconds.
    Returns {name: worker document}."""
    names = ["sepconv", *peers]
    t_start = time.perf_counter()
    procs = {n: WorkerProc(args.python, n, threads, args.worker_timeout) for n in names}
    docs = {}
    for n, w in procs.items():
        try:
            setup = w.answer()
        except WorkerGone as exc:
            setup = {"available": False, "reason": str(exc)}
        docs[n] = {"peer": n, "threads": threads, "results": [], **setup}
        if not setup.get("available"):
            w.stop(setup.get("reason"))
            log(f"[{n} t={threads}] unavailable: {setup.get('reason')}")
    whole = {"budget": args.budget, "repeats": args.repeats}
    sep = procs["sepconv"]
    readings = []
    _probe(sep, args, threads, readings)
    for i, name in enumerate(case_names):
        t_case = time.perf_counter()
        entries = {n: {"case": name} for n in names if procs[n].alive}
        for n, e in entries.items():
            _keep(e, procs[n], "check", case=name)
        for b in args.batch:
            loaded = [n for n in entries if "error" not in entries[n]
                      and _keep(entries[n], procs[n], "load", case=name, batch=b) is not None]
            rounds = {n: [] for n in loaded}
            for r in range(args.rounds):
                share = timing.round_share(r, args.rounds, args.budget, args.repeats)
                for n in timing.rotated(loaded, i + r):
                    if "error" not in entries[n]:
                        got = _keep(entries[n], procs[n], "time", budget=share["budget"],
                                    repeats=share["min_repeats"], warmups=share["warmups"])
                        if got is not None:
                            rounds[n].append(got["timing"])
            for n in loaded:
                if "error" in entries[n] or not rounds[n]:
                    continue
                res = entries[n][f"b{b}"] = timing.pool_rounds(rounds[n])
                if n == "sepconv":
                    if res["median_s"] > args.split_limit:
                        res["split_skipped"] = f"call slower than {args.split_limit} s"
                    else:
                        got = _keep(entries[n], procs[n], "split", **whole)
                        if got is not None and got["split"]:
                            res["split"] = got["split"]
            for n in loaded:
                if procs[n].alive:
                    _keep(entries[n], procs[n], "unload")
        for n, e in entries.items():
            docs[n]["results"].append(e)
        meds = " ".join(f"{n}=" + "/".join(f"{e[f'b{b}']['median_s'] * 1e3:.3f}" if f"b{b}" in e
                                            else "-" for b in args.batch)
                        for n, e in entries.items())
        bad = [n for n, e in entries.items() if "error" in e or not e.get("check", {}).get("ok")]
        log(f"[t={threads}] {i + 1}/{len(case_names)} {name} (ms, b{'/b'.join(map(str, args.batch))}): "
            f"{meds}{'  CHECK FAILED or ERROR: ' + ', '.join(bad) if bad else ''} "
            f"({time.perf_counter() - t_case:.1f}s)")
    _probe(sep, args, threads, readings)
    if readings:
        docs["sepconv"]["probe"] = merge_probes(readings)
    if sep.alive:
        try:
            docs["sepconv"]["overhead_tiny"] = sep.ask("overhead", **whole)["overhead"]
        except WorkerGone:
            pass
    for n, w in procs.items():
        if w.reason and docs[n].get("available"):
            docs[n]["reason"] = w.reason
        w.stop()
        docs[n]["wall_s"] = time.perf_counter() - t_start
    return docs


def _probe(sep, args, threads, readings):
    """One roofline probe reading appended to readings (the pass probes at its
    start and at its end)."""
    if not sep.alive:
        return
    log(f"[t={threads}] roofline probe ...")
    try:
        readings.append(sep.ask("probe", bytes=args.probe_bytes)["probe"])
    except WorkerGone:
        pass


def merge_probes(readings):
    """The machine's rates from several probe readings: the highest of each.
    Another tenant can only slow a reading down (a busy sibling core halved a
    2-thread peak reading once), so the highest is the truest, and it makes
    the % of the roofline the smaller, never the flattering, figure."""
    merged = dict(readings[0])
    for key in ("peak_flops", "bandwidth_bytes_per_s"):
        merged[key] = max(r[key] for r in readings)
    merged["readings"] = [{k: r[k] for k in ("peak_flops", "bandwidth_bytes_per_s")}
                          for r in readings]
    return merged


def _keep(entry, proc, op, **kw):
    """proc's answer to op, or None with the failure recorded in entry."""
    try:
        got = proc.ask(op, **kw)
    except WorkerGone as exc:
        got = {"error": f"worker gone: {exc}"}
    if "error" in got:
        entry["error"] = got["error"]
        if "traceback" in got:
            entry["traceback"] = got["traceback"]
        return None
    if "check" in got:
        entry["check"] = got["check"]
    return got


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


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
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds each measurement is split into, the implementations taking "
                         "turns within each (default 3)")
    ap.add_argument("--worker-timeout", type=float, default=900.0,
                    help="seconds a worker may take to answer one command")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args(argv)
    args.batch = args.batch or ([1] if args.quick else [1, 16])
    threads = parse_threads(args.threads or (["all"] if args.quick else ["1", "all"]))
    args.budget = args.budget if args.budget is not None else (0.1 if args.quick else 0.3)
    args.probe_bytes = args.probe_bytes or ((256 << 20) if args.quick else (1 << 30))
    if args.rounds < 1:
        raise SystemExit(f"--rounds: {args.rounds} is not a positive count")
    case_names = [c.name for c in suite.select(args.cases)]
    peers = PEERS if args.peers is None else args.peers
    bad = [p for p in peers if p not in PEERS]
    if bad:
        raise SystemExit(f"unknown peer(s) {bad}; known: {PEERS}")

    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    runs = {t: run_threads(args, t, peers, case_names) for t in threads}

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
                     "budget_s": args.budget, "min_repeats": args.repeats, "rounds": args.rounds,
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
