"""Hostile arguments at every public entry point (hardening issue, part 2).

The only outcomes allowed: a correct result (checked against the float64
reference in tests/reference.py whenever an output is computed), or a
ValueError / TypeError whose message names the argument (MemoryError, with
the size, only for sizes that cannot be had).  Anything else, a crash, a
wrong exception or a wrong number, fails the test.

Examples per test: $SEPCONV_FUZZ_EXAMPLES (default 40, so plain `pytest`
stays fast); CI runs 2,000 per test (> 20,000 in all) with the fixed-seed
"ci" profile from conftest.py; tools/fuzz.py runs any number on demand."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import reference as ref
import sepconv
from sepconv import activations, initializers

EXAMPLES = int(os.environ.get("SEPCONV_FUZZ_EXAMPLES", "40"))
fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=list(HealthCheck))

# Lipschitz constant <= 2: an error bound on the pre-activation carries over
SAFE_ACTS = ["relu", "relu6", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid", "tanh",
             "softplus", "softsign", "swish", "silu", "leaky_relu", None, "linear"]
ALLOWED = (ValueError, TypeError)

# ------------------------------------------------------------------ hostile values
big_ints = st.sampled_from([0, -1, -2**31, 2**31, 2**62, 2**63, 2**64, -2**63, 10**30])
np_scalars = st.sampled_from([np.int64(3), np.int32(2), np.uint8(1), np.float32(2.0),
                              np.float64(1.5), np.bool_(True), np.complex64(1 + 1j),
                              np.int64(-3), np.float16(np.nan), np.str_("same")])
junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), big_ints,
              st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
              st.binary(max_size=4), st.complex_numbers(max_magnitude=4), np_scalars,
              st.just(object()), st.just(np.array([1, 2])), st.just(np.array(["a"])),
              st.just(np.empty((0,))), st.just(np.array([[1.5, 2]], dtype=object)),
              st.just({})),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner),
                            st.dictionaries(st.text(max_size=3), inner, max_size=2)),
    max_leaves=4)


def _names(exc, *words):
    msg = str(exc)
    assert any(w in msg for w in words), f"{type(exc).__name__}({msg!r}) names none of {words}"


def _check_allowed(exc, *words):
    if isinstance(exc, MemoryError):  # sizes that cannot be had: the message gives the size
        _names(exc, "bytes")
        return
    assert isinstance(exc, ALLOWED), f"wrong exception {type(exc).__name__}: {exc}"
    _names(exc, *words)


# ------------------------------------------------------------------ reference check
def _close(y, want, bound, rtol):
    y64 = np.asarray(y, dtype=np.float64)
    assert y.shape == want.shape
    # where the sums can reach the dtype's overflow threshold, IEEE overflow
    # (inf, or inf - inf = NaN) is a correct float result: compare the rest
    ok = np.abs(bound) < 0.25 * float(np.finfo(y.dtype).max)
    y64, want, bound = y64[ok], want[ok], bound[ok]
    assert np.array_equal(np.isnan(y64), np.isnan(want)), "NaN positions differ"
    fin = np.isfinite(want)
    assert np.array_equal(y64[~fin & ~np.isnan(want)], want[~fin & ~np.isnan(want)])
    err = np.abs(y64[fin] - want[fin])
    tol = rtol * (np.abs(bound[fin]) + 1.0)
    assert np.all(err <= tol), f"max error {err.max() if err.size else 0}"


def check_layer_output(layer, x, y):
    """y must be the layer's function of x, within float rounding of the reference."""
    dw, pw, *b = layer.get_weights()
    b = b[0] if b else None
    if max((k - 1) * d + 1 for k, d in zip(layer.kernel_size, layer.dilation_rate)) > 10**4:
        return  # the reference pads explicitly; tests/test_size_limits.py covers these
    act = layer.activation if isinstance(layer.activation, str) or layer.activation is None \
        else None
    kw = dict(strides=layer.strides, padding=layer.padding, dilation=layer.dilation_rate,
              data_format=layer.data_format)
    want = ref.separable_conv2d(x, dw, pw, b, activation_name=act, **kw)
    if callable(layer.activation):
        want = np.asarray(layer.activation(want), dtype=np.float64)
    # a bound on the rounding: the same sums over absolute values
    bound = ref.separable_conv2d(np.abs(np.nan_to_num(np.asarray(x, np.float64), posinf=0,
                                                      neginf=0)),
                                 np.abs(np.nan_to_num(dw, posinf=0, neginf=0)),
                                 np.abs(np.nan_to_num(pw, posinf=0, neginf=0)),
                                 None if b is None else np.abs(np.nan_to_num(b)), **kw)
    itemsize = np.asarray(x).dtype.itemsize
    rtol = {2: 4e-3, 4: 2e-5, 8: 1e-12}.get(itemsize, 2e-5) * 4
    if itemsize == 2:
        bound = bound + np.abs(np.nan_to_num(want, posinf=0, neginf=0))
    _close(y, want, bound, rtol)


