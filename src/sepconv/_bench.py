"""Helpers for `python -m sepconv`: a float64 NumPy reference and self-check of
the public API, the MobileNetV1 layer table, and timing against the measured
FMA peak (sepconv._kernels.probe_peak_flops).  Self-contained: it needs only
NumPy and the package itself."""

import math
import sys
import time

import numpy as np

# MobileNetV1 (224x224 input, width multiplier 1.0): the 13 depthwise-separable
# blocks, 3x3 depthwise with 'same' padding and M = 1, reduced to their 9
# distinct shapes.  Tuples: (name, input side, input channels, stride,
# filters, how many blocks of the network have this shape).  The last block
# keeps stride 1, as the TF-slim model definition has it.
MOBILENET_V1 = (
    ("mbv1_01", 112, 32, 1, 64, 1),
    ("mbv1_02", 112, 64, 2, 128, 1),
    ("mbv1_03", 56, 128, 1, 128, 1),
    ("mbv1_04", 56, 128, 2, 256, 1),
    ("mbv1_05", 28, 256, 1, 256, 1),
    ("mbv1_06", 28, 256, 2, 512, 1),
    ("mbv1_07", 14, 512, 1, 512, 5),
    ("mbv1_12", 14, 512, 2, 1024, 1),
    ("mbv1_13", 7, 1024, 1, 1024, 1),
)


# ---------------------------------------------------------------- reference

def out_size_and_pads(n, k, stride, dilation, padding):
    """Output length and (before, after) zero padding on one axis, TF's rule:
    'same' gives ceil(n / stride) outputs and splits the padding with the odd
    element after; 'valid' pads nothing."""
    span = (k - 1) * dilation + 1
    if padding == "valid":
        return (n - span) // stride + 1, 0, 0
    out = (n + stride - 1) // stride
    total = max((out - 1) * stride + span - n, 0)
    return out, total // 2, total - total // 2


_ACT = {
    None: lambda v: v,
    "relu": lambda v: np.maximum(v, 0.0),
    "relu6": lambda v: np.clip(v, 0.0, 6.0),
    "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
    "tanh": np.tanh,
    "elu": lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0.0))),
}


def reference(x, dw, pw, bias, strides, padding, dilation, channels_first, activation):
    """The separable layer in float64: per-channel k x k filtering (depth
    multiplier M: channel c feeds outputs c*M .. c*M+M-1), then a C*M -> F
    matrix product per pixel, bias, activation.  Returns the input's layout."""
    x = np.asarray(x, np.float64)
    if channels_first:
        x = x.transpose(0, 2, 3, 1)
    n, h, w, c = x.shape
    kh, kw, _, m = dw.shape
    ho, top, _ = out_size_and_pads(h, kh, strides[0], dilation[0], padding)
    wo, left, _ = out_size_and_pads(w, kw, strides[1], dilation[1], padding)
    # zero-extended input large enough for every tap of every output
    hp = max(top + h, (ho - 1) * strides[0] + (kh - 1) * dilation[0] + 1)
    wp = max(left + w, (wo - 1) * strides[1] + (kw - 1) * dilation[1] + 1)
    xp = np.zeros((n, hp, wp, c))
    xp[:, top:top + h, left:left + w] = x
    d = np.zeros((n, ho, wo, c, m))
    for i in range(kh):
        for j in range(kw):
            r, s = i * dilation[0], j * dilation[1]
            patch = xp[:, r:r + (ho - 1) * strides[0] + 1:strides[0],
                       s:s + (wo - 1) * strides[1] + 1:strides[1]]
            d += patch[..., None] * np.asarray(dw[i, j], np.float64)
    y = d.reshape(n, ho, wo, c * m) @ np.asarray(pw, np.float64).reshape(c * m, -1)
    if bias is not None:
        y = y + np.asarray(bias, np.float64)
    y = _ACT[activation](y)
    return y.transpose(0, 3, 1, 2) if channels_first else y


# ---------------------------------------------------------------- self-check

