"""The weight store stays consistent while layers are created from 8 threads at once."""

import numpy as np

import sepconv
from test_concurrency import N_THREADS, _inputs, _run_threads


def test_store_consistent_while_layers_are_created_concurrently():
    x = _inputs(1, (1, 5, 5, 2), seed=3)[0]
    per_thread = 25

    def work(i):
        for _ in range(per_thread):
            sepconv.separable_conv2d(x, 3, 3, padding="same")

    _run_threads(work)
    names = [v.name for v in sepconv.global_variables()]
    count = N_THREADS * per_thread
    dw = [n for n in names if n.endswith("depthwise_kernel")]
    assert len(dw) == count and len(set(dw)) == count
    assert len(names) == 3 * count

