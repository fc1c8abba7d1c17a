"""The public API: TF's hand-checked values, TF's layer shape tests (spec 7.1),
padding geometry, weights, config, initializers, dtypes and the functional store."""

import numpy as np
import pytest

import reference as R
import sepconv
from sepconv import initializers

# --------------------------------------------------------------------------- TF's literal values


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tf_depthwise_2x2_filter_values(dtype):
    # depthwise_conv_op_base.py::testConv2D2x2Filter, with an identity pointwise stage
    x = np.arange(1, 13, dtype=dtype).reshape(1, 2, 3, 2)
    dw = np.arange(1, 17, dtype=dtype).reshape(2, 2, 2, 2)
    layer = sepconv.SeparableConv2D(4, (2, 2), depth_multiplier=2, use_bias=False, dtype=dtype)
    layer.build(x.shape)
    layer.set_weights([dw, np.eye(4, dtype=dtype).reshape(1, 1, 4, 4)])
    y = layer(x)
    assert y.shape == (1, 1, 2, 4)
    np.testing.assert_array_equal(y.ravel(), [196, 216, 272, 296, 252, 280, 344, 376])


def _half_ramp(shape, dtype):
    return (0.5 * np.arange(1, np.prod(shape) + 1)).reshape(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("f, first, last", [
    (7, [6644.5, 6971.5, 7298.5, 7625.5], 2535.75),   # conv_ops_test::testSeparableConv2D
    (6, [5742.0, 6069.0], 2173.5),                    # ...EqualInputOutputDepth
])
def test_tf_separable_op_values(dtype, f, first, last):
    x = _half_ramp((1, 4, 4, 2), dtype)
    dw = _half_ramp((2, 2, 2, 3), dtype)
    pw = _half_ramp((1, 1, 6, f), dtype)
    y = sepconv.separable_conv2d(x, f, 2, padding="same", depth_multiplier=3, use_bias=False,
                                 depthwise_initializer=initializers.Constant(dw),
                                 pointwise_initializer=initializers.Constant(pw))
    assert y.shape == (1, 4, 4, f) and y.dtype == dtype
    flat = y.ravel()
    np.testing.assert_allclose(flat[:len(first)], first, rtol=1e-6)
    np.testing.assert_allclose(flat[-1], last, rtol=1e-6)
    np.testing.assert_allclose(flat, R.separable_conv2d(x, dw, pw, padding="same").ravel(),
                               rtol=2e-6 if dtype == np.float32 else 1e-12)


# --------------------------------------------------------------------------- padding geometry
# spec section 3 table: n, k, s, d, SAME out, pad before, pad after, VALID out (None = error)
PAD_TABLE = [
    (7, 3, 1, 1, 7, 1, 1, 5), (7, 3, 2, 1, 4, 1, 1, 3), (8, 3, 2, 1, 4, 0, 1, 3),
    (6, 3, 2, 1, 3, 0, 1, 2), (7, 2, 1, 1, 7, 0, 1, 6), (8, 4, 2, 1, 4, 1, 1, 3),
    (5, 4, 2, 1, 3, 1, 2, 1), (9, 3, 1, 2, 9, 2, 2, 5), (7, 3, 1, 3, 7, 3, 3, 1),
    (5, 5, 3, 1, 2, 1, 2, 1), (1, 3, 1, 1, 1, 1, 1, None), (4, 7, 1, 1, 4, 3, 3, None),
    (5, 3, 7, 1, 1, 0, 0, 1), (5, 1, 2, 1, 3, 0, 0, 3),
]


def _conv1d_by_table(x, wts, s, d, out, before, after):
    """1-D cross-correlation with literal pads from the table."""
    xp = np.concatenate([np.zeros(before), x, np.zeros(after)])
    ek = (len(wts) - 1) * d + 1
    assert (out - 1) * s + ek <= len(xp)
    return np.array([sum(xp[i * s + a * d] * wts[a] for a in range(len(wts))) for i in range(out)])


@pytest.mark.parametrize("n, k, s, d, same_out, before, after, valid_out", PAD_TABLE)
@pytest.mark.parametrize("axis", [0, 1])
def test_padding_table(n, k, s, d, same_out, before, after, valid_out, axis):
    x1 = np.arange(1.0, n + 1) ** 1.5
    wts = np.arange(1.0, k + 1) * 10 ** np.arange(k)  # distinct taps reveal the alignment
    shape = (1, n, 1, 1) if axis == 0 else (1, 1, n, 1)
    ksize = (k, 1) if axis == 0 else (1, k)
    dil = (d, 1) if axis == 0 else (1, d)
    st = (s, 1) if axis == 0 else (1, s)
    for padding, out in (("same", same_out), ("valid", valid_out)):
        layer = sepconv.SeparableConv2D(1, ksize, strides=st, padding=padding, dilation_rate=dil,
                                        use_bias=False, dtype=np.float64)
        if out is None:
            with pytest.raises(ValueError, match="effective kernel size"):
                layer(x1.reshape(shape))
            continue
        layer.build(shape)
        layer.set_weights([wts.reshape(ksize + (1, 1)), np.ones((1, 1, 1, 1))])
        y = layer(x1.reshape(shape))
        pads = (before, after) if padding == "same" else (0, 0)
        np.testing.assert_allclose(y.ravel(), _conv1d_by_table(x1, wts, s, d, out, *pads),
                                   rtol=1e-13)


def test_valid_kernel_equal_to_input_gives_length_one():
    layer = sepconv.SeparableConv2D(2, (3, 4), padding="valid")
    assert layer(np.ones((1, 3, 4, 1), np.float32)).shape == (1, 1, 1, 2)


def test_unequal_strides_are_computed():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 8, 3))
    layer = sepconv.SeparableConv2D(4, 3, strides=(2, 1), padding="same", depth_multiplier=2)
    y = layer(x)
    dw, pw, b = layer.get_weights()
    assert y.shape == (2, 3, 8, 4)
    _assert_f64_close(y, R.separable_conv2d(x, dw, pw, b, (2, 1), "same"))


