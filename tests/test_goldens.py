"""sepconv against outputs computed by TensorFlow (tests/data, written by tools/make_goldens.py).

TensorFlow is not imported here: its outputs are committed data.  Each case records the TF
version and the TF method that produced it (see tools/make_goldens.py)."""

import functools
import json
import os

import numpy as np
import pytest

import reference

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

# (rtol, atol as a fraction of the output's scale): float16 is computed in float32 by sepconv but
# in float16 by TF, so its bound covers TF's own rounding of every stage.
TOLERANCES = {"float16": (1e-2, 1e-2), "float32": (1e-5, 1e-5), "float64": (1e-10, 1e-10)}


@functools.lru_cache(maxsize=None)
def _data():
    with open(os.path.join(DATA, "tf_goldens.json")) as fh:
        meta = json.load(fh)
    with np.load(os.path.join(DATA, "tf_goldens.npz")) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return meta, arrays


def _cases():
    return _data()[0]["cases"]


def _arrays(case):
    a, i = _data()[1], case["id"]
    return a[f"case{i}_x"], a[f"case{i}_dw"], a[f"case{i}_pw"], a.get(f"case{i}_b"), a[f"case{i}_y"]


def _close(got, want, dtype, what):
    rtol, atol = TOLERANCES[dtype]
    scale = max(1.0, float(np.max(np.abs(want.astype(np.float64)), initial=0.0)))
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol,
                               atol=atol * scale, err_msg=what)


CASE_IDS = [c["id"] for c in _cases()]
FUNCTIONAL_IDS = [c["id"] for c in _cases() if c["id"] < 3 or c["id"] % 7 == 0]


def _case(i):
    return _cases()[i]


# --- the data itself ------------------------------------------------------------------------

def test_golden_set_covers_the_parameter_space():
    cases = _cases()
    assert len(cases) >= 300
    assert {c["dtype"] for c in cases} == {"float16", "float32", "float64"}
    assert {c["data_format"] for c in cases} == {"channels_last", "channels_first"}
    assert {c["padding"] for c in cases} == {"same", "valid"}
    assert {c["use_bias"] for c in cases} == {True, False}
    acts = {c["activation"] for c in cases}
    assert acts >= {None, "linear", "relu", "relu6", "elu", "selu", "gelu", "sigmoid",
                    "hard_sigmoid", "tanh", "softplus", "softsign", "swish", "leaky_relu",
                    "exponential"}
    assert any(c["strides"][0] != c["strides"][1] for c in cases)
    assert any(max(c["dilation_rate"]) > 1 for c in cases)
    # stride > 1 with dilation > 1 is rejected by sepconv (decisions.md rule 4): never a golden
    assert not any(max(c["strides"]) > 1 and max(c["dilation_rate"]) > 1 for c in cases)


@pytest.mark.parametrize("i", CASE_IDS)
def test_golden_matches_float64_reference(i):
    """TF's output equals the plain float64 NumPy reference: the data is what the spec says."""
    case = _case(i)
    x, dw, pw, b, y = _arrays(case)
    want = reference.separable_conv2d(x, dw, pw, b, case["strides"], case["padding"],
                                      case["dilation_rate"], case["data_format"],
                                      case["activation"])
    assert y.shape == want.shape
    _close(y, want, case["dtype"], f"TF vs reference, case {case}")


# TF's published numbers (spec §7.3 testConv2D2x2Filter, §7.4 SeparableConv2DTest), literal here
# so they do not depend on the generator or on sepconv.
def _half_ramp(shape):
    return (0.5 * np.arange(1, np.prod(shape) + 1)).reshape(shape).astype(np.float32)


