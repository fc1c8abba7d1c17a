"""Every error of decisions.md rules 2-12 and 23: exception type and message
(the argument's name and the value received), from the layer and the functional API."""

import re

import numpy as np
import pytest

import sepconv

X = np.ones((1, 6, 6, 3), np.float32)


def make_layer(**kw):
    args = dict(filters=2, kernel_size=3)
    args.update(kw)
    return sepconv.SeparableConv2D(**args)


def call_functional(**kw):
    args = dict(filters=2, kernel_size=3)
    args.update(kw)
    return sepconv.separable_conv2d(X, **args)


BOTH = pytest.mark.parametrize("make", [make_layer, call_functional], ids=["layer", "functional"])

# --------------------------------------------------------------------------- rule 2

BAD_PAIRS = [0, -1, 1.5, 2.0, True, None, (1, 2, 3), (1,), (), (1, 0), (2, -3), (2, 1.0),
             (True, 1), (2, None), "3", "33", np.float32(2.0), [np.int64(0), 1]]


@BOTH
@pytest.mark.parametrize("arg", ["kernel_size", "strides", "dilation_rate"])
@pytest.mark.parametrize("value", BAD_PAIRS, ids=repr)
def test_bad_int_pairs(make, arg, value):
    with pytest.raises(ValueError, match=re.escape(f"{arg}={value!r}")) as info:
        make(**{arg: value})
    assert f"`{arg}`" in str(info.value)


@pytest.mark.parametrize("value, want", [
    (np.int64(3), (3, 3)), ((np.int32(2), 3), (2, 3)), ([1, np.uint8(2)], (1, 2)),
    (np.array([2, 4]), (2, 4))])
def test_numpy_ints_are_accepted(value, want):
    assert make_layer(kernel_size=value).kernel_size == want
    assert make_layer(dilation_rate=value).dilation_rate == want


@BOTH
@pytest.mark.parametrize("arg", ["filters", "depth_multiplier"])
@pytest.mark.parametrize("value", [0, -2, 2.0, True, None, "4", (2,)], ids=repr)
def test_bad_positive_ints(make, arg, value):
    with pytest.raises(ValueError, match=re.escape(f"`{arg}` must be a positive int; "
                                                   f"received {arg}={value!r}")):
        make(**{arg: value})


# --------------------------------------------------------------------------- rule 3


@BOTH
@pytest.mark.parametrize("value", ["full", "causal", "", None, 3, ["same"]], ids=repr)
def test_bad_padding(make, value):
    with pytest.raises(ValueError, match=re.escape("`padding` must be one of 'valid', 'same'")) as e:
        make(padding=value)
    assert f"padding={value!r}" in str(e.value)


@BOTH
@pytest.mark.parametrize("value", ["invalid", "NHWC", "channels-last", None], ids=repr)
def test_bad_data_format(make, value):
    with pytest.raises(ValueError, match=re.escape(
            "`data_format` must be one of 'channels_last', 'channels_first'")) as e:
        make(data_format=value)
    assert f"data_format={value!r}" in str(e.value)


@pytest.mark.parametrize("padding", ["SAME", "Same", "same", "VALID", "vAlId"])
@pytest.mark.parametrize("fmt", ["CHANNELS_LAST", "Channels_First"])
def test_string_arguments_ignore_case(padding, fmt):
    layer = make_layer(padding=padding, data_format=fmt)
    assert layer.padding == padding.lower() and layer.data_format == fmt.lower()


# --------------------------------------------------------------------------- rule 4


@BOTH
@pytest.mark.parametrize("strides, dilation", [(2, 2), ((2, 1), (2, 1)), ((1, 2), (3, 1)),
                                               ((3, 1), (1, 2))])
def test_stride_with_dilation_is_refused(make, strides, dilation):
    with pytest.raises(ValueError, match="incompatible") as e:
        make(strides=strides, dilation_rate=dilation, padding="same")
    assert "strides" in str(e.value) and "dilation_rate" in str(e.value)


# --------------------------------------------------------------------------- rule 6