# --------------------------------------------------------------------------- TF layer tests, spec 7.1


def _shapes(layer):
    return [tuple(w.shape) for w in layer.weights]


def _rand(shape):
    return np.random.default_rng(1).uniform(size=shape).astype(np.float32)


def _assert_f64_close(actual, desired):
    """float64 agreement to rounding: 1e-12 relative to the output's scale, since an
    element near a cancellation has no meaningful relative error of its own (FMA
    kernels and the NumPy reference round such elements differently)."""
    desired = np.asarray(desired)
    scale = max(1.0, float(np.max(np.abs(desired)))) if desired.size else 1.0
    np.testing.assert_allclose(actual, desired, rtol=1e-12, atol=1e-12 * scale)


def test_create_separable_conv2d():
    layer = sepconv.SeparableConv2D(32, [3, 3], activation="relu")
    y = layer(_rand((5, 7, 9, 4)))
    assert y.shape == (5, 5, 7, 32)
    assert _shapes(layer) == [(3, 3, 4, 1), (1, 1, 4, 32), (32,)]
    assert (y >= 0).all()


def test_create_depth_multiplier():
    layer = sepconv.SeparableConv2D(32, [3, 3], depth_multiplier=2)
    assert layer(_rand((5, 7, 9, 4))).shape == (5, 5, 7, 32)
    assert _shapes(layer) == [(3, 3, 4, 2), (1, 1, 8, 32), (32,)]


def test_create_integer_kernel_size():
    layer = sepconv.SeparableConv2D(32, 3)
    assert layer.kernel_size == (3, 3)
    assert layer(_rand((5, 7, 9, 4))).shape == (5, 5, 7, 32)
    assert _shapes(layer) == [(3, 3, 4, 1), (1, 1, 4, 32), (32,)]