# ------------------------------------------------------------------ layer arguments
VALID_ARGS = dict(filters=3, kernel_size=(2, 3), strides=(1, 1), padding="same",
                  data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                  activation=None, use_bias=True, depthwise_initializer=None,
                  pointwise_initializer=None, bias_initializer="zeros", name=None, dtype=None,
                  num_threads=None, trainable=True)
# what a message about each argument may call it
WORDS = {
    "depthwise_initializer": ("initializer",), "pointwise_initializer": ("initializer",),
    "bias_initializer": ("initializer",), "activation": ("activation",),
    "depthwise_regularizer": ("regularizer",), "pointwise_regularizer": ("regularizer",),
    "bias_regularizer": ("regularizer",), "activity_regularizer": ("regularizer",),
    "depthwise_constraint": ("constraint",), "pointwise_constraint": ("constraint",),
    "bias_constraint": ("constraint",), "strides": ("strides", "dilation"),
    "dilation_rate": ("strides", "dilation"),
}
ARG_NAMES = sorted(set(VALID_ARGS) | set(WORDS) | {"use_bias", "trainable"})
SANE = dict(
    filters=st.integers(1, 5), kernel_size=st.one_of(st.integers(1, 4), st.tuples(
        st.integers(1, 4), st.integers(1, 4))),
    strides=st.sampled_from([1, 2, (1, 3), np.int64(2)]),
    padding=st.sampled_from(["same", "valid", "SAME", "Valid"]),
    data_format=st.sampled_from(["channels_last", "channels_first", "Channels_First"]),
    dilation_rate=st.sampled_from([1, (1, 1), np.int32(1)]),
    depth_multiplier=st.integers(1, 3), activation=st.sampled_from(SAFE_ACTS),
    use_bias=st.booleans(), num_threads=st.sampled_from([None, 1, 2, 3]),
    dtype=st.sampled_from([None, "float32", np.float64, "float16"]),
    depthwise_initializer=st.sampled_from([None, "ones", "glorot_uniform",
                                           initializers.GlorotUniform(seed=1)]),
    bias_initializer=st.sampled_from(["zeros", "ones", initializers.Constant(0.5)]),
)


def _small_input(fmt, c, dtype, draw_h, draw_w, n=2):
    rng = np.random.default_rng(draw_h * 31 + draw_w)
    shape = (n, draw_h, draw_w, c) if fmt == "channels_last" else (n, c, draw_h, draw_w)
    return (rng.standard_normal(shape) * 3).astype(dtype)


