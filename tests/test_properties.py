"""Property tests: the layer and the functional API against tests/reference.py (float64).

Shapes, strides, dilations, paddings, data formats, dtypes, bias and every
activation are drawn by hypothesis; invalid VALID combinations are skipped with
assume.  Weights reach the layer through set_weights, or through the functional
API with Constant initializers holding the arrays."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import reference as R
import sepconv
from sepconv import activations
from sepconv.initializers import Constant

ACTIVATIONS = [None] + list(activations.KNOWN)
TOL = {np.float16: 1e-2, np.float32: 1e-4, np.float64: 1e-10}


@st.composite
def configs(draw, max_hw=30, max_c=4, max_m=4, max_f=6):
    kh, kw = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    if draw(st.booleans()):  # strided, or dilated: never both (decisions.md rule 4)
        strides, dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3))), (1, 1)
    else:
        strides, dilation = (1, 1), (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    padding = draw(st.sampled_from(["valid", "same"]))
    h, w = draw(st.integers(1, max_hw)), draw(st.integers(1, max_hw))
    if padding == "valid":
        assume(h >= (kh - 1) * dilation[0] + 1 and w >= (kw - 1) * dilation[1] + 1)
    return dict(
        n=draw(st.integers(1, 2)), h=h, w=w, c=draw(st.integers(1, max_c)),
        m=draw(st.integers(1, max_m)), f=draw(st.integers(1, max_f)), kernel=(kh, kw),
        strides=strides, dilation=dilation, padding=padding,
        data_format=draw(st.sampled_from(["channels_last", "channels_first"])),
        dtype=draw(st.sampled_from([np.float16, np.float32, np.float64])),
        use_bias=draw(st.booleans()), activation=draw(st.sampled_from(ACTIVATIONS)),
        seed=draw(st.integers(0, 2**32 - 1)))


def make_data(cfg):
    """Inputs and weights of moderate size, rounded to the tested dtype."""
    rng = np.random.default_rng(cfg["seed"])
    (kh, kw), c, m, f = cfg["kernel"], cfg["c"], cfg["m"], cfg["f"]
    shape = (cfg["n"], cfg["h"], cfg["w"], c)
    if cfg["data_format"] == "channels_first":
        shape = (cfg["n"], c, cfg["h"], cfg["w"])
    dt = cfg["dtype"]
    x = rng.uniform(-1, 1, shape).astype(dt)
    dw = (rng.standard_normal((kh, kw, c, m)) / np.sqrt(kh * kw)).astype(dt)
    pw = (rng.standard_normal((1, 1, c * m, f)) / np.sqrt(c * m)).astype(dt)
    bias = rng.uniform(-0.5, 0.5, f).astype(dt) if cfg["use_bias"] else None
    return x, dw, pw, bias


def expected(cfg, x, dw, pw, bias):
    return R.separable_conv2d(x, dw, pw, bias, cfg["strides"], cfg["padding"], cfg["dilation"],
                              cfg["data_format"], cfg["activation"])


def check_close(got, want, dt):
    assert got.dtype == dt
    assert got.shape == want.shape
    assert got.flags.c_contiguous
    tol = TOL[dt]
    scale = max(1.0, float(np.nanmax(np.abs(want))) if want.size else 1.0)
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=tol, atol=tol * scale)


def layer_for(cfg, **extra):
    return sepconv.SeparableConv2D(
        cfg["f"], cfg["kernel"], strides=cfg["strides"], padding=cfg["padding"],
        data_format=cfg["data_format"], dilation_rate=cfg["dilation"], depth_multiplier=cfg["m"],
        activation=cfg["activation"], use_bias=cfg["use_bias"], **extra)


@settings(max_examples=300)
@given(configs())
def test_layer_with_set_weights_matches_reference(cfg):
    x, dw, pw, bias = make_data(cfg)
    layer = layer_for(cfg, dtype=cfg["dtype"])
    layer.build(x.shape)
    layer.set_weights([dw, pw] + ([bias] if cfg["use_bias"] else []))
    check_close(layer(x), expected(cfg, x, dw, pw, bias), cfg["dtype"])


@settings(max_examples=200)
@given(configs())
def test_functional_with_constant_initializers_matches_reference(cfg):
    x, dw, pw, bias = make_data(cfg)
    y = sepconv.separable_conv2d(
        x, cfg["f"], cfg["kernel"], cfg["strides"], cfg["padding"], cfg["data_format"],
        cfg["dilation"], cfg["m"], cfg["activation"], cfg["use_bias"],
        depthwise_initializer=Constant(dw), pointwise_initializer=Constant(pw),
        bias_initializer=Constant(bias if bias is not None else 0.0))
    check_close(y, expected(cfg, x, dw, pw, bias), cfg["dtype"])


@settings(max_examples=100)
@given(configs(max_hw=14, max_c=20, max_m=2, max_f=40))
def test_wide_channels_match_reference(cfg):
    """Channel counts past one SIMD vector, so optimised kernels' main loops and tails run."""
    x, dw, pw, bias = make_data(cfg)
    layer = layer_for(cfg, dtype=cfg["dtype"])
    layer.build(x.shape)
    layer.set_weights([dw, pw] + ([bias] if cfg["use_bias"] else []))
    check_close(layer(x), expected(cfg, x, dw, pw, bias), cfg["dtype"])