def test_create_channels_first():
    layer = sepconv.SeparableConv2D(32, [3, 3], data_format="channels_first")
    assert layer(_rand((5, 4, 7, 9))).shape == (5, 32, 5, 7)
    assert _shapes(layer) == [(3, 3, 4, 1), (1, 1, 4, 32), (32,)]


def test_padding_same_with_kernel_equal_to_input():
    layer = sepconv.SeparableConv2D(64, (7, 9), padding="same")
    assert layer(_rand((5, 7, 9, 32))).shape == (5, 7, 9, 64)


@pytest.mark.parametrize("strides, out_hw", [((2, 2), (3, 4)), (2, (3, 4)), ((2, 1), (3, 8))])
def test_create_with_strides(strides, out_hw):
    layer = sepconv.SeparableConv2D(32, (3, 3), strides=strides, padding="same")
    assert layer(_rand((5, 6, 8, 3))).shape == (5,) + out_hw + (32,)
    cf = sepconv.SeparableConv2D(32, (3, 3), strides=strides, padding="same",
                                 data_format="channels_first")
    assert cf(_rand((5, 3, 6, 8))).shape == (5, 32) + out_hw


def test_no_bias():
    layer = sepconv.SeparableConv2D(32, [3, 3], activation="relu", use_bias=False)
    layer(_rand((5, 7, 9, 4)))
    assert layer.bias is None
    assert _shapes(layer) == [(3, 3, 4, 1), (1, 1, 4, 32)]


def test_constraints_and_regularizers_are_stored():
    fns = [lambda w: w for _ in range(7)]
    layer = sepconv.SeparableConv2D(
        2, 3, depthwise_regularizer=fns[0], pointwise_regularizer=fns[1], bias_regularizer=fns[2],
        activity_regularizer=fns[3], depthwise_constraint=fns[4], pointwise_constraint=fns[5],
        bias_constraint=fns[6])
    assert [layer.depthwise_regularizer, layer.pointwise_regularizer, layer.bias_regularizer,
            layer.activity_regularizer, layer.depthwise_constraint, layer.pointwise_constraint,
            layer.bias_constraint] == fns


def test_compute_output_shape():
    layer = sepconv.SeparableConv2D(5, 3, strides=2, padding="valid")
    assert layer.compute_output_shape((None, 9, 10, 3)) == (None, 4, 4, 5)
    assert layer.compute_output_shape((2, None, 10, 3)) == (2, None, 4, 5)
    cf = sepconv.SeparableConv2D(5, 3, data_format="channels_first", padding="same")
    assert cf.compute_output_shape((2, 3, 9, 10)) == (2, 5, 9, 10)


# --------------------------------------------------------------------------- weights and config


def test_weights_order_and_set_weights_repacks():
    x = _rand((2, 5, 5, 3)).astype(np.float64)
    layer = sepconv.SeparableConv2D(4, 2, depth_multiplier=2)
    y0 = layer(x)
    dw, pw, b = layer.get_weights()
    assert [w.shape for w in (dw, pw, b)] == [(2, 2, 3, 2), (1, 1, 6, 4), (4,)]
    assert all(a is b for a, b in zip(layer.weights, [layer.depthwise_kernel,
                                                      layer.pointwise_kernel, layer.bias]))
    _assert_f64_close(y0, R.separable_conv2d(x, dw, pw, b))
    b2 = b + 1.5
    layer.set_weights([dw, 2 * pw, b2])
    _assert_f64_close(layer(x), R.separable_conv2d(x, dw, 2 * pw, b2))
    np.testing.assert_array_equal(layer.bias, b2)


def test_get_weights_returns_copies_and_weights_are_read_only():
    layer = sepconv.SeparableConv2D(2, 1)
    layer.build((1, 2, 2, 1))
    got = layer.get_weights()
    got[0][...] = 42
    assert (layer.depthwise_kernel.numpy() != 42).all()
    # a stale packed plan must be impossible: Variables change only through assign
    with pytest.raises(TypeError):
        layer.depthwise_kernel[...] = 1
    with pytest.raises(ValueError):
        layer.depthwise_kernel.value()[...] = 1
    with pytest.raises(ValueError):
        np.asarray(layer.depthwise_kernel)[...] = 1