@fuzz
@given(arg=st.sampled_from(ARG_NAMES), value=junk, data=st.data())
def test_constructor_one_hostile_argument(arg, value, data):
    kwargs = dict(VALID_ARGS)
    for k, strat in SANE.items():
        if k != arg and k != "dilation_rate":
            kwargs[k] = data.draw(strat, label=k)
    if arg in ("strides", "dilation_rate"):
        kwargs["strides"] = kwargs["dilation_rate"] = 1
    kwargs[arg] = value
    try:
        layer = sepconv.SeparableConv2D(**kwargs)
    except Exception as exc:  # noqa: BLE001 - the check below decides
        _check_allowed(exc, arg, *WORDS.get(arg, ()))
        return
    # accepted: it must then compute the right thing (or refuse the input clearly)
    fmt = layer.data_format
    x = _small_input(fmt, 2, np.float32, 5, 6)
    try:
        y = layer(x)
    except Exception as exc:  # noqa: BLE001
        _check_allowed(exc, arg, *WORDS.get(arg, ()), "kernel size", "initializer", "activation")
        return
    check_layer_output(layer, x, y)


@fuzz
@given(kwargs=st.fixed_dictionaries({k: v for k, v in SANE.items()}),
       h=st.integers(1, 7), w=st.integers(1, 7), c=st.integers(1, 4), n=st.integers(0, 2),
       dt=st.sampled_from([np.float16, np.float32, np.float64, ">f4", ">f8"]),
       special=st.sampled_from([None, np.nan, np.inf, -np.inf, 1e30, -0.0, 5e-45]),
       layout=st.sampled_from(["c", "f", "strided", "readonly", "unaligned"]))
def test_valid_layers_on_odd_inputs_match_reference(kwargs, h, w, c, n, dt, special, layout):
    layer = sepconv.SeparableConv2D(**kwargs)
    x = _small_input(layer.data_format, c, np.float64, h, w, n)
    if special is not None and x.size:
        x.flat[(h * 7 + w) % x.size] = special
    x = x.astype(dt)
    if layout == "f":
        x = np.asfortranarray(x)
    elif layout == "strided":
        big = np.repeat(x, 2, axis=-1)
        x = big[..., ::2]
    elif layout == "readonly":
        x.flags.writeable = False
    elif layout == "unaligned":
        buf = np.zeros(x.nbytes + 1, np.uint8)[1:].view(x.dtype).reshape(x.shape)
        buf[...] = x
        x = buf
    before = x.copy()
    try:
        y = layer(x)
    except Exception as exc:  # noqa: BLE001
        _check_allowed(exc, "effective kernel size", "dtype")
        return
    assert np.array_equal(before, x, equal_nan=True), "the input was modified"
    assert y.dtype == np.dtype(dt).newbyteorder("=") and y.flags.c_contiguous
    check_layer_output(layer, x, y)


@fuzz
@given(value=st.one_of(junk, st.sampled_from([
    np.zeros((1, 3, 3, 2), np.int32), np.zeros((1, 3, 3, 2), complex), np.zeros((1, 3, 3, 2), bool),
    np.zeros((1, 3, 3, 2), object), np.array([[[["a", "b"]]]]), np.zeros((0, 3, 3, 2)),
    np.zeros((1, 0, 3, 2)), np.zeros((1, 3, 0, 2)), np.zeros((1, 3, 3, 0)), np.zeros((3, 3, 2)),
    np.zeros((1, 1, 3, 3, 2)), np.zeros((1, 3, 3, 5)), [[[[1.0, 2.0]]]], [[[[1, 2]]]],
    np.float32(1.0), np.zeros((2, 3, 3, 2), np.float16), np.zeros((1, 3, 3, 2), np.longdouble),
    np.ma.masked_array(np.ones((1, 3, 3, 2))), np.matrix([[1.0, 2.0]])])))
def test_call_with_hostile_inputs(value):
    layer = sepconv.SeparableConv2D(3, 2, padding="same")
    layer.build((None, None, None, 2))
    try:
        y = layer(value)
    except Exception as exc:  # noqa: BLE001
        _check_allowed(exc, "inputs", "input", "channel", "shape")
        return
    check_layer_output(layer, np.asarray(value), y)


