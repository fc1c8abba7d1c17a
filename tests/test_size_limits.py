"""Size limits (hardening issue, part 3).

Shapes whose counts or index arithmetic overflow int64 raise ValueError, and
shapes whose memory cannot be had raise MemoryError with the bytes needed,
before anything is allocated (checked with tracemalloc, which sees numpy's
allocations).  Huge kernels, dilations and strides are legal where the output
is, and are computed correctly (checked against tests/reference.py)."""

import re
import tracemalloc

import numpy as np
import pytest

import reference as ref
import sepconv
from sepconv import _kernels, _limits

ISAS = [i for i in ("scalar", "avx2", "avx512") if _kernels.isa_supported(i)]


def _raises_without_allocating(exc, fn, match):
    tracemalloc.start()
    try:
        with pytest.raises(exc, match=match) as info:
            fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, f"{peak} bytes were allocated before the error"
    return str(info.value)


def _bytes_in(msg):
    return int(re.search(r"need (\d+) bytes", msg).group(1))


def test_huge_kernel_weights_are_a_memory_error_with_the_size():
    layer = sepconv.SeparableConv2D(8, (100000, 100000), padding="same")
    msg = _raises_without_allocating(MemoryError, lambda: layer.build((1, 8, 8, 512)), "weights")
    # at least the float32 depthwise kernel itself
    assert _bytes_in(msg) >= 100000 * 100000 * 512 * 4
    assert not layer.built and layer.weights == []


def test_filters_2_pow_40_is_a_memory_error_with_the_size():
    layer = sepconv.SeparableConv2D(2**40, 1)
    msg = _raises_without_allocating(MemoryError, lambda: layer.build((None, None, None, 3)),
                                     "weights")
    assert _bytes_in(msg) >= 3 * 2**40 * 4
    assert not layer.built


@pytest.mark.parametrize("arg, kwargs", [
    ("filters", dict(filters=2**70, kernel_size=3)),
    ("filters", dict(filters=2**62, kernel_size=3)),
    ("depth_multiplier", dict(filters=1, kernel_size=3, depth_multiplier=2**63)),
    ("dilation_rate", dict(filters=1, kernel_size=3, dilation_rate=2**62)),
    ("kernel_size", dict(filters=1, kernel_size=(2**62, 3))),
    ("strides", dict(filters=1, kernel_size=3, strides=2**63 - 1)),
])
def test_arguments_beyond_int64_are_value_errors(arg, kwargs):
    with pytest.raises(ValueError, match=arg):
        sepconv.SeparableConv2D(**kwargs)


@pytest.mark.parametrize("shape, filters", [
    ((1, 2**31, 2**31, 3), 4),          # the input alone overflows
    ((2**40, 2**20, 2**20, 3), 4),
    ((2**20, 2**20, 1, 3), 2**30),      # batch * H * W * F overflows
])
def test_declared_shapes_overflowing_int64_are_value_errors(shape, filters):
    layer = sepconv.SeparableConv2D(filters, 1)
    _raises_without_allocating(ValueError, lambda: layer.build(shape), "overflowing int64")
    assert not layer.built


def test_declared_shape_too_big_for_memory_is_a_memory_error():
    layer = sepconv.SeparableConv2D(16, 3, padding="same")
    n = _limits.memory_limit() // (64 * 64 * 16 * 4) + 1  # the output alone is too big
    msg = _raises_without_allocating(MemoryError, lambda: layer.build((n, 64, 64, 3)), "need")
    assert _bytes_in(msg) > _limits.memory_limit()


def test_a_huge_broadcast_input_is_refused_before_it_is_copied():
    # a zero-stride view claims 12 TiB without owning it: the call must not try to copy it
    x = np.broadcast_to(np.float32(1), (1, 2**20, 2**20, 3))
    layer = sepconv.SeparableConv2D(2, 1)
    _raises_without_allocating(MemoryError, lambda: layer(x), "need")
    assert not layer.built