HAND = {
    "tf_depthwise_conv2d_2x2_filter": dict(
        x=np.arange(1, 13, dtype=np.float32).reshape(1, 2, 3, 2),
        dw=np.arange(1, 17, dtype=np.float32).reshape(2, 2, 2, 2),
        pw=np.eye(4, dtype=np.float32).reshape(1, 1, 4, 4),
        filters=4, m=2, padding="valid", size=8,
        head=[196, 216, 272, 296, 252, 280, 344, 376], tail=376),
    "tf_separable_conv2d": dict(
        x=_half_ramp((1, 4, 4, 2)), dw=_half_ramp((2, 2, 2, 3)), pw=_half_ramp((1, 1, 6, 7)),
        filters=7, m=3, padding="same", size=112,
        head=[6644.5, 6971.5, 7298.5, 7625.5], tail=2535.75),
    "tf_separable_conv2d_equal_depth": dict(
        x=_half_ramp((1, 4, 4, 2)), dw=_half_ramp((2, 2, 2, 3)), pw=_half_ramp((1, 1, 6, 6)),
        filters=6, m=3, padding="same", size=96, head=[5742.0, 6069.0], tail=2173.5),
}


def _check_hand(y, h):
    y = np.asarray(y).ravel()
    assert y.size == h["size"]
    np.testing.assert_allclose(y[:len(h["head"])], h["head"], rtol=1e-6)
    np.testing.assert_allclose(y[-1], h["tail"], rtol=1e-6)


@pytest.mark.parametrize("name", sorted(HAND))
def test_hand_checked_cases_in_goldens(name):
    h = HAND[name]
    (case,) = [c for c in _cases() if c.get("name") == name]
    x, dw, pw, b, y = _arrays(case)
    np.testing.assert_array_equal(x, h["x"])
    np.testing.assert_array_equal(dw, h["dw"])
    np.testing.assert_array_equal(pw, h["pw"])
    assert b is None
    _check_hand(y, h)


# --- sepconv's public API against TF --------------------------------------------------------

def _kwargs(case):
    return dict(strides=tuple(case["strides"]), padding=case["padding"],
                data_format=case["data_format"], dilation_rate=tuple(case["dilation_rate"]),
                depth_multiplier=case["depth_multiplier"], activation=case["activation"],
                use_bias=case["use_bias"])


def _layer_output(case, x, dw, pw, b):
    import sepconv
    layer = sepconv.SeparableConv2D(case["filters"], tuple(case["kernel_size"]), **_kwargs(case))
    layer(x)  # builds with the input's dtype, as TF 1.x layers do
    wdt = layer.get_weights()[0].dtype
    weights = [dw, pw, b] if case["use_bias"] else [dw, pw]
    layer.set_weights([w.astype(wdt) for w in weights])
    return layer(x)


def _functional_output(case, x, dw, pw, b):
    import sepconv
    const = sepconv.initializers.Constant
    kw = _kwargs(case)
    return sepconv.separable_conv2d(
        x, case["filters"], tuple(case["kernel_size"]), kw["strides"], kw["padding"],
        kw["data_format"], kw["dilation_rate"], kw["depth_multiplier"], kw["activation"],
        kw["use_bias"], depthwise_initializer=const(dw), pointwise_initializer=const(pw),
        bias_initializer=const(b) if b is not None else "zeros")


@pytest.mark.parametrize("i", CASE_IDS)
def test_layer_matches_tf(i):
    case = _case(i)
    x, dw, pw, b, want = _arrays(case)
    x_before = x.copy()
    y = _layer_output(case, x, dw, pw, b)
    assert isinstance(y, np.ndarray)
    assert y.dtype == x.dtype
    assert y.shape == want.shape
    np.testing.assert_array_equal(x, x_before)
    _close(y, want, case["dtype"], f"sepconv layer vs TF {case['tf_version']}, case {case}")


@pytest.mark.parametrize("i", FUNCTIONAL_IDS)
def test_functional_matches_tf(i):
    case = _case(i)
    x, dw, pw, b, want = _arrays(case)
    y = _functional_output(case, x, dw, pw, b)
    assert y.dtype == x.dtype
    assert y.shape == want.shape
    _close(y, want, case["dtype"], f"sepconv functional vs TF {case['tf_version']}, case {case}")


@pytest.mark.parametrize("name", sorted(HAND))
def test_hand_checked_values(name):
    """sepconv reproduces TF's published numbers (not read from the golden file)."""
    import sepconv
    h = HAND[name]
    layer = sepconv.SeparableConv2D(h["filters"], (2, 2), padding=h["padding"],
                                    depth_multiplier=h["m"], use_bias=False)
    layer(h["x"])
    layer.set_weights([h["dw"], h["pw"]])
    _check_hand(layer(h["x"]), h)