@pytest.mark.parametrize("shape, kernel, dilation, axis, size, ek", [
    ((1, 6, 9, 1), (3, 3), (3, 1), "height", 6, 7),
    ((1, 9, 4, 1), (3, 5), (1, 1), "width", 4, 5),
    ((1, 1, 1, 1), 2, 1, "height", 1, 2),
])
def test_valid_kernel_larger_than_input(shape, kernel, dilation, axis, size, ek):
    msg = f"along the {axis} axis the input size is {size} and the effective kernel size is {ek}"
    layer = make_layer(kernel_size=kernel, dilation_rate=dilation)
    for attempt in (lambda: layer(np.ones(shape)), lambda: layer.compute_output_shape(shape),
                    lambda: layer.build(shape),
                    lambda: sepconv.separable_conv2d(np.ones(shape), 2, kernel,
                                                     dilation_rate=dilation)):
        with pytest.raises(ValueError, match=re.escape(msg)):
            attempt()
    assert not layer.built
    # 'same' with the same kernel is legal
    assert make_layer(kernel_size=kernel, dilation_rate=dilation, padding="same")(
        np.ones(shape)).shape[1:3] == shape[1:3]


# --------------------------------------------------------------------------- rule 8


@pytest.mark.parametrize("x", [
    np.ones((1, 4, 4, 1), np.int32), np.ones((1, 4, 4, 1), np.int64), np.ones((1, 4, 4, 1), bool),
    np.ones((1, 4, 4, 1), np.complex128), np.ones((1, 4, 4, 1), object),
    np.ones((1, 4, 4, 1), np.uint8), [[[[1]]]], "abcd"], ids=lambda x: str(np.asarray(x).dtype))
def test_non_floating_inputs(x):
    with pytest.raises(TypeError, match="floating dtype") as e:
        make_layer(kernel_size=1)(x)
    assert str(np.asarray(x).dtype) in str(e.value)
    with pytest.raises(TypeError, match="floating dtype"):
        sepconv.separable_conv2d(x, 2, 1)


@pytest.mark.parametrize("shape", [(9, 9, 3), (1, 2, 9, 9, 3), (3,), ()])
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_wrong_rank(shape, fmt):
    x = np.ones(shape, np.float32)
    expected = "4-D input"
    with pytest.raises(ValueError, match=expected) as e:
        make_layer(kernel_size=1, data_format=fmt)(x)
    assert f"received shape {shape}" in str(e.value)
    layer = make_layer(kernel_size=1, data_format=fmt)
    layer(np.ones((1, 3, 3, 3), np.float32))
    with pytest.raises(ValueError, match=re.escape(f"received shape {shape}")):
        layer(x)


def test_array_likes_are_accepted():
    y = make_layer(kernel_size=1, padding="same")([[[[1.0], [2.0]]]])
    assert y.shape == (1, 1, 2, 2) and y.dtype == np.float64


# --------------------------------------------------------------------------- rule 10


@pytest.mark.parametrize("shape", [(1, 0, 5, 3), (1, 5, 0, 3), (2, 0, 0, 3)])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_zero_height_or_width(shape, padding):
    layer = make_layer(kernel_size=1, padding=padding)
    with pytest.raises(ValueError, match="is 0") as e:
        layer(np.ones(shape, np.float32))
    assert str(shape) in str(e.value)
    assert not layer.built
    layer.build((1, 5, 5, 3))
    with pytest.raises(ValueError, match="is 0"):
        layer(np.ones(shape, np.float32))
    with pytest.raises(ValueError, match="is 0"):
        sepconv.separable_conv2d(np.ones(shape), 2, 1, padding=padding)


# --------------------------------------------------------------------------- rule 12


@pytest.mark.parametrize("fmt, shape, axis", [("channels_last", (2, 9, 9, 2), -1),
                                               ("channels_first", (2, 2, 9, 9), 1)])
def test_channel_mismatch(fmt, shape, axis):
    layer = make_layer(data_format=fmt)
    layer.build((1, 9, 9, 3) if fmt == "channels_last" else (1, 3, 9, 9))
    msg = f"expects 3 input channels (axis {axis}), received 2 channels"
    with pytest.raises(ValueError, match=re.escape(msg)):
        layer(np.ones(shape, np.float32))
    with pytest.raises(ValueError, match=re.escape(msg)):
        layer.build(shape)


def test_unknown_channel_dimension():
    with pytest.raises(ValueError, match="channel dimension"):
        make_layer().build((None, 9, 9, None))


# --------------------------------------------------------------------------- rule 23


