"""Argument normalisation and validation (decisions.md rules 2-8, 10, 12).

Plain Python, run once per layer construction or once per new input shape,
never on the per-call fast path.  Every error names the argument and the value
received, so a user can find the offending call without reading our source."""

import numbers

import numpy as np

PADDINGS = ("valid", "same")
DATA_FORMATS = ("channels_last", "channels_first")


def _is_int(v):
    # bool is an int subclass in Python and numpy; TF users never mean True as 1
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def positive_int(value, name):
    """A strictly positive int (numpy ints accepted), returned as a Python int."""
    if not _is_int(value) or int(value) < 1:
        raise ValueError(f"`{name}` must be a positive int; received {name}={value!r}")
    return int(value)


def int_pair(value, name):
    """An int or a sequence of two positive ints, returned as a tuple of two Python ints."""
    if _is_int(value):
        items = (value, value)
    elif isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        items = None
    else:
        items = tuple(value)
    if items is None or not all(_is_int(v) and int(v) >= 1 for v in items):
        raise ValueError(
            f"`{name}` must be an int or a sequence of 2 positive ints; received {name}={value!r}")
    return int(items[0]), int(items[1])


def _one_of(value, name, allowed):
    low = value.lower() if isinstance(value, str) else None
    if low not in allowed:
        opts = ", ".join(repr(a) for a in allowed)
        raise ValueError(
            f"`{name}` must be one of {opts} (any letter case); received {name}={value!r}")
    return low


def padding(value):
    return _one_of(value, "padding", PADDINGS)


def data_format(value):
    return _one_of(value, "data_format", DATA_FORMATS)


def stride_dilation(strides, dilation_rate):
    """Rule 4: TF computes a silent wrong answer for this combination, so refuse it."""
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(
            "strides > 1 are incompatible with dilation_rate > 1; received "
            f"strides={strides}, dilation_rate={dilation_rate}")


def flag(value, name):
    """A truth value, as TF takes it (bool(value)), naming `name` when that is ambiguous."""
    try:
        return bool(value)
    except (ValueError, TypeError) as exc:  # numpy arrays of size > 1, odd objects
        raise ValueError(f"`{name}` must be a bool; received {name}={value!r} ({exc})") from None


def optional_threads(value, name="num_threads"):
    """None, or a positive int (at most _limits.MAX_THREADS)."""
    from ._limits import thread_count
    return None if value is None else thread_count(positive_int(value, name), name)


def layer_dtype(value):
    """The dtype= argument of a layer: None, or float16/float32/float64."""
    if value is None:
        return None
    try:
        dt = np.dtype(value)
    except (TypeError, ValueError):
        dt = None
    if dt is None or dt not in (np.float16, np.float32, np.float64):
        raise TypeError(f"`dtype` must be float16, float32 or float64; received dtype={value!r}")
    return dt


def as_array(x, name):
    """np.asarray(x), with numpy's errors (ragged nested lists, odd objects) naming `name`."""
    try:
        return x if type(x) is np.ndarray else np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"`{name}` could not be converted to an array: {exc}") from None


def as_float_array(x, name="inputs"):
    """Any array-like to an ndarray with a floating dtype (no copy when already one)."""
    a = as_array(x, name)
    if a.dtype.kind != "f":
        raise TypeError(
            f"`{name}` must have a floating dtype (float16, float32 or float64); "
            f"received dtype {a.dtype}")
    return a


def compute_dtype(dt):
    """float16 (and other small floats) compute in float32, larger ones in float64."""
    return np.dtype(np.float32) if dt.itemsize <= 4 else np.dtype(np.float64)


def output_size(n, k, s, d, pad, axis):
    """(output length, pad before) along one axis, as TF computes them (spec section 3)."""
    ek = (k - 1) * d + 1
    if pad == "valid":
        if n < ek:
            raise ValueError(
                f"padding='valid' needs the effective kernel size (k-1)*d+1 to fit in the input: "
                f"along the {axis} axis the input size is {n} and the effective kernel size is {ek}")
        return (n - ek) // s + 1, 0
    out = -(-n // s)
    total = max((out - 1) * s + ek - n, 0)
    return out, total // 2


def shape_arg(value, name="input_shape"):
    """A shape argument (build, compute_output_shape): ints >= 0 or None, as a tuple."""
    try:
        items = None if isinstance(value, (str, bytes)) else tuple(value)
    except TypeError:
        items = None
    if items is None or not all(v is None or (_is_int(v) and int(v) >= 0) for v in items):
        raise ValueError(
            f"`{name}` must be a sequence of ints >= 0 or None; received {name}={value!r}")
    return tuple(None if v is None else int(v) for v in items)


def check_rank4(shape, fmt):
    if len(shape) != 4:
        expect = "(batch, height, width, channels)" if fmt == "channels_last" \
            else "(batch, channels, height, width)"
        raise ValueError(
            f"expected a 4-D input of shape {expect} for data_format={fmt!r}; "
            f"received shape {tuple(shape)}")


def split_shape(shape, fmt):
    """(n, h, w, c) from a rank-4 shape in the given data_format."""
    check_rank4(shape, fmt)
    if fmt == "channels_last":
        n, h, w, c = shape
    else:
        n, c, h, w = shape
    return n, h, w, c