@settings(max_examples=60)
@given(configs())
def test_channels_first_equals_channels_last_on_transposed_data(cfg):
    cfg = dict(cfg, data_format="channels_last", dtype=np.float64)
    x, dw, pw, bias = make_data(cfg)
    weights = [dw, pw] + ([bias] if cfg["use_bias"] else [])
    last = layer_for(cfg)
    first = layer_for(dict(cfg, data_format="channels_first"), dtype=np.float64)
    last(x)  # builds from the first input: float64
    xt = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    first.build(xt.shape)
    last.set_weights(weights)
    first.set_weights(weights)
    assert [w.shape for w in first.get_weights()] == [w.shape for w in last.get_weights()]
    y_last = last(x)
    np.testing.assert_allclose(first(xt), y_last.transpose(0, 3, 1, 2), rtol=1e-12, atol=1e-12)


@settings(max_examples=40)
@given(configs())
def test_callable_activation_runs_on_the_output(cfg):
    cfg = dict(cfg, activation=None)
    x, dw, pw, bias = make_data(cfg)
    layer = layer_for(dict(cfg, activation=lambda y: 3.0 * np.tanh(y) - 1.0), dtype=cfg["dtype"])
    layer.build(x.shape)
    layer.set_weights([dw, pw] + ([bias] if cfg["use_bias"] else []))
    want = 3.0 * np.tanh(expected(cfg, x, dw, pw, bias)) - 1.0
    check_close(layer(x), want, cfg["dtype"])


@pytest.mark.parametrize("name", activations.KNOWN)
def test_activations_propagate_nan(name):
    x = np.zeros((1, 2, 2, 1), np.float32)
    x[0, 0, 0, 0] = np.nan
    layer = sepconv.SeparableConv2D(1, 1, activation=name)
    layer.build(x.shape)
    layer.set_weights([np.ones((1, 1, 1, 1)), np.ones((1, 1, 1, 1)), np.zeros(1)])
    y = layer(x)
    assert np.isnan(y[0, 0, 0, 0])
    np.testing.assert_allclose(y[0, 1:, 1:, 0], R.activation(name, np.zeros((1, 1))), atol=1e-6)


def test_inf_propagates():
    x = np.zeros((1, 1, 3, 1))
    x[0, 0, 1, 0] = np.inf
    layer = sepconv.SeparableConv2D(1, (1, 1), use_bias=False)
    layer.build(x.shape)
    layer.set_weights([np.ones((1, 1, 1, 1)), -np.ones((1, 1, 1, 1))])
    y = layer(x)
    assert y[0, 0, 1, 0] == -np.inf and y[0, 0, 0, 0] == 0 and y[0, 0, 2, 0] == 0