def _bad_outs(oshape):
    good = np.empty(oshape, np.float32)
    return [None, good, np.empty(oshape, np.float64), np.empty(oshape, np.float16),
            np.empty(oshape[::-1], np.float32), np.empty((1,) + oshape, np.float32),
            np.empty(oshape, np.float32, order="F"), np.empty(oshape + (2,), np.float32)[..., 0],
            np.empty(oshape, ">f4"), np.empty(oshape, object), np.empty(oshape, complex),
            np.empty(oshape, np.int32), good.tolist(), np.matrix([[1.0]]), 3.0, "out",
            np.empty(oshape, np.float32).view(np.ndarray)[...],
            np.frombuffer(bytes(good.nbytes), np.float32).reshape(oshape)]


@fuzz
@given(which=st.integers(0, 17), fill=st.sampled_from([0.0, np.nan]), data=st.data())
def test_call_with_bad_out_buffers(which, fill, data):
    layer = sepconv.SeparableConv2D(3, 2, padding="same",
                                    activation=data.draw(st.sampled_from(SAFE_ACTS)))
    x = _small_input("channels_last", 2, np.float32, 4, 5)
    oshape = (2, 4, 5, 3)
    out = _bad_outs(oshape)[which]
    snapshot = out.copy() if isinstance(out, np.ndarray) and out.dtype != object else None
    try:
        y = layer(x, out=out)
    except Exception as exc:  # noqa: BLE001
        _check_allowed(exc, "out")
        if snapshot is not None:
            assert np.array_equal(out, snapshot, equal_nan=True), "a refused out= was written"
        return
    if out is not None:
        assert y is out
    check_layer_output(layer, x, y)


@fuzz
@given(shape=st.one_of(junk, st.lists(st.one_of(st.none(), st.integers(-3, 9), big_ints,
                                                st.sampled_from([2.0, True, "3", np.int64(4)])),
                                      min_size=0, max_size=6)),
       fmt=st.sampled_from(["channels_last", "channels_first"]))
def test_build_and_compute_output_shape(shape, fmt):
    layer = sepconv.SeparableConv2D(3, 2, strides=2, padding="valid", data_format=fmt)
    try:
        out = layer.compute_output_shape(shape)
    except Exception as exc:  # noqa: BLE001
        _check_allowed(exc, "shape", "input", "kernel size")
        out = None
    if out is not None:
        shp = tuple(shape)
        n, h, w, c = shp if fmt == "channels_last" else (shp[0], shp[2], shp[3], shp[1])
        ho, wo = (None if v is None else ref.output_size_and_pad(v, 2, 2, 1, "valid")[0]
                  for v in (h, w))
        want = (n, ho, wo, 3) if fmt == "channels_last" else (n, 3, ho, wo)
        assert out == want and all(v is None or type(v) is int for v in out)
    try:
        layer.build(shape)
    except MemoryError as exc:
        _names(exc, "bytes")
        return
    except Exception as exc:  # noqa: BLE001
        _check_allowed(exc, "shape", "input", "channel", "kernel size")
        assert not layer.built
        return
    c = tuple(shape)[-1 if fmt == "channels_last" else 1]
    assert layer.depthwise_kernel.shape == (2, 2, c, 1)
    assert layer.pointwise_kernel.shape == (1, 1, c, 3)


WEIGHT_WORDS = ("weights", "depthwise_kernel", "pointwise_kernel", "bias")


@fuzz
@given(entries=st.lists(st.one_of(
    junk,
    st.sampled_from(["dw", "pw", "b", "dwT", "pw2d", "b2", "int", "complex", "object", "f16",
                     "nan", "inf", "ragged", "str"])), min_size=0, max_size=4),
       container=st.sampled_from([list, tuple, iter, "dict", "array"]),
       use_bias=st.booleans())
