"""Many Python threads at once (issue: hardening).  Every output must equal the
single-threaded result bitwise, the store must stay consistent, and no call may
change global state that another thread sees."""

import threading

import numpy as np
import pytest

import sepconv

N_THREADS = 8
CALLS = 200


def _run_threads(target, n=N_THREADS):
    errors, barrier = [], threading.Barrier(n)

    def wrapped(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _inputs(count, shape, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(np.float32) for _ in range(count)]


def test_one_shared_layer_from_eight_threads():
    layer = sepconv.SeparableConv2D(12, 3, padding="same", activation="relu", num_threads=2)
    xs = _inputs(8, (2, 11, 9, 5))
    layer.build(xs[0].shape)
    expected = [layer(x) for x in xs]
    mismatches = []

    def work(i):
        for k in range(CALLS):
            j = (i + k) % len(xs)
            y = layer(xs[j])
            if not np.array_equal(y, expected[j]):
                mismatches.append((i, k))

    _run_threads(work)
    assert mismatches == []


def test_separate_layers_from_eight_threads():
    layers = [sepconv.SeparableConv2D(6 + i, (3, 2), strides=(2, 1), padding="same",
                                      depth_multiplier=1 + i % 3) for i in range(N_THREADS)]
    xs = _inputs(N_THREADS, (1, 10, 13, 4), seed=1)
    expected = [layer(x) for layer, x in zip(layers, xs)]
    mismatches = []

    def work(i):
        for _ in range(CALLS):
            if not np.array_equal(layers[i](xs[i]), expected[i]):
                mismatches.append(i)

    _run_threads(work)
    assert mismatches == []


def test_functional_auto_reuse_from_eight_threads():
    init = sepconv.initializers.Constant(0.25)
    x = _inputs(1, (1, 7, 7, 3), seed=2)[0]

    def call():
        return sepconv.separable_conv2d(
            x, 4, 3, padding="same", name="shared", reuse=sepconv.AUTO_REUSE,
            depthwise_initializer=init, pointwise_initializer=init)

    expected = call()
    mismatches = []

    def work(i):
        for _ in range(50):
            if not np.array_equal(call(), expected):
                mismatches.append(i)

    _run_threads(work)
    assert mismatches == []


def test_calls_do_not_change_other_threads_settings():
    """A layer with its own num_threads, or a thread under threadpoolctl, must not
    change the count another thread sees."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = sepconv.get_num_threads()
    seen = []
    layer = sepconv.SeparableConv2D(4, 3, num_threads=1)
    x = _inputs(1, (1, 6, 6, 3), seed=4)[0]
    stop = threading.Event()

    def limited():
        with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
            while not stop.is_set():
                layer(x)

    t = threading.Thread(target=limited)
    t.start()
    try:
        for _ in range(100):
            seen.append(sepconv.get_num_threads())
    finally:
        stop.set()
        t.join()
    assert set(seen) == {before}
    assert sepconv.get_num_threads() == before
