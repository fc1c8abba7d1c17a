"""The output cache (_kernels.empty_output): large outputs are recycled after
the last array using them dies, and never while any array, view or buffer
export still uses them."""

import pickle

import numpy as np
import pytest

import sepconv
from sepconv import _kernels

import reference

MIN = _kernels.OUTPUT_CACHE_MIN_BYTES


@pytest.fixture(autouse=True)
def _empty_cache():
    sepconv.release_cached_memory()
    yield
    sepconv.release_cached_memory()


def _layer_and_inputs(dtype=np.float32, n_inputs=3):
    # output 1x64x128x128 float32 = 4 MiB: just at the cache's threshold
    layer = sepconv.SeparableConv2D(128, 3, padding="same", activation="relu", dtype=dtype)
    rng = np.random.default_rng(5)
    xs = [rng.standard_normal((1, 64, 128, 8)).astype(dtype) for _ in range(n_inputs)]
    return layer, xs


def _expected(layer, x):
    dw, pw, b = layer.get_weights()
    return np.maximum(reference.separable_conv2d(x, dw, pw, b, padding="same"), 0)


def test_large_output_is_cached_and_recycled():
    layer, (x, x2, _) = _layer_and_inputs()
    y = layer(x)
    assert y.nbytes >= MIN
    assert isinstance(y.base, _kernels._OutputBuffer)
    assert y.flags.c_contiguous and y.flags.writeable and y.flags.aligned
    assert y.ctypes.data % 64 == 0
    addr = y.ctypes.data
    assert sepconv.cached_memory() == (0, 0)
    del y
    n, nbytes = sepconv.cached_memory()
    assert n == 1 and nbytes >= MIN
    y2 = layer(x2)
    assert y2.ctypes.data == addr
    assert sepconv.cached_memory() == (0, 0)
    np.testing.assert_allclose(y2, _expected(layer, x2), rtol=1e-4, atol=1e-4)


def test_small_outputs_bypass_the_cache():
    layer = sepconv.SeparableConv2D(8, 3)
    y = layer(np.ones((1, 8, 8, 4), np.float32))
    assert y.base is None or not isinstance(y.base, _kernels._OutputBuffer)
    del y
    assert sepconv.cached_memory() == (0, 0)


@pytest.mark.parametrize("keep", ["array", "view", "memoryview", "transpose"])
def test_a_buffer_in_use_is_never_reused(keep):
    layer, (x1, x2, x3) = _layer_and_inputs()
    y1 = layer(x1)
    want = y1.copy()
    held = {"array": lambda a: a, "view": lambda a: a[0, 5:9],
            "memoryview": memoryview, "transpose": lambda a: a.T}[keep](y1)
    addr = y1.ctypes.data
    del y1
    y2, y3 = layer(x2), layer(x3)
    assert addr not in (y2.ctypes.data, y3.ctypes.data)
    got = np.asarray(held)
    ref = {"array": want, "view": want[0, 5:9], "memoryview": want, "transpose": want.T}[keep]
    np.testing.assert_array_equal(got, ref)
    assert not np.shares_memory(y2, y3)


def test_release_and_bounds():
    rng = np.random.default_rng(0)
    outs = []
    for i in range(12):  # 12 distinct large sizes: more than the cache's slots
        layer = sepconv.SeparableConv2D(64 + 8 * i, 1)
        outs.append(layer(rng.standard_normal((1, 128, 128, 4)).astype(np.float32)))
    del outs
    n, nbytes = sepconv.cached_memory()
    assert 1 <= n <= 8
    assert nbytes <= _kernels.OUTPUT_CACHE_MAX_BYTES
    assert sepconv.release_cached_memory() == nbytes
    assert sepconv.cached_memory() == (0, 0)
    assert sepconv.release_cached_memory() == 0


def test_cached_output_survives_pickle_and_float16():
    layer, (x,) = _layer_and_inputs(np.float16, 1)
    y = layer(x)
    assert y.dtype == np.float16
    z = pickle.loads(pickle.dumps(y))
    np.testing.assert_array_equal(y, z)
    layer32, (x32,) = _layer_and_inputs(np.float32, 1)
    y32 = layer32(x32)
    z32 = pickle.loads(pickle.dumps(y32))
    del y32
    assert z32.sum() != 0  # a copy, valid after its source went back to the cache


def test_empty_output_matches_np_empty_contract():
    for shape, dt in [((2, 3, 4, 5), np.float32), ((1, 300, 300, 16), np.float64),
                      ((0, 512, 512, 16), np.float32), ((1, 1024, 1024, 4), np.float16)]:
        a = _kernels.empty_output(shape, dt)
        assert a.shape == shape and a.dtype == dt and a.flags.c_contiguous
        assert a.flags.writeable
        a[...] = 1
        assert np.all(a == 1)