def test_set_weights_mismatched(entries, container, use_bias):
    layer = sepconv.SeparableConv2D(3, 2, use_bias=use_bias, padding="valid")
    layer.build((None, None, None, 2))
    before = layer.get_weights()
    rng = np.random.default_rng(len(entries))
    good = {"dw": rng.standard_normal((2, 2, 2, 1)), "pw": rng.standard_normal((1, 1, 2, 3)),
            "b": rng.standard_normal(3)}
    make = {"dwT": lambda: good["dw"].T, "pw2d": lambda: good["pw"][0, 0],
            "b2": lambda: good["b"][:2], "int": lambda: np.ones((2, 2, 2, 1), np.int64),
            "complex": lambda: good["pw"].astype(complex),
            "object": lambda: good["b"].astype(object), "f16": lambda: good["dw"].astype(np.float16),
            "nan": lambda: np.full((1, 1, 2, 3), np.nan), "inf": lambda: np.full(3, np.inf),
            "ragged": lambda: [[1.0, 2.0], [3.0]], "str": lambda: np.array(["a", "b", "c"])}
    ws = [(good[e] if e in good else make[e]() if e in make else e) if isinstance(e, str) else e
          for e in entries]
    if container == "dict":
        ws = dict(enumerate(ws))
    elif container == "array":
        try:
            ws = np.array(ws, dtype=object)
        except ValueError:
            ws = np.empty(len(ws), dtype=object)
    else:
        ws = container(ws)
    try:
        layer.set_weights(ws)
    except Exception as exc:  # noqa: BLE001
        _check_allowed(exc, *WEIGHT_WORDS)
        for a, b in zip(layer.get_weights(), before):
            assert np.array_equal(a, b), "a refused set_weights changed the layer"
        return
    x = _small_input("channels_last", 2, np.float32, 4, 3)
    check_layer_output(layer, x, layer(x))


@fuzz
@given(arg=st.sampled_from(["filters", "kernel_size", "strides", "padding", "data_format",
                            "dilation_rate", "depth_multiplier", "activation", "use_bias",
                            "name", "reuse", "inputs", "depthwise_initializer"]),
       value=junk, reuse_first=st.booleans())
def test_functional_api(arg, value, reuse_first):
    sepconv.functional.reset()  # one store per example
    x = _small_input("channels_last", 2, np.float32, 5, 5)
    kwargs = dict(inputs=x, filters=3, kernel_size=3, padding="same", name="fz")
    if arg == "reuse" and isinstance(value, np.ndarray):
        value = None  # pinned: test_functional_reuse_array (a known bug outside this issue)
    if reuse_first:
        sepconv.separable_conv2d(**kwargs)
        kwargs["reuse"] = sepconv.AUTO_REUSE
    kwargs[arg] = value
    try:
        y = sepconv.separable_conv2d(**kwargs)
    except Exception as exc:  # noqa: BLE001
        words = (arg, *WORDS.get(arg, ()), "Variable", "share", "kernel size", "input")
        _check_allowed(exc, *words)
        return
    name = kwargs["name"] if isinstance(kwargs.get("name"), str) else None
    layer = sepconv.functional.get_layer(name) if name else None
    if layer is not None and layer.filters == y.shape[-1]:
        xin = np.asarray(kwargs["inputs"])
        # the call's own arguments, with the weights of the layer that owns the name
        probe = sepconv.SeparableConv2D(**{k: v for k, v in kwargs.items()
                                           if k not in ("inputs", "name", "reuse")})
        probe.build(xin.shape)
        probe.set_weights(layer.get_weights()[:len(probe.weights)])  # use_bias=False: no bias
        check_layer_output(probe, xin, y)


def test_functional_reuse_array():
    x = _small_input("channels_last", 2, np.float32, 3, 3)
    with pytest.raises(ALLOWED, match="reuse"):
        sepconv.separable_conv2d(x, 2, 1, reuse=np.array([1, 2]))


