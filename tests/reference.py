"""A float64 NumPy reference for tf.layers.separable_conv2d, written plainly
from the math (no shared code with the package).

    D[n, i, j, c*M + m] = sum_{a<kh, b<kw} X~[n, i*sh + a*dh - pt, j*sw + b*dw - pl, c] * Wdw[a, b, c, m]
    Y[n, i, j, f]       = act(sum_q D[n, i, j, q] * Wpw[0, 0, q, f] + bias[f])

X~ is X with zeros outside.  SAME pads follow TF: total = max((out-1)*s + ek - n, 0),
before = total // 2, after = the rest."""

import math

import numpy as np


def effective_kernel(k, d):
    return (k - 1) * d + 1


def output_size_and_pad(n, k, s, d, padding):
    """(output length, pad before, pad after) along one axis, as TF computes them."""
    ek = effective_kernel(k, d)
    if padding == "valid":
        if n < ek:
            raise ValueError("valid padding with a kernel larger than the input")
        return (n - ek) // s + 1, 0, 0
    out = -(-n // s)
    total = max((out - 1) * s + ek - n, 0)
    return out, total // 2, total - total // 2


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def activation(name, x):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        if name in (None, "linear"):
            return x
        if name == "relu":
            return np.where(x < 0, 0.0, x)
        if name == "relu6":
            return np.where(x < 0, 0.0, np.where(x > 6, 6.0, x))
        if name == "elu":
            return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
        if name == "selu":
            alpha, scale = 1.6732632423543772, 1.0507009873554805
            return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
        if name == "gelu":
            return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))
        if name == "sigmoid":
            return 0.5 * (1.0 + np.tanh(0.5 * x))
        if name == "hard_sigmoid":
            return np.clip(0.2 * x + 0.5, 0.0, 1.0)
        if name == "tanh":
            return np.tanh(x)
        if name == "softplus":
            return np.logaddexp(0.0, x)
        if name == "softsign":
            return x / (1.0 + np.abs(x))
        if name in ("swish", "silu"):
            return x * 0.5 * (1.0 + np.tanh(0.5 * x))
        if name == "leaky_relu":
            return np.where(x < 0, 0.2 * x, x)
        if name == "exponential":
            return np.exp(x)
    raise ValueError(f"unknown activation {name!r}")


def depthwise(x, dw, strides=(1, 1), padding="valid", dilation=(1, 1), data_format="channels_last"):
    """Depthwise stage in float64; returns NHWC or NCHW like the input."""
    x = np.asarray(x, dtype=np.float64)
    if data_format == "channels_first":
        x = x.transpose(0, 2, 3, 1)
    dw = np.asarray(dw, dtype=np.float64)
    kh, kw, c, m = dw.shape
    n, h, w, cin = x.shape
    assert cin == c
    (sh, sw), (dh, dwd) = strides, dilation
    ho, pt, pb = output_size_and_pad(h, kh, sh, dh, padding)
    wo, pl, pr = output_size_and_pad(w, kw, sw, dwd, padding)
    # pad generously so every strided, dilated window is inside the padded array
    need_h = (ho - 1) * sh + effective_kernel(kh, dh)
    need_w = (wo - 1) * sw + effective_kernel(kw, dwd)
    xp = np.zeros((n, max(need_h, pt + h), max(need_w, pl + w), c))
    xp[:, pt:pt + h, pl:pl + w, :] = x
    out = np.zeros((n, ho, wo, c, m))
    for a in range(kh):
        for b in range(kw):
            r0, c0 = a * dh, b * dwd
            win = xp[:, r0:r0 + (ho - 1) * sh + 1:sh, c0:c0 + (wo - 1) * sw + 1:sw, :]
            out += win[..., None] * dw[a, b][None, None, None, :, :]
    out = out.reshape(n, ho, wo, c * m)
    if data_format == "channels_first":
        out = out.transpose(0, 3, 1, 2)
    return out


def separable_conv2d(x, dw, pw, bias=None, strides=(1, 1), padding="valid", dilation=(1, 1),
                     data_format="channels_last", activation_name=None):
    """The whole layer in float64."""
    d = depthwise(x, dw, strides, padding, dilation, data_format)
    pw = np.asarray(pw, dtype=np.float64)
    pw2 = pw.reshape(pw.shape[-2], pw.shape[-1])
    if data_format == "channels_first":
        y = np.einsum("nqhw,qf->nfhw", d, pw2)
        if bias is not None:
            y = y + np.asarray(bias, dtype=np.float64)[None, :, None, None]
    else:
        y = d @ pw2
        if bias is not None:
            y = y + np.asarray(bias, dtype=np.float64)
    return activation(activation_name, y)