def test_set_weights_casts_compatible_dtypes():
    layer = sepconv.SeparableConv2D(2, 1, use_bias=False, dtype="float32")
    layer.build((1, 2, 2, 1))
    layer.set_weights([np.full((1, 1, 1, 1), 2, np.int64), np.array([[[[0.5, 1.0]]]])])
    assert layer.depthwise_kernel.dtype == np.float32 and layer.pointwise_kernel.dtype == np.float32
    np.testing.assert_array_equal(layer(np.ones((1, 2, 2, 1), np.float32))[0, 0, 0], [1.0, 2.0])


def test_config_round_trip():
    layer = sepconv.SeparableConv2D(
        3, (2, 3), strides=(2, 1), padding="SAME", data_format="Channels_First",
        depth_multiplier=2, activation="silu", depthwise_initializer="glorot_uniform",
        pointwise_initializer=initializers.GlorotUniform(seed=3), name="myconv", num_threads=2)
    cfg = layer.get_config()
    for key in ("name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding",
                "data_format", "dilation_rate", "depth_multiplier", "activation", "use_bias",
                "depthwise_initializer", "pointwise_initializer", "bias_initializer",
                "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer",
                "activity_regularizer", "depthwise_constraint", "pointwise_constraint",
                "bias_constraint"):
        assert key in cfg
    assert cfg["padding"] == "same" and cfg["data_format"] == "channels_first"
    assert cfg["kernel_size"] == (2, 3) and cfg["strides"] == (2, 1)
    assert cfg["pointwise_initializer"] == {"class_name": "GlorotUniform", "config": {"seed": 3}}
    assert cfg["bias_initializer"] == {"class_name": "Zeros", "config": {}}
    clone = sepconv.SeparableConv2D.from_config(cfg)
    assert clone.get_config() == cfg
    x = _rand((1, 3, 5, 4))
    layer(x)
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x), layer(x))
    assert sepconv.SeparableConv2D(2, 1).get_config()["activation"] == "linear"


def test_aliases():
    assert sepconv.SeparableConvolution2D is sepconv.SeparableConv2D
    assert sepconv.separable_convolution2d is sepconv.separable_conv2d


# --------------------------------------------------------------------------- dtypes


def test_dtype_from_build_first_input_or_argument():
    a = sepconv.SeparableConv2D(2, 1)
    a.build((1, 2, 2, 3))
    assert a.dtype == "float32" and a.depthwise_kernel.dtype == np.float32
    b = sepconv.SeparableConv2D(2, 1)
    assert b.dtype is None
    b(np.ones((1, 2, 2, 3)))
    assert b.dtype == "float64" and b.pointwise_kernel.dtype == np.float64
    c = sepconv.SeparableConv2D(2, 1, dtype="float64")
    c.build((1, 2, 2, 3))
    assert c.bias.dtype == np.float64


@pytest.mark.parametrize("dt", [np.float16, np.float32, np.float64])
def test_output_dtype_follows_input(dt):
    layer = sepconv.SeparableConv2D(2, 2, padding="same")
    x = _rand((1, 3, 3, 2))
    layer(x)  # a float32 layer
    y = layer(x.astype(dt))
    assert y.dtype == dt and y.shape == (1, 3, 3, 2)


def test_float16_layer_keeps_float16_weights_and_computes_in_float32():
    x = (np.arange(2 * 4 * 4 * 3).reshape(2, 4, 4, 3) / 7.0).astype(np.float16)
    layer = sepconv.SeparableConv2D(3, 2, padding="same", bias_initializer="ones")
    y = layer(x)
    assert layer.dtype == "float16" and all(w.dtype == np.float16 for w in layer.weights)
    assert y.dtype == np.float16
    want = R.separable_conv2d(x, *layer.get_weights(), padding="same")
    # one float16 rounding of a float32 result: within one float16 ulp
    np.testing.assert_allclose(y.astype(np.float64), want, rtol=2 ** -10, atol=0)