@fuzz
@given(value=st.one_of(junk, st.integers(1, 4)))
def test_set_num_threads(value):
    sepconv.set_num_threads(None)  # each example starts from the default
    before = sepconv.get_num_threads()
    try:
        sepconv.set_num_threads(value)
    except Exception as exc:  # noqa: BLE001
        _check_allowed(exc, "`n`")
        assert sepconv.get_num_threads() == before
        return
    assert sepconv.get_num_threads() == (before if value is None else int(value))
    assert type(sepconv.get_num_threads()) is int


@pytest.mark.parametrize("value", [{"class_name": ["Zeros"]}, {"class_name": np.array([1, 2])},
                                   {"class_name": "Constant", "config": 5},
                                   {"class_name": "Zeros", "config": "abc"},
                                   {"class_name": "Zeros", "config": {"value": 1}},
                                   {"class_name": "GlorotUniform", "config": {"seed": -1}},
                                   {"class_name": "GlorotUniform", "config": {"seed": "a"}},
                                   {"class_name": "Constant", "config": {"value": "abc"}},
                                   {"class_name": "Constant", "config": {"value": [[1], [2, 3]]}}])
def test_initializers_get_bad_config_dicts(value):
    """Refused by get() or at the latest by the layer's build, naming the initializer."""
    with pytest.raises(ALLOWED, match="initializer"):
        init = initializers.get(value)
        sepconv.SeparableConv2D(2, 1, depthwise_initializer=init).build((1, 2, 2, 1))


numeric = st.one_of(st.floats(), st.integers(-10, 10), st.sampled_from([np.float32(2), np.int8(3)]),
                    st.lists(st.floats(-5, 5), min_size=1, max_size=2))
seeds = st.one_of(st.none(), st.integers(0, 2**64 - 1))


@fuzz
@given(value=st.one_of(
    junk, st.fixed_dictionaries({"class_name": st.one_of(st.text(max_size=6), st.just("Zeros"))}),
    st.fixed_dictionaries({"class_name": st.just("Constant"),
                           "config": st.one_of(st.none(), st.fixed_dictionaries({"value": numeric}))}),
    st.fixed_dictionaries({"class_name": st.just("GlorotUniform"),
                           "config": st.one_of(st.none(), st.fixed_dictionaries({"seed": seeds}))})))
def test_initializers_get(value):
    try:
        init = initializers.get(value)
    except Exception as exc:  # noqa: BLE001
        _check_allowed(exc, "initializer")
        return
    if init is None:
        return
    layer = sepconv.SeparableConv2D(2, 2, depthwise_initializer=init, bias_initializer=init)
    x = _small_input("channels_last", 2, np.float32, 3, 3)
    try:
        y = layer(x)
    except Exception as exc:  # noqa: BLE001
        _check_allowed(exc, "initializer", "Constant")
        assert not layer.built
        return
    check_layer_output(layer, x, y)


@fuzz
@given(value=st.one_of(junk, st.sampled_from(activations.KNOWN), st.text(max_size=8),
                       st.sampled_from([np.tanh, abs, lambda t: t * 2.0, lambda t: t.sum()])))
def test_activations(value):
    try:
        c_name, fn = activations.resolve(value)
    except Exception as exc:  # noqa: BLE001
        _check_allowed(exc, "activation")
        with pytest.raises(ALLOWED, match="activation"):
            sepconv.SeparableConv2D(2, 1, activation=value)
        return
    assert c_name in activations.C_NAMES
    layer = sepconv.SeparableConv2D(2, 1, activation=value)
    x = _small_input("channels_last", 2, np.float64, 3, 3)
    try:
        y = layer(x)
    except Exception as exc:  # noqa: BLE001
        _check_allowed(exc, "activation")
        return
    if value in ("exponential",):
        assume(False)
    check_layer_output(layer, x, y)