def test_wide_rows_need_scratch_that_is_counted():
    # one output row of the intermediate per thread: wo * C * M floats
    layer = sepconv.SeparableConv2D(1, 1, depth_multiplier=2**20, num_threads=2)
    wo = _limits.memory_limit() // (2**20 * 4) + 1
    msg = _raises_without_allocating(MemoryError, lambda: layer.build((1, 1, wo, 1)), "need")
    assert _bytes_in(msg) > _limits.memory_limit()


@pytest.mark.parametrize("value", [10**6, 2**40, 2**62 - 1])
def test_huge_thread_counts_are_refused(value):
    # libgomp exits the process when it cannot create a thread (seen at 40000)
    with pytest.raises(ValueError, match="num_threads"):
        sepconv.SeparableConv2D(1, 1, num_threads=value)
    with pytest.raises(ValueError, match="`n`"):
        sepconv.set_num_threads(value)
    assert sepconv.get_num_threads() >= 1


# ------------------------------------------------------------------ legal huge geometry
def _layer_and_ref(isa, monkeypatch, x, fmt="channels_last", act=None, **kw):
    monkeypatch.setenv("SEPCONV_ISA", isa)
    init = sepconv.initializers.GlorotUniform(seed=7)
    layer = sepconv.SeparableConv2D(data_format=fmt, activation=act, depthwise_initializer=init,
                                    pointwise_initializer=init,
                                    bias_initializer=sepconv.initializers.Constant(0.5), **kw)
    y = layer(x)
    dw, pw, b = layer.get_weights()
    return y, dw, pw, b


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kw", [
    dict(filters=3, kernel_size=5, padding="same", dilation_rate=1000),
    dict(filters=3, kernel_size=(3, 5), padding="same", dilation_rate=(2, 700), depth_multiplier=2),
    dict(filters=2, kernel_size=3, padding="same", strides=10**6),
    dict(filters=2, kernel_size=(2, 3), padding="valid", strides=(10**6, 10**9)),
    dict(filters=4, kernel_size=(3, 1500), padding="same"),
    dict(filters=2, kernel_size=(1, 1200), padding="valid"),
])
def test_huge_kernels_dilations_strides_match_reference(isa, fmt, kw, monkeypatch):
    rng = np.random.default_rng(3)
    shape = (2, 5, 1203, 3) if kw["kernel_size"] == (1, 1200) else (2, 5, 6, 3)
    x = rng.standard_normal(shape).astype(np.float32)
    if fmt == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    y, dw, pw, b = _layer_and_ref(isa, monkeypatch, x, fmt, **kw)
    want = ref.separable_conv2d(x, dw, pw, b, strides=sepconv.SeparableConv2D(**kw).strides,
                                padding=kw["padding"],
                                dilation=sepconv.SeparableConv2D(**kw).dilation_rate,
                                data_format=fmt)
    assert y.shape == want.shape
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("isa", ISAS)
def test_dilation_2_pow_40_sees_only_the_centre_tap(isa, monkeypatch):
    """SAME, k=3, d=2**40 on a 5x5 input: pad before = d, so of each window only
    the centre tap is inside the input; the layer must equal the 1x1 layer with
    that tap (the float64 reference cannot pad by 2**40 itself)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 5, 5, 2)).astype(np.float32)
    y, dw, pw, b = _layer_and_ref(isa, monkeypatch, x, filters=3, kernel_size=3, padding="same",
                                  dilation_rate=2**40, act="relu")
    want = ref.separable_conv2d(x, dw[1:2, 1:2], pw, b, activation_name="relu")
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("isa", ISAS)
def test_stride_near_int64_max_gives_one_output_pixel(isa, monkeypatch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 4, 7, 2)).astype(np.float64)
    s = 2**62
    y, dw, pw, b = _layer_and_ref(isa, monkeypatch, x, filters=2, kernel_size=3, padding="same",
                                  strides=s)
    # SAME, one output: total pad = 3 - n, so the window starts at -(pad // 2)
    want = ref.separable_conv2d(x, dw, pw, b, strides=(4, 7), padding="same")
    assert y.shape == (1, 1, 1, 2)
    np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
