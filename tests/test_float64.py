"""The float64 families end to end (Plan.forward, the fused path) against the
reference family and the float64 NumPy layer, over an edge grid: channel
counts around the 8-double vector, kernel sizes, strides, dilations, depth
multipliers, both layouts, activations; NaN through relu/relu6; bitwise
equality across thread counts."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

from sepconv import _kernels  # noqa: E402

ISAS = [name for name in ("scalar", "avx2", "avx512") if _kernels.isa_supported(name)]

# (h, w, c, m, f, kh, kw, sh, sw, dh, dw, padding, activation)
CASES = [
    *[(9, 11, c, 1, f, 3, 3, 1, 1, 1, 1, "same", "relu") for c, f in
      ((1, 1), (7, 9), (8, 8), (9, 17), (15, 16), (16, 33), (17, 15))],
    *[(13, 10, c, 1, 19, 3, 3, 2, 2, 1, 1, "same", "relu6") for c in (3, 8, 17)],
    (21, 23, 17, 1, 31, 3, 3, 1, 1, 1, 1, "valid", "linear"),
    (15, 17, 9, 1, 24, 5, 5, 1, 1, 1, 1, "same", "relu"),
    (15, 19, 17, 1, 8, 7, 7, 2, 1, 1, 1, "same", "linear"),
    (9, 26, 16, 1, 40, 7, 7, 1, 1, 1, 1, "same", "relu6"),
    (14, 13, 8, 1, 7, 3, 3, 1, 1, 2, 2, "same", "relu"),
    (19, 21, 33, 1, 12, 3, 3, 1, 1, 4, 3, "same", "linear"),
    (33, 33, 9, 1, 5, 3, 3, 1, 1, 12, 12, "same", "relu"),
    (12, 11, 17, 1, 9, 2, 3, 1, 3, 1, 1, "valid", "linear"),
    (4, 3, 9, 1, 3, 7, 5, 1, 1, 1, 1, "same", "relu"),
    (1, 1, 5, 1, 3, 1, 1, 1, 1, 1, 1, "valid", "linear"),
    *[(9, 10, c, m, 11, 3, 3, 1, 1, 1, 1, "same", "relu") for c in (1, 3, 9) for m in (2, 3, 4)],
    (12, 13, 17, 2, 21, 3, 3, 2, 2, 1, 1, "same", "relu6"),
    (11, 9, 5, 3, 6, 5, 3, 1, 2, 2, 1, "same", "linear"),
    (8, 33, 8, 2, 16, 5, 5, 1, 1, 1, 1, "same", "relu"),
    (10, 12, 40, 1, 300, 3, 3, 1, 1, 1, 1, "same", "relu"),  # several k / f blocks
    (8, 8, 600, 1, 20, 3, 3, 1, 1, 1, 1, "same", "linear"),  # K > 512: NCHW k blocks
    (5, 4, 2600, 1, 20, 3, 3, 1, 1, 1, 1, "same", "linear"),  # K > 2560: NHWC k blocks too
    (9, 9, 6, 1, 5, 3, 3, 1, 1, 1, 1, "same", "elu"),
    (9, 9, 6, 1, 5, 3, 3, 1, 1, 1, 1, "same", "hard_sigmoid"),
    (9, 9, 6, 1, 5, 3, 3, 1, 1, 1, 1, "same", "leaky_relu"),
]


def _case_id(case):
    h, w, c, m, f, kh, kw, sh, sw, dh, dw, pad, act = case
    return f"{h}x{w}x{c}m{m}f{f}_k{kh}x{kw}_s{sh}{sw}_d{dh}{dw}_{pad}_{act}"


def _setup(case, channels_first, n=2, seed=0):
    h, w, c, m, f, kh, kw, sh, sw, dh, dw, pad, act = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w) if channels_first else (n, h, w, c))
    wdw = rng.standard_normal((kh, kw, c, m))
    wpw = rng.standard_normal((c * m, f)) / np.sqrt(c * m)
    bias = rng.standard_normal(f)
    return x, wdw, wpw, bias


def _forward(isa, case, channels_first, x, wdw, wpw, bias, threads=1):
    h, w, c, m, f, kh, kw, sh, sw, dh, dw, pad, act = case
    n = x.shape[0]
    ho, pt, _ = reference.output_size_and_pad(h, kh, sh, dh, pad)
    wo, pl, _ = reference.output_size_and_pad(w, kw, sw, dw, pad)
    plan = _kernels.Plan(np.float64, c, m, f, kh, kw, sh, sw, dh, dw, channels_first, act, True,
                         isa=isa)
    plan.pack(wdw, wpw, bias)
    y = np.full(n * ho * wo * f, np.nan)  # every element must be written
    plan.forward(x, y, n, h, w, pt, pl, ho, wo, threads)
    return y.reshape((n, f, ho, wo) if channels_first else (n, ho, wo, f))


@pytest.mark.parametrize("channels_first", [False, True], ids=["nhwc", "nchw"])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.parametrize("isa", ISAS)
def test_forward_matches_reference(isa, case, channels_first):
    h, w, c, m, f, kh, kw, sh, sw, dh, dw, pad, act = case
    x, wdw, wpw, bias = _setup(case, channels_first)
    x_before = x.copy()
    got = _forward(isa, case, channels_first, x, wdw, wpw, bias)
    np.testing.assert_array_equal(x, x_before)
    ref = _forward("ref", case, channels_first, x, wdw, wpw, bias)
    fmt = "channels_first" if channels_first else "channels_last"
    want = reference.separable_conv2d(x, wdw, wpw, bias, (sh, sw), pad, (dh, dw), fmt, act)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("act", ["relu", "relu6"])
@pytest.mark.parametrize("channels_first", [False, True], ids=["nhwc", "nchw"])
@pytest.mark.parametrize("isa", ISAS)
def test_nan_propagates_through_relu(isa, channels_first, act):
    case = (9, 11, 9, 1, 17, 3, 3, 1, 1, 1, 1, "same", act)
    x, wdw, wpw, bias = _setup(case, channels_first, n=1)
    if channels_first:
        x[0, 4, 5, 6] = np.nan
    else:
        x[0, 5, 6, 4] = np.nan
    y = _forward(isa, case, channels_first, x, wdw, wpw, bias)
    ys = y[0] if not channels_first else y[0].transpose(1, 2, 0)
    # the 3x3 window around (5, 6) reads the NaN, and every output channel of it
    nan = np.isnan(ys)
    assert nan[4:7, 5:8, :].all()
    assert nan.sum() == 9 * 17
    fin = ys[~nan]
    assert fin.min() >= 0 and (act != "relu6" or fin.max() <= 6)


THREAD_CASES = [
    (30, 29, 17, 1, 24, 3, 3, 1, 1, 1, 1, "same", "relu"),
    (31, 30, 9, 2, 33, 3, 3, 2, 2, 1, 1, "same", "relu6"),
    (25, 27, 33, 1, 9, 5, 5, 1, 2, 2, 1, "same", "linear"),
    (7, 7, 64, 1, 200, 3, 3, 1, 1, 1, 1, "same", "relu"),  # small image: F split
]


@pytest.mark.parametrize("channels_first", [False, True], ids=["nhwc", "nchw"])
@pytest.mark.parametrize("case", THREAD_CASES, ids=_case_id)
@pytest.mark.parametrize("isa", ISAS)
def test_bitwise_equal_across_threads(isa, case, channels_first):
    x, wdw, wpw, bias = _setup(case, channels_first, n=1, seed=1)
    outs = [_forward(isa, case, channels_first, x, wdw, wpw, bias, t) for t in (1, 2, 3)]
    assert not np.isnan(outs[0]).any()
    for o in outs[1:]:
        assert o.tobytes() == outs[0].tobytes()
