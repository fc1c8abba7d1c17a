"""Thread counts (bitwise-identical outputs, the OpenMP default, threadpoolctl) and
input/output handling: unusual input layouts, the caller's array left alone, out=."""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import reference as R
import sepconv
from sepconv import _kernels

needs_openmp = pytest.mark.skipif(not sepconv.openmp_enabled(), reason="serial build")


def layer_and_input(dtype=np.float32, fmt="channels_last", **kw):
    rng = np.random.default_rng(5)
    shape = (3, 17, 19, 6) if fmt == "channels_last" else (3, 6, 17, 19)
    x = rng.standard_normal(shape).astype(dtype)
    layer = sepconv.SeparableConv2D(10, (3, 2), padding="same", depth_multiplier=2,
                                    data_format=fmt, bias_initializer="glorot_uniform", **kw)
    return layer, x


# --------------------------------------------------------------------------- threads


def test_default_follows_openmp_and_override():
    assert sepconv.get_num_threads() == _kernels.omp_max_threads()
    sepconv.set_num_threads(3)
    assert sepconv.get_num_threads() == 3
    sepconv.set_num_threads(None)
    assert sepconv.get_num_threads() == _kernels.omp_max_threads()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_bitwise_identical_across_thread_counts(dtype, fmt):
    layer, x = layer_and_input(dtype, fmt)
    ref = layer(x)
    before = _kernels.omp_max_threads()
    for n in (1, 2, 3):
        sepconv.set_num_threads(n)
        np.testing.assert_array_equal(layer(x), ref)
        sepconv.set_num_threads(None)
        layer.num_threads = n
        np.testing.assert_array_equal(layer(x), ref)
        layer.num_threads = None
        sepconv.set_num_threads(1)
        layer.num_threads = n  # the layer's own count wins
        np.testing.assert_array_equal(layer(x), ref)
        layer.num_threads = None
        sepconv.set_num_threads(None)
    assert _kernels.omp_max_threads() == before  # never set globally
    np.testing.assert_array_equal(layer(x), ref)  # run to run
    w = layer.get_weights()
    np.testing.assert_allclose(ref, R.separable_conv2d(x, *w, padding="same", data_format=fmt),
                               rtol=1e-4 if dtype == np.float32 else 1e-12, atol=1e-5)


@needs_openmp
def test_threadpoolctl_limits_apply():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    layer, x = layer_and_input()
    ref = layer(x)
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert sepconv.get_num_threads() == 1
        np.testing.assert_array_equal(layer(x), ref)
    assert sepconv.get_num_threads() == _kernels.omp_max_threads()


@needs_openmp
def test_omp_num_threads_environment():
    code = "import sepconv; print(sepconv.get_num_threads())"
    env = dict(os.environ, OMP_NUM_THREADS="3")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "3"


