"""The optimised depthwise families against the reference family and the
float64 NumPy reference, over an edge grid of shapes."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

from sepconv import _kernels  # noqa: E402

ISAS = [name for name in ("scalar", "avx2", "avx512") if _kernels.isa_supported(name)]

# (h, w, c, m, kh, kw, sh, sw, dh, dw, padding)
CASES = [
    # channel counts around the vector widths, common 3x3 s1/s2 paths
    *[(9, 11, c, 1, 3, 3, 1, 1, 1, 1, "same") for c in (1, 3, 7, 8, 9, 15, 16, 17, 33)],
    *[(13, 10, c, 1, 3, 3, 2, 2, 1, 1, "same") for c in (1, 8, 17, 33)],
    *[(21, 23, c, 1, 3, 3, 1, 1, 1, 1, "valid") for c in (16, 17)],  # several register blocks
    (20, 37, 16, 1, 3, 3, 2, 2, 1, 1, "valid"),
    (1, 1, 5, 1, 1, 1, 1, 1, 1, 1, "valid"),  # 1x1 input, 1x1 kernel
    (1, 1, 17, 1, 3, 3, 1, 1, 1, 1, "same"),  # 1x1 input, padding larger than it
    (1, 1, 9, 2, 5, 5, 2, 3, 1, 1, "same"),
    (5, 5, 7, 1, 5, 5, 1, 1, 1, 1, "valid"),  # kernel equal to the input
    (4, 3, 9, 1, 7, 5, 1, 1, 1, 1, "same"),   # kernel larger than the input
    (3, 4, 16, 1, 3, 3, 1, 1, 3, 4, "same"),  # dilated window larger than the input
    (2, 3, 8, 1, 3, 3, 3, 3, 1, 1, "same"),   # stride larger than the input
    (11, 12, 16, 1, 3, 3, 3, 2, 1, 1, "same"),  # unequal strides
    (12, 11, 17, 1, 2, 3, 1, 3, 1, 1, "valid"),
    (15, 17, 9, 1, 5, 5, 1, 1, 1, 1, "same"),
    (15, 19, 17, 1, 7, 7, 2, 1, 1, 1, "same"),
    (14, 13, 8, 1, 3, 3, 1, 1, 2, 2, "same"),  # dilations
    (19, 21, 33, 1, 3, 3, 1, 1, 4, 3, "same"),
    (17, 16, 15, 1, 3, 2, 1, 1, 1, 4, "valid"),
    (33, 33, 16, 1, 3, 3, 1, 1, 12, 12, "same"),  # ASPP-like, taps mostly outside
    # depth multipliers
    *[(9, 10, c, m, 3, 3, 1, 1, 1, 1, "same") for c in (1, 3, 8, 9) for m in (2, 3, 4)],
    (12, 13, 17, 2, 3, 3, 2, 2, 1, 1, "same"),
    (11, 9, 5, 3, 5, 3, 1, 2, 2, 1, "same"),
    (10, 10, 33, 4, 3, 3, 1, 1, 1, 1, "valid"),
    # specialised NHWC register blocks (3x3 s1, s2, d2; 5x5 and 7x7 s1): rows
    # wide enough for full blocks, narrow blocks and an overlapping last block
    # at every vector width, with channel tails and depth multipliers
    *[(5, w, c, m, 3, 3, 1, 1, 1, 1, pad) for w in (14, 31) for c, m in ((17, 1), (16, 2), (9, 3))
      for pad in ("same", "valid")],
    *[(5, w, c, m, 3, 3, 2, 2, 1, 1, "same") for w in (29, 61) for c, m in ((17, 1), (5, 3))],
    *[(7, 37, c, m, 3, 3, 1, 1, 2, 2, "same") for c, m in ((16, 1), (7, 2))],
    *[(8, w, c, m, 5, 5, 1, 1, 1, 1, "same") for w in (19, 33) for c, m in ((17, 1), (8, 2))],
    *[(9, w, c, m, 7, 7, 1, 1, 1, 1, "same") for w in (20, 22, 41) for c, m in ((33, 1), (3, 5))],
    (9, 26, 16, 1, 7, 7, 2, 1, 1, 1, "valid"),  # row stride 2 with the 7-wide block
    # 'same' rows at stride 1 in edge blocks (which skip the columns outside
    # the image): the narrowest row that takes them (R2 + kw // 2 pixels),
    # rows just below and above R + R2 (AVX2 and AVX-512 block widths), with
    # depth multipliers and channel tails
    *[(6, w, c, m, k, k, 1, 1, 1, 1, "same") for k, ws in ((3, (5, 15, 16, 19)), (5, (6, 13, 14)),
                                                          (7, (7, 8, 19, 20)))
      for w in ws for c, m in ((17, 1), (8, 3))],
    *[(6, w, c, m, 3, 3, 1, 1, 2, 2, "same") for w in (6, 15, 16) for c, m in ((17, 1), (8, 3))],
    # 3x3 stride 2 'same' on even widths (padded on the right only): a right
    # edge block of R2 (15 outputs) or R (31 outputs) pixels
    *[(7, w, c, m, 3, 3, 2, 2, 1, 1, "same") for w in (10, 30, 62) for c, m in ((17, 1), (8, 3))],
    # 3-wide, column dilation > 2 at column stride 1: blocks of pixels D apart
    # on runs of at least 3*D pixels (classes of exactly 3, of 4-8 and of 13
    # pixels: the wide block plus an overlapping last one), beside the
    # general block on the borders, with channel tails and depth multipliers
    *[(8, w, c, m, 3, 3, 1, 1, dh, dw, pad) for w, dh, dw in ((15, 3, 3), (40, 1, 5), (45, 2, 3))
      for c, m in ((17, 1), (16, 2), (9, 3)) for pad in ("same", "valid")],
    (9, 30, 16, 1, 3, 3, 2, 1, 6, 6, "same"),  # row stride 2, a run of exactly 3*D
    (4, 29, 33, 1, 3, 3, 1, 1, 1, 6, "same"),  # a run just short of 3*D: general block only
    # NCHW plane sweeps (3x3 s1/s2, 5x5, 7x7): rows wide enough for unmasked
    # chunks between the masked edge ones at 4, 8 and 16 lanes, heights that
    # leave 1-3 rows after the blocks of 4, windows cut at top and bottom
    *[(h, w, c, m, 3, 3, 1, 1, 1, 1, pad) for h, w in ((7, 50), (10, 35)) for c, m in ((2, 1), (3, 2))
      for pad in ("same", "valid")],
    *[(h, w, 2, 1, 3, 3, 2, 2, 1, 1, pad) for h, w in ((11, 99), (6, 70)) for pad in ("same", "valid")],
    *[(h, w, 2, m, 5, 5, 1, 1, 1, 1, "same") for h, w in ((9, 45), (6, 23)) for m in (1, 2)],
    *[(h, w, 3, 1, 7, 7, 1, 1, 1, 1, pad) for h, w in ((13, 47), (8, 9)) for pad in ("same", "valid")],
]


def _case_id(case):
    h, w, c, m, kh, kw, sh, sw, dh, dw, pad = case
    return f"{h}x{w}x{c}m{m}_k{kh}x{kw}_s{sh}{sw}_d{dh}{dw}_{pad}"


def _setup(case, dtype, channels_first, n=2, seed=0):
    h, w, c, m, kh, kw, sh, sw, dh, dw, pad = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w) if channels_first else (n, h, w, c)).astype(dtype)
    wdw = rng.standard_normal((kh, kw, c, m)).astype(dtype)
    wpw = np.zeros((c * m, 1), dtype=dtype)
    ho, pt, _ = reference.output_size_and_pad(h, kh, sh, dh, pad)
    wo, pl, _ = reference.output_size_and_pad(w, kw, sw, dw, pad)
    geom = dict(n=n, h=h, w=w, pad_top=pt, pad_left=pl, ho=ho, wo=wo)
    return x, wdw, wpw, geom


def _run(isa, case, dtype, channels_first, x, wdw, wpw, geom, threads=1):
    h, w, c, m, kh, kw, sh, sw, dh, dw, pad = case
    plan = _kernels.Plan(dtype, c, m, 1, kh, kw, sh, sw, dh, dw, channels_first, "linear",
                         False, isa=isa)
    plan.pack(wdw, wpw, None)
    g = geom
    shape = (g["n"], c * m, g["ho"], g["wo"]) if channels_first else (g["n"], g["ho"], g["wo"], c * m)
    d = np.full(shape, np.nan, dtype=dtype)  # every element must be written
    plan.depthwise(x, d, g["n"], g["h"], g["w"], g["pad_top"], g["pad_left"], g["ho"], g["wo"],
                   threads)
    return d


def _check(isa, case, dtype, channels_first):
    h, w, c, m, kh, kw, sh, sw, dh, dw, pad = case
    x, wdw, wpw, geom = _setup(case, dtype, channels_first)
    x_before = x.copy()
    got = _run(isa, case, dtype, channels_first, x, wdw, wpw, geom)
    np.testing.assert_array_equal(x, x_before)
    ref = _run("ref", case, dtype, channels_first, x, wdw, wpw, geom)
    fmt = "channels_first" if channels_first else "channels_last"
    exact = reference.depthwise(x, wdw, (sh, sw), pad, (dh, dw), fmt)
    rtol, atol = (1e-5, 1e-5) if dtype == np.float32 else (1e-12, 1e-12)
    assert got.shape == exact.shape
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol)
    np.testing.assert_allclose(got, exact, rtol=rtol, atol=atol)


@pytest.mark.parametrize("channels_first", [False, True], ids=["nhwc", "nchw"])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.parametrize("isa", ISAS)
def test_matches_reference_f32(isa, case, channels_first):
    _check(isa, case, np.float32, channels_first)


@pytest.mark.parametrize("channels_first", [False, True], ids=["nhwc", "nchw"])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.parametrize("isa", ISAS)
def test_matches_reference_f64(isa, case, channels_first):
    _check(isa, case, np.float64, channels_first)


THREAD_CASES = [
    (30, 29, 17, 1, 3, 3, 1, 1, 1, 1, "same"),
    (31, 30, 9, 2, 3, 3, 2, 2, 1, 1, "same"),
    (25, 27, 33, 1, 5, 5, 1, 2, 2, 1, "same"),
]


@pytest.mark.parametrize("channels_first", [False, True], ids=["nhwc", "nchw"])
@pytest.mark.parametrize("case", THREAD_CASES, ids=_case_id)
@pytest.mark.parametrize("isa", ISAS)
def test_bitwise_equal_across_threads(isa, case, channels_first):
    # batch 1 so that the driver splits each image into row tiles
    x, wdw, wpw, geom = _setup(case, np.float32, channels_first, n=1, seed=1)
    outs = [_run(isa, case, np.float32, channels_first, x, wdw, wpw, geom, t) for t in (1, 2, 3)]
    for o in outs[1:]:
        assert o.tobytes() == outs[0].tobytes()


@pytest.mark.parametrize("isa", ISAS)
def test_large_batch_rows_are_independent(isa):
    # image k of a batch must equal the same image computed alone
    case = (16, 18, 24, 1, 3, 3, 1, 1, 1, 1, "same")
    x, wdw, wpw, geom = _setup(case, np.float32, False, n=3, seed=2)
    full = _run(isa, case, np.float32, False, x, wdw, wpw, geom, 2)
    one = dict(geom, n=1)
    for k in range(3):
        alone = _run(isa, case, np.float32, False, np.ascontiguousarray(x[k:k + 1]), wdw, wpw, one)
        assert alone.tobytes() == full[k:k + 1].tobytes()
