"""No leaks (hardening issue, part 5).

RSS is measured in a fresh subprocess (so other tests' allocations do not
blur it), after a warm-up that lets the allocator, the plan caches and the
thread-local scratch reach their steady state.  The bound is a few MB, and
each test asserts that a leak of one output (or one weight set) per call
would exceed it at least twice over, so the test can fail."""

import gc
import json
import os
import subprocess
import sys
import tracemalloc

import numpy as np

import sepconv

BOUND = 4 << 20  # bytes of RSS growth allowed

CHILD = r"""
import json, os, sys
import numpy as np
import sepconv

def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

mode, calls = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
if mode == "call":
    layer = sepconv.SeparableConv2D(16, 3, padding="same", activation="relu")
    x = rng.standard_normal((1, 8, 8, 8)).astype(np.float32)
    step = lambda i: layer(x)
    unit = layer(x).nbytes
elif mode == "big_call":  # outputs large enough for the output cache (_kernels.pyx)
    layer = sepconv.SeparableConv2D(128, 3, padding="same", activation="relu")
    x = rng.standard_normal((1, 96, 128, 16)).astype(np.float32)
    step = lambda i: layer(x)
    unit = layer(x).nbytes
else:
    layer = sepconv.SeparableConv2D(64, 3, padding="same")
    layer.build((None, None, None, 64))
    ws = [[rng.standard_normal(w.shape).astype(np.float32) for w in layer.weights]
          for _ in range(2)]
    step = lambda i: layer.set_weights(ws[i % 2])
    unit = sum(w.nbytes for w in ws[0])
for i in range(calls // 5):   # warm-up
    step(i)
before = rss()
for i in range(calls):
    step(i)
print(json.dumps({"growth": rss() - before, "unit": unit, "calls": calls}))
"""


def _child(mode, calls):
    env = dict(os.environ, OMP_NUM_THREADS="2")
    if "asan" in env.get("LD_PRELOAD", ""):
        # ASan holds freed blocks in a quarantine (256 MB) that RSS would count as growth
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0"
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(calls)], check=True,
                         capture_output=True, text=True, timeout=600, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_10000_calls_do_not_grow_rss():
    r = _child("call", 10000)
    assert r["unit"] * r["calls"] >= 2 * BOUND  # a one-output-per-call leak breaks the bound
    assert r["growth"] <= BOUND, r


def test_cached_large_outputs_do_not_grow_rss():
    r = _child("big_call", 300)
    assert r["unit"] >= sepconv._kernels.OUTPUT_CACHE_MIN_BYTES  # the cached path is the one measured
    assert r["unit"] * r["calls"] >= 2 * BOUND
    assert r["growth"] <= BOUND, r


def test_1000_set_weights_do_not_grow_rss():
    r = _child("set_weights", 1000)
    assert r["unit"] * r["calls"] >= 2 * BOUND
    assert r["growth"] <= BOUND, r


def _repeat(fn, times):
    for _ in range(times):
        fn()


def _object_and_traced_growth(fn, times=300):
    _repeat(fn, 50)  # warm-up: caches and interned objects
    gc.collect()
    n0 = len(gc.get_objects())
    tracemalloc.start()
    try:
        t0, _ = tracemalloc.get_traced_memory()
        _repeat(fn, times)
        gc.collect()
        t1, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    gc.collect()
    return len(gc.get_objects()) - n0, t1 - t0


def test_no_reference_leaks_in_calls_and_set_weights():
    rng = np.random.default_rng(1)
    layer = sepconv.SeparableConv2D(8, 3, padding="same", activation="tanh")
    x = rng.standard_normal((2, 6, 6, 4)).astype(np.float32)
    x64 = x.astype(np.float64)
    out = np.empty((2, 6, 6, 8), np.float32)
    layer(x)
    ws = layer.get_weights()
    refs = sys.getrefcount(x), sys.getrefcount(out), [sys.getrefcount(w) for w in ws]

    def step():
        layer(x)
        layer(x64)
        layer(x, out=out)
        layer(x[:, ::-1])            # the copying path
        layer.set_weights(ws)
        layer.compute_output_shape((None, 6, 6, 4))

    objs, traced = _object_and_traced_growth(step)
    # a leak of one output per step would be 300 objects and 300 * 2304 bytes
    assert objs < 50, objs
    assert traced < 64 << 10, traced
    assert (sys.getrefcount(x), sys.getrefcount(out), [sys.getrefcount(w) for w in ws]) == refs


def test_no_leaks_on_error_paths():
    layer = sepconv.SeparableConv2D(4, 3)
    layer.build((None, None, None, 3))
    x = np.ones((1, 5, 5, 3), np.float32)
    bad_out = np.empty((1, 3, 3, 5), np.float32)
    refs = sys.getrefcount(x), sys.getrefcount(bad_out)

    def step():
        for fn in (lambda: layer(x, out=bad_out), lambda: layer(np.ones((1, 5, 5, 2))),
                   lambda: layer.set_weights([1, 2]), lambda: layer([[["a"]]]),
                   lambda: layer.build("shape")):
            try:
                fn()
            except (ValueError, TypeError):
                pass

    objs, traced = _object_and_traced_growth(step)
    assert objs < 50, objs
    assert traced < 64 << 10, traced
    assert (sys.getrefcount(x), sys.getrefcount(bad_out)) == refs