# --------------------------------------------------------------------------- initializers


def test_default_initializers_glorot_kernels_zero_bias():
    layer = sepconv.SeparableConv2D(50, 3, depth_multiplier=4)
    layer.build((1, 3, 3, 16))
    dw, pw, b = layer.get_weights()
    assert (b == 0).all()
    for w, fan_in, fan_out in ((dw, 9 * 16, 9 * 4), (pw, 64, 50)):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.95 * limit
        assert abs(w.std() - limit / np.sqrt(3)) < 0.1 * limit


def test_bias_initializer_none_is_glorot():
    layer = sepconv.SeparableConv2D(1000, 1, bias_initializer=None)
    layer.build((1, 1, 1, 1))
    limit = np.sqrt(6.0 / 2000)
    assert 0.9 * limit < np.abs(layer.bias).max() <= limit


def test_initializer_classes_names_and_callables():
    assert (initializers.get("zeros")((2, 3)) == 0).all()
    assert (initializers.get("ones")((2,), np.float64) == 1).all()
    assert initializers.get("ones")((2,), np.float64).dtype == np.float64
    np.testing.assert_array_equal(initializers.Constant(2.5)((2, 2)), np.full((2, 2), 2.5))
    np.testing.assert_array_equal(initializers.Constant([1, 2])((3, 2)), [[1, 2]] * 3)
    g = initializers.GlorotUniform(seed=7)
    assert initializers.get(g) is g
    np.testing.assert_array_equal(g((3, 3, 4, 2)), initializers.GlorotUniform(seed=7)((3, 3, 4, 2)))
    assert initializers.compute_fans((3, 3, 4, 2)) == (36, 18)
    assert initializers.compute_fans((1, 1, 6, 7)) == (6, 7)
    assert initializers.compute_fans((5,)) == (5, 5)
    assert isinstance(initializers.get({"class_name": "Ones", "config": {}}), initializers.Ones)
    with pytest.raises(ValueError, match="glorot_uniform"):
        initializers.get("no_such_init")
    with pytest.raises(ValueError, match="shape"):
        initializers.Constant(np.ones(3))((2, 2))
    layer = sepconv.SeparableConv2D(2, 1, depthwise_initializer=lambda shape, dtype: np.full(shape, 3.0))
    layer.build((1, 1, 1, 2))
    assert (layer.depthwise_kernel.numpy() == 3).all()


# --------------------------------------------------------------------------- functional API and store


def test_functional_unique_names_and_no_reuse():
    x = _rand((1, 4, 4, 2))
    for _ in range(3):
        sepconv.separable_conv2d(x, 3, 2)
    assert [l.name for l in sepconv.functional.STORE.layers()] == [
        "separable_conv2d", "separable_conv2d_1", "separable_conv2d_2"]
    assert sum(len(l.weights) for l in sepconv.functional.STORE.layers()) == 9


def test_functional_reuse_shares_weights():
    x = _rand((2, 5, 5, 3))
    y1 = sepconv.separable_conv2d(x, 4, 3, name="sepconv1")
    y2 = sepconv.separable_conv2d(x, 4, 3, name="sepconv1", reuse=True)
    assert len(sepconv.functional.STORE.layers()) == 1
    np.testing.assert_array_equal(y1, y2)
    # the reused weights with a different activation: TF shares variables, not the config
    y3 = sepconv.separable_conv2d(x, 4, 3, name="sepconv1", reuse=True, activation="relu")
    np.testing.assert_array_equal(y3, np.maximum(y1, 0))
    y4 = sepconv.separable_conv2d(x, 4, 3, name="sepconv1", reuse=sepconv.AUTO_REUSE)
    np.testing.assert_array_equal(y4, y1)