# (label, dict of layer arguments, input shape N,H,W,C (logical), dtype)
SELF_CHECKS = (
    ("nhwc 3x3 s1 same relu", dict(filters=7, kernel_size=3, padding="same", activation="relu"),
     (2, 9, 9, 5), np.float32),
    ("nchw 3x3 s1 same linear", dict(filters=6, kernel_size=3, padding="same",
                                     data_format="channels_first"), (2, 8, 9, 4), np.float32),
    ("nhwc 3x3 s2 same (asymmetric pad) relu6",
     dict(filters=9, kernel_size=3, strides=2, padding="same", activation="relu6"),
     (1, 10, 10, 6), np.float32),
    ("nhwc 3x3 dilation 2 same sigmoid",
     dict(filters=5, kernel_size=3, dilation_rate=2, padding="same", activation="sigmoid"),
     (2, 11, 11, 3), np.float32),
    ("nhwc M=2 valid tanh", dict(filters=3, kernel_size=3, depth_multiplier=2, padding="valid",
                                 activation="tanh"), (1, 8, 7, 5), np.float32),
    ("nchw 5x5 s2 valid M=2 elu",
     dict(filters=4, kernel_size=5, strides=2, depth_multiplier=2, padding="valid",
          data_format="channels_first", activation="elu"), (2, 13, 12, 3), np.float32),
    ("nhwc 3x3 float64 relu", dict(filters=8, kernel_size=3, padding="same", activation="relu",
                                   dtype="float64"), (1, 7, 7, 17), np.float64),
    ("nhwc 17 channels 3x3 s1 same relu", dict(filters=33, kernel_size=3, padding="same",
                                              activation="relu"), (1, 6, 6, 17), np.float32),
)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def self_check(seed=0):
    """Runs each SELF_CHECKS layer through the public API on random data and
    compares with `reference`.  Returns [(label, ok, max abs error, tol)]."""
    import sepconv
    rng = np.random.default_rng(seed)
    results = []
    for label, kwargs, (n, h, w, c), dtype in SELF_CHECKS:
        kwargs = dict(kwargs)
        first = kwargs.get("data_format") == "channels_first"
        k = _pair(kwargs["kernel_size"])
        m = kwargs.get("depth_multiplier", 1)
        f = kwargs["filters"]
        x = rng.uniform(-1, 1, (n, c, h, w) if first else (n, h, w, c)).astype(dtype)
        dw = (rng.standard_normal((k[0], k[1], c, m)) / k[0]).astype(dtype)
        pw = (rng.standard_normal((1, 1, c * m, f)) / math.sqrt(c * m)).astype(dtype)
        b = rng.uniform(-0.5, 0.5, f).astype(dtype)
        try:
            layer = sepconv.SeparableConv2D(**kwargs)
            layer.build(x.shape)
            layer.set_weights([dw, pw, b])
            y = layer(x)
            want = reference(x, dw, pw, b, _pair(kwargs.get("strides", 1)),
                             kwargs.get("padding", "valid"), _pair(kwargs.get("dilation_rate", 1)),
                             first, kwargs.get("activation"))
            tol = (1e-12 if dtype == np.float64 else 1e-5) * 10 * max(1.0, float(np.max(np.abs(want))))
            ok = (y.shape == want.shape and y.dtype == dtype)
            err = float(np.max(np.abs(y - want))) if ok else float("inf")
            results.append((label, bool(ok and err <= tol), err, tol))
        except Exception as exc:  # a crash is a failed check, reported by label
            results.append((label + f" [{type(exc).__name__}: {exc}]", False, float("inf"), 0.0))
    return results


# ---------------------------------------------------------------- timing

def median_time(fn, budget=0.25, min_repeats=5, max_repeats=500):
    """Median seconds of warm calls: one warm-up, then at least min_repeats
    calls and until `budget` seconds have passed."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_repeats:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= min_repeats and time.perf_counter() - start >= budget:
            break
    return float(np.median(times)), len(times)


def layer_flops(ho, wo, c, f, k=3, m=1):
    """2 FLOPs per multiply-add of both stages, plus bias and activation."""
    pix = ho * wo
    return 2 * pix * c * m * k * k + 2 * pix * c * m * f + 2 * pix * f


def progress(i, total, label, width=30, stream=None):
    stream = stream or sys.stderr
    done = int(width * i / total) if total else width
    stream.write(f"\r[{'#' * done}{'.' * (width - done)}] {i}/{total} {label:<12}")
    if i == total:
        stream.write("\n")
    stream.flush()


def time_mobilenet(num_threads, budget=0.25, seed=0):
    """Times the MobileNetV1 layers at batch 1 through the public API.
    Returns rows (name, side, c, stride, f, median s, repeats, FLOPs)."""
    import sepconv
    rng = np.random.default_rng(seed)
    rows = []
    progress(0, len(MOBILENET_V1), "")
    for i, (name, side, c, stride, f, _count) in enumerate(MOBILENET_V1):
        layer = sepconv.SeparableConv2D(f, 3, strides=stride, padding="same", activation="relu",
                                        num_threads=num_threads)
        x = rng.uniform(-1, 1, (1, side, side, c)).astype(np.float32)
        layer.build(x.shape)
        t, reps = median_time(lambda: layer(x), budget=budget)
        ho = out_size_and_pads(side, 3, stride, 1, "same")[0]
        rows.append((name, side, c, stride, f, t, reps, layer_flops(ho, ho, c, f)))
        progress(i + 1, len(MOBILENET_V1), name)
    return rows
