"""Buffers the kernels stream start on a cache line: numpy only promises 16
bytes, and vector loads and stores that straddle two lines cost the kernels
2-6 % (packed weights, outputs)."""

import numpy as np
import pytest

import sepconv
from sepconv import _kernels

import reference

LINE = 64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1,), (3, 5), (1, 8, 8, 8), (2, 33, 17, 3), (1, 1024, 1024, 2)])
def test_empty_output_is_line_aligned_and_usable(shape, dtype):
    a = _kernels.empty_output(shape, dtype)
    assert a.ctypes.data % LINE == 0
    assert a.shape == shape and a.dtype == dtype
    assert a.flags.c_contiguous and a.flags.writeable
    a[...] = 7  # the whole extent is writable memory of its own
    b = _kernels.empty_output(shape, dtype)
    b[...] = 1
    assert np.all(a == 7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("c,f", [(3, 5), (32, 64), (728, 33)])
def test_packed_weights_are_line_aligned(c, f, dtype):
    plan = _kernels.Plan(dtype, c, 1, f, 3, 3, 1, 1, 1, 1, False, "linear", True)
    rng = np.random.default_rng(0)
    plan.pack(rng.standard_normal((3, 3, c, 1)).astype(dtype),
              rng.standard_normal((c, f)).astype(dtype), rng.standard_normal(f).astype(dtype))
    assert plan.packed_weights.ctypes.data % LINE == 0


def test_layer_outputs_are_line_aligned_and_correct():
    rng = np.random.default_rng(1)
    layer = sepconv.SeparableConv2D(24, 3, padding="same")
    for shape in [(1, 8, 8, 8), (2, 19, 19, 8), (1, 64, 64, 8)]:
        x = rng.standard_normal(shape).astype(np.float32)
        y = layer(x)
        assert y.ctypes.data % LINE == 0
        dw, pw, b = layer.get_weights()
        np.testing.assert_allclose(y, reference.separable_conv2d(x, dw, pw, b, padding="same"),
                                   rtol=1e-4, atol=1e-4)