def test_functional_auto_reuse_creates_once():
    x = _rand((1, 4, 4, 2))
    a = sepconv.separable_conv2d(x, 3, 2, name="auto", reuse=sepconv.AUTO_REUSE)
    b = sepconv.separable_conv2d(x, 3, 2, name="auto", reuse=sepconv.AUTO_REUSE)
    np.testing.assert_array_equal(a, b)
    assert len(sepconv.functional.STORE.layers()) == 1


def test_functional_reuse_without_name_uses_the_base_name():
    x = _rand((1, 4, 4, 2))
    a = sepconv.separable_conv2d(x, 3, 2, reuse=sepconv.AUTO_REUSE)
    b = sepconv.separable_conv2d(x, 3, 2, reuse=True)
    c = sepconv.separable_conv2d(x, 3, 2)
    np.testing.assert_array_equal(a, b)
    assert [l.name for l in sepconv.functional.STORE.layers()] == [
        "separable_conv2d", "separable_conv2d_1"]
    assert not np.array_equal(a, c)


def test_functional_reuse_errors():
    x = _rand((1, 4, 4, 3))
    with pytest.raises(ValueError, match="does not exist"):
        sepconv.separable_conv2d(x, 4, 2, name="never_seen", reuse=True)
    sepconv.separable_conv2d(x, 4, 2, name="myconv")
    with pytest.raises(ValueError, match="already exists"):
        sepconv.separable_conv2d(x, 4, 2, name="myconv")
    with pytest.raises(ValueError, match="already exists"):
        sepconv.separable_conv2d(x, 4, 2, name="myconv", reuse=False)
    with pytest.raises(ValueError, match=r"Trying to share variable myconv/pointwise_kernel, but "
                                         r"specified shape \(1, 1, 3, 5\) and found shape \(1, 1, 3, 4\)"):
        sepconv.separable_conv2d(x, 5, 2, name="myconv", reuse=True)


def test_functional_failed_call_registers_nothing():
    with pytest.raises(ValueError):
        sepconv.separable_conv2d(np.ones((1, 2, 2, 1)), 1, 3, name="bad")
    assert sepconv.functional.get_layer("bad") is None
    sepconv.separable_conv2d(np.ones((1, 3, 3, 1)), 1, 3, name="bad")
    assert sepconv.functional.get_layer("bad") is not None


def test_functional_positional_order():
    x = _rand((1, 6, 6, 2)).astype(np.float64)
    dwi = initializers.Constant(0.25)
    y = sepconv.separable_conv2d(x, 3, (2, 3), (2, 2), "SAME", "channels_last", (1, 1), 2, "relu",
                                 False, dwi, "ones")
    want = R.separable_conv2d(x, np.full((2, 3, 2, 2), 0.25), np.ones((1, 1, 4, 3)), None,
                              (2, 2), "same", activation_name="relu")
    _assert_f64_close(y, want)


def test_functional_batch_zero():
    y = sepconv.separable_conv2d(np.zeros((0, 5, 6, 2), np.float32), 3, 2,
                                 data_format="channels_last")
    assert y.shape == (0, 4, 5, 3) and y.dtype == np.float32


def test_selected_isa(monkeypatch):
    from sepconv import _kernels
    monkeypatch.delenv("SEPCONV_ISA", raising=False)
    assert sepconv.selected_isa() == _kernels.best_isa()
    monkeypatch.setenv("SEPCONV_ISA", "REF")
    assert sepconv.selected_isa() == "ref"
    layer = sepconv.SeparableConv2D(2, 1)
    layer.build((1, 1, 1, 1))
    assert all(p.isa == "ref" for p in layer._plans.values())
    monkeypatch.setenv("SEPCONV_ISA", "sse9")
    with pytest.raises(ValueError, match="SEPCONV_ISA='sse9'"):
        sepconv.SeparableConv2D(2, 1).build((1, 1, 1, 1))