def test_concurrent_calls_from_python_threads():
    layer, x = layer_and_input()
    ref = layer(x)
    results = [None] * 4

    def work(i):
        results[i] = [layer(x) for _ in range(3)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for rs in results:
        for r in rs:
            np.testing.assert_array_equal(r, ref)


def test_concurrent_functional_calls_get_unique_names():
    x = np.ones((1, 4, 4, 2), np.float32)
    threads = [threading.Thread(target=sepconv.separable_conv2d, args=(x, 2, 2)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    names = sorted(l.name for l in sepconv.functional.STORE.layers())
    assert names == sorted(["separable_conv2d"] + [f"separable_conv2d_{k}" for k in range(1, 8)])


# --------------------------------------------------------------------------- inputs


def _unaligned(x):
    buf = np.zeros(x.nbytes + 1, np.uint8)
    v = buf[1:].view(x.dtype).reshape(x.shape)
    v[...] = x
    return v


VARIANTS = {
    "strided": lambda x: np.repeat(x, 2, axis=2)[:, :, ::2],
    "fortran": np.asfortranarray,
    "transposed_view": lambda x: np.ascontiguousarray(x.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3),
    "read_only": lambda x: _readonly(x.copy()),
    "byte_swapped": lambda x: x.astype(x.dtype.newbyteorder(">")),
    "unaligned": _unaligned,
    "list": lambda x: x.tolist(),
}


def _readonly(a):
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_unusual_inputs_give_the_same_output_and_are_left_alone(variant, dtype):
    layer, x = layer_and_input(dtype)
    ref = layer(x)
    xv = VARIANTS[variant](x)
    snapshot = np.array(xv, copy=True)
    y = layer(xv)
    if variant == "list":
        assert y.dtype == np.float64  # Python floats are float64, computed as such
        ref = layer(x.astype(np.float64))
    else:
        assert y.dtype == dtype and y.dtype.isnative
    assert y.flags.c_contiguous and y.flags.writeable
    np.testing.assert_array_equal(y, ref)
    np.testing.assert_array_equal(np.asarray(xv), snapshot)


def test_output_is_a_new_array():
    layer = sepconv.SeparableConv2D(3, 1, use_bias=False)
    x = np.ones((1, 2, 2, 3), np.float32)
    y1, y2 = layer(x), layer(x)
    assert not np.shares_memory(y1, y2) and not np.shares_memory(y1, x)


@pytest.mark.parametrize("fmt, shape, out_shape", [
    ("channels_last", (0, 5, 6, 2), (0, 4, 5, 3)), ("channels_first", (0, 2, 5, 6), (0, 3, 4, 5))])
@pytest.mark.parametrize("dtype", [np.float16, np.float64])
def test_batch_zero(fmt, shape, out_shape, dtype):
    layer = sepconv.SeparableConv2D(3, 2, data_format=fmt)
    y = layer(np.zeros(shape, dtype))
    assert y.shape == out_shape and y.dtype == dtype and layer.built
    assert layer(np.zeros(shape, dtype), out=np.empty(out_shape, dtype)).shape == out_shape


# --------------------------------------------------------------------------- out=


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("activation", [None, "gelu", np.tanh])
def test_out_good(dtype, activation):
    layer, x = layer_and_input(dtype, activation=activation)
    ref = layer(x)
    out = np.full(ref.shape, 7.0, dtype)
    res = layer(x, out=out)
    assert res is out
    np.testing.assert_array_equal(out, ref)


def _bad_outs(shape, dtype):
    big = np.full(shape[:-1] + (shape[-1] * 2,), 7.0, dtype)
    ro = np.full(shape, 7.0, dtype)
    ro.flags.writeable = False
    return {
        "wrong_shape": (np.full(shape[:-1] + (shape[-1] + 1,), 7.0, dtype), ValueError, "shape"),
        "wrong_dtype": (np.full(shape, 7.0, np.float64 if dtype != np.float64 else np.float32),
                        TypeError, "dtype"),
        "byte_swapped": (np.full(shape, 7.0, np.dtype(dtype).newbyteorder(">")), TypeError, "dtype"),
        "strided": (big[..., ::2], ValueError, "C-contiguous"),
        "fortran": (np.asfortranarray(np.full(shape, 7.0, dtype)), ValueError, "C-contiguous"),
        "read_only": (ro, ValueError, "read-only"),
        "list": (np.full(shape, 7.0, dtype).tolist(), TypeError, "ndarray"),
    }


@pytest.mark.parametrize("case", sorted(_bad_outs((1, 2, 2, 2), np.float32)))
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_out_bad_raises_and_is_never_written(case, dtype):
    layer, x = layer_and_input(dtype)
    shape = layer.compute_output_shape(x.shape)
    out, exc, msg = _bad_outs(shape, dtype)[case]
    before = np.array(out, copy=True)
    with pytest.raises(exc, match=msg):
        layer(x, out=out)
    np.testing.assert_array_equal(np.asarray(out), before)


def test_out_overlapping_input_is_refused():
    layer = sepconv.SeparableConv2D(4, 1, use_bias=False)  # output shape == input shape
    x = np.arange(2 * 3 * 3 * 4, dtype=np.float64).reshape(2, 3, 3, 4)
    snapshot = x.copy()
    with pytest.raises(ValueError, match="overlaps the input"):
        layer(x, out=x)
    buf = np.zeros(2 * x.size)
    xin, outv = buf[:x.size].reshape(x.shape), buf[x.size // 2: x.size // 2 + x.size].reshape(x.shape)
    xin[...] = snapshot
    with pytest.raises(ValueError, match="overlaps the input"):
        layer(xin, out=outv)
    np.testing.assert_array_equal(x, snapshot)
    np.testing.assert_array_equal(xin, snapshot)
    # disjoint halves of one buffer are fine
    ok = buf[x.size:].reshape(x.shape)
    xin2 = buf[:x.size].reshape(x.shape)
    assert layer(xin2, out=ok) is ok
