"""One benchmark worker: one implementation (sepconv or one peer) at one thread
count, in its own process, timing whatever run.py asks for.

Thread limits are put in the environment and the CPU affinity mask before the
framework is imported; the runner then also applies the framework's own API.

Protocol: one JSON object per line.  The worker first writes its setup result
({"available", "info"} or {"available": false, "reason"}), then answers each
command read from stdin with one line:

    {"op": "probe", "bytes": B}                  sepconv: peak FLOP/s and bandwidth
    {"op": "check", "case": NAME}                the small version against float64
    {"op": "load", "case": NAME, "batch": N}     build the timed call (kept until unload)
    {"op": "time", "budget": S, "repeats": R, "warmups": W}    time the loaded call
    {"op": "split", "budget": S, "repeats": R}   sepconv: the kernel-level split
    {"op": "unload"}
    {"op": "overhead", "budget": S, "repeats": R}  sepconv: per-call cost, 1x8x8x8
    {"op": "quit"}

A command that fails answers {"error": ..., "traceback": ...}.  Anything the
frameworks print goes to stderr: the protocol has stdout to itself."""

import argparse
import importlib
import json
import os
import sys
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


class Worker:
    """The commands, on one runner module."""

    def __init__(self, runner, threads, suite, time_calls):
        self.runner, self.threads, self.suite, self.time_calls = runner, threads, suite, time_calls
        self.impl = None

    def probe(self, cmd):
        return {"probe": self.runner.probe(self.threads, cmd["bytes"])}

    def check(self, cmd):
        small = self.suite.small(self.suite.BY_NAME[cmd["case"]])
        data = self.suite.make_data(small, 2)
        impl = self.runner.build(small, 2, *data)
        impl.call()
        ok, err, tol = self.suite.check(impl.result(), self.suite.reference(small, *data), small)
        return {"check": {"ok": ok, "max_abs_err": err, "tol": tol,
                          "shape": [2, small.h, small.w, small.c]}}

    def load(self, cmd):
        self.impl = None  # the last case's buffers go before the next one's come
        case = self.suite.BY_NAME[cmd["case"]]
        self.impl = self.runner.build(case, cmd["batch"], *self.suite.make_data(case, cmd["batch"]))
        return {}

    def _timed(self, cmd, warmups=2):
        return lambda fn: self.time_calls(fn, budget=cmd["budget"], min_repeats=cmd["repeats"],
                                          warmups=warmups)

    def time(self, cmd):
        return {"timing": self._timed(cmd, cmd.get("warmups", 2))(self.impl.call)}

    def split(self, cmd):
        extra = getattr(self.impl, "extra_timings", None)
        return {"split": extra(self._timed(cmd)) if extra else None}

    def unload(self, cmd):
        self.impl = None
        return {}

    def overhead(self, cmd):
        fn = getattr(self.runner, "overhead", None)
        return {"overhead": fn(self.threads, self._timed(cmd)) if fn else None}


def serve(peer, threads, lines, send):
    """Set up the runner, then answer commands until quit or end of input."""
    sys.path.insert(0, HERE)
    import cases as suite
    from timing import time_calls

    modname, variant = RUNNERS[peer]
    try:
        runner = importlib.import_module(modname)
        info = runner.setup(threads, variant)
    except ImportError as exc:
        send({"available": False, "reason": f"not installed ({exc})"})
        return
    except Exception as exc:  # a broken install is reported, not fatal
        send({"available": False, "reason": f"setup failed: {exc!r}"})
        return
    send({"available": True, "info": info})
    worker = Worker(runner, threads, suite, time_calls)
    for line in lines:
        cmd = json.loads(line)
        if cmd["op"] == "quit":
            break
        try:
            send(getattr(worker, cmd["op"])(cmd))
        except Exception as exc:
            send({"error": f"{exc!r}", "traceback": traceback.format_exc(limit=4)})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peer", required=True, choices=sorted(RUNNERS))
    ap.add_argument("--threads", type=int, required=True)
    args = ap.parse_args(argv)
    limit_threads(args.threads)
    # the protocol keeps the real stdout; fd 1 (Python's and C's) goes to stderr
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    serve(args.peer, args.threads, sys.stdin, send)
    return 0


if __name__ == "__main__":
    sys.exit(main())