@BOTH
@pytest.mark.parametrize("value", ["relux", "ReLU", "softmax", "", "SILU"])
def test_unknown_activation_lists_known_names(make, value):
    with pytest.raises(ValueError, match=re.escape(f"unknown activation {value!r}")) as e:
        make(activation=value)
    for name in ("relu", "relu6", "gelu", "hard_sigmoid", "swish", "silu", "leaky_relu",
                 "exponential", "linear"):
        assert name in str(e.value)


def test_case_hint():
    with pytest.raises(ValueError, match="did you mean 'relu'"):
        make_layer(activation="ReLU")


@pytest.mark.parametrize("value", [3, 1.0, ("relu",)])
def test_non_callable_activation(value):
    with pytest.raises(ValueError, match=re.escape(f"activation={value!r}")):
        make_layer(activation=value)


def test_callable_returning_wrong_shape():
    layer = make_layer(kernel_size=1, activation=lambda y: y.sum())
    with pytest.raises(ValueError, match="activation callable returned shape"):
        layer(np.ones((1, 2, 2, 3)))


# --------------------------------------------------------------------------- other arguments


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "2"], ids=repr)
def test_bad_num_threads(value):
    with pytest.raises(ValueError, match=re.escape(f"num_threads={value!r}")):
        make_layer(num_threads=value)
    with pytest.raises(ValueError, match=re.escape(f"n={value!r}")):
        sepconv.set_num_threads(value)
    layer = make_layer()
    with pytest.raises(ValueError):
        layer.num_threads = value


@pytest.mark.parametrize("value", ["int32", np.complex64, "bfloat16x", object])
def test_bad_layer_dtype(value):
    with pytest.raises(TypeError, match="`dtype` must be float16, float32 or float64"):
        make_layer(dtype=value)


def test_bad_name_and_reuse():
    with pytest.raises(ValueError, match="name=3"):
        make_layer(name=3)
    with pytest.raises(ValueError, match="reuse='yes'"):
        call_functional(reuse="yes")


def test_set_weights_errors_leave_layer_unchanged():
    layer = make_layer(kernel_size=2, depth_multiplier=2)
    with pytest.raises(ValueError, match="no weights yet"):
        layer.set_weights([])
    layer.build((1, 4, 4, 3))
    before = layer.get_weights()
    y0 = layer(X[:, :4, :4])
    dw, pw, b = before
    with pytest.raises(ValueError, match=re.escape("expects 3 weights")):
        layer.set_weights([dw, pw])
    with pytest.raises(ValueError, match=re.escape(
            "pointwise_kernel: expected shape (1, 1, 6, 2), received shape (1, 1, 2, 6)")):
        layer.set_weights([dw + 1, pw.reshape(1, 1, 2, 6), b])
    with pytest.raises(ValueError, match=re.escape("bias: expected shape (2,), received shape (3,)")):
        layer.set_weights([dw + 1, pw, np.zeros(3)])
    with pytest.raises(TypeError, match="cannot cast dtype complex128"):
        layer.set_weights([dw + 1, pw, b.astype(np.complex128)])
    with pytest.raises(TypeError, match="cannot cast dtype object"):
        layer.set_weights([dw + 1, pw.astype(object), b])
    for got, want in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(layer(X[:, :4, :4]), y0)


def test_initializer_returning_wrong_shape():
    layer = make_layer(depthwise_initializer=lambda shape, dtype: np.zeros((1, 1)))
    with pytest.raises(ValueError, match="depthwise initializer returned shape"):
        layer.build((1, 4, 4, 3))


def test_unknown_initializer_name():
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        make_layer(depthwise_initializer="glorot")


def test_bad_isa_environment(monkeypatch):
    monkeypatch.setenv("SEPCONV_ISA", "neon9")
    with pytest.raises(ValueError, match="SEPCONV_ISA='neon9' is not a kernel family"):
        call_functional()


def test_unsupported_isa_environment(monkeypatch):
    from sepconv import _isa
    monkeypatch.setattr(_isa._kernels, "isa_supported", lambda name: name in ("ref", "scalar"))
    monkeypatch.setenv("SEPCONV_ISA", "avx512")
    with pytest.raises(ValueError, match="SEPCONV_ISA='avx512': this CPU or build does not "
                                         "support it; supported: ref, scalar"):
        make_layer().build((1, 4, 4, 3))
