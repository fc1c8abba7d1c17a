"""The pointwise (GEMM) kernel families against the reference family and a
float64 NumPy computation, over sizes below, at and above every family's
vector width and micro-tile (edge tiles in pixels and in output channels)."""

import numpy as np
import pytest

import reference
from sepconv import _kernels

ISAS = [i for i in _kernels.ISA_NAMES if i != "ref" and _kernels.isa_supported(i)]
LAYOUTS = [False, True]  # channels_first
# 17-24 output channels past a multiple of 32 run as 16 + 8 in the AVX-512
# NHWC kernel (17, 24, 49), 25 and up as 16 + 16
SIZES = [1, 3, 7, 8, 15, 16, 17, 24, 25, 31, 32, 33, 47, 48, 49, 100]
NPIX = [1, 5, 13, 14, 15, 29, 200]
EPS = {np.float32: np.finfo(np.float32).eps, np.float64: np.finfo(np.float64).eps}


def make_plan(isa, dtype, k, f, channels_first, act="linear", has_bias=True, seed=0):
    rng = np.random.default_rng(seed)
    pw = (rng.uniform(-1, 1, (k, f)) / np.sqrt(k)).astype(dtype)
    bias = rng.uniform(-0.5, 0.5, f).astype(dtype) if has_bias else None
    dw = np.ones((1, 1, k, 1), dtype)
    plan = _kernels.Plan(dtype, k, 1, f, 1, 1, 1, 1, 1, 1, channels_first, act, has_bias, isa=isa)
    plan.pack(dw, pw, bias)
    return plan, pw, bias


def run_pointwise(plan, d, n, ho, wo, f, threads=1):
    y = np.full(n * ho * wo * f, np.nan, d.dtype)
    plan.pointwise(d, y, n, ho, wo, threads)
    return y


def exact(d, pw, bias, n, ho, wo, channels_first):
    """float64 pre-activation output and an error scale (|d| @ |w| + |b|), both
    in the layout of y."""
    k, f = pw.shape
    dd = d.astype(np.float64).reshape((n, k, ho * wo) if channels_first else (n, ho * wo, k))
    if channels_first:
        dd = dd.transpose(0, 2, 1)
    w = pw.astype(np.float64)
    b = np.zeros(f) if bias is None else bias.astype(np.float64)
    lin = dd @ w + b
    scale = np.abs(dd) @ np.abs(w) + np.abs(b)
    if channels_first:
        lin, scale = lin.transpose(0, 2, 1), scale.transpose(0, 2, 1)
    return lin.ravel(), scale.ravel()


def check_close(y, lin, scale, act, dtype, k):
    """y within rounding of act(lin): (k + 2) eps relative to the error scale
    for the sum, a few ulp for the activation itself."""
    eps = EPS[dtype]
    want = reference.activation(act, lin)
    # every activation used is at most e^|x|-Lipschitz; inputs keep |x| small
    lip = np.exp(np.minimum(np.abs(lin) + 1, 30))
    tol = lip * (k + 2) * eps * scale + 8 * eps * (np.abs(want) + 1e-30) + 4 * eps
    bad = ~(np.abs(y - want) <= tol)
    assert not bad.any(), (
        f"{bad.sum()} mismatches, first at {np.flatnonzero(bad)[0]}: "
        f"got {y[bad][:4]}, want {want[bad][:4]}"
    )


@pytest.mark.parametrize("channels_first", LAYOUTS)
@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_edge_grid_linear(isa, dtype, channels_first):
    """Every K x F x npix of the edge grid: against float64 NumPy and the
    reference family."""
    rng = np.random.default_rng(1)
    for k in SIZES:
        for f in SIZES:
            plan, pw, bias = make_plan(isa, dtype, k, f, channels_first, seed=k * 131 + f)
            ref, _, _ = make_plan("ref", dtype, k, f, channels_first, seed=k * 131 + f)
            for npix in NPIX:
                d = rng.uniform(-1, 1, npix * k).astype(dtype)
                y = run_pointwise(plan, d, 1, 1, npix, f)
                lin, scale = exact(d, pw, bias, 1, 1, npix, channels_first)
                check_close(y, lin, scale, "linear", dtype, k)
                yr = run_pointwise(ref, d, 1, 1, npix, f)
                tol = 2 * (k + 2) * EPS[dtype] * scale + 4 * EPS[dtype]
                assert np.all(np.abs(y - yr) <= tol), (isa, k, f, npix)


@pytest.mark.parametrize("has_bias", [True, False])
@pytest.mark.parametrize("channels_first", LAYOUTS)
@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_activation(isa, dtype, channels_first, has_bias):
    """Each activation, in the vectorised epilogue and the fallback one, on
    interior and edge tiles (and images tiled by the driver: n=2, 3 x 41)."""
    rng = np.random.default_rng(2)
    for k, f, (n, ho, wo) in [(17, 33, (1, 1, 29)), (48, 49, (2, 3, 41)), (3, 100, (1, 1, 15))]:
        d = rng.uniform(-2, 2, n * ho * wo * k).astype(dtype)
        for act in _kernels.ACTIVATIONS:
            plan, pw, bias = make_plan(isa, dtype, k, f, channels_first, act, has_bias, seed=k)
            y = run_pointwise(plan, d, n, ho, wo, f)
            lin, scale = exact(d, pw, bias, n, ho, wo, channels_first)
            check_close(y, lin, scale, act, dtype, k)
            ref, _, _ = make_plan("ref", dtype, k, f, channels_first, act, has_bias, seed=k)
            yr = run_pointwise(ref, d, n, ho, wo, f)
            np.testing.assert_allclose(y, yr, rtol=1e-4 if dtype == np.float32 else 1e-11,
                                       atol=1e-5 if dtype == np.float32 else 1e-12, err_msg=act)


@pytest.mark.parametrize("channels_first", LAYOUTS)
@pytest.mark.parametrize("isa", ISAS)
def test_forward_1x1_matches_layer(isa, channels_first):
    """Plan.forward with a 1x1 depthwise kernel (the fused path) against the
    float64 layer and the reference family."""
    rng = np.random.default_rng(3)
    for c, m, f, n, h, w in [(5, 3, 33, 2, 7, 9), (32, 1, 48, 1, 14, 14), (16, 2, 17, 1, 30, 31)]:
        dw = rng.uniform(-1, 1, (1, 1, c, m)).astype(np.float32)
        pw = (rng.uniform(-1, 1, (c * m, f)) / np.sqrt(c * m)).astype(np.float32)
        bias = rng.uniform(-1, 1, f).astype(np.float32)
        shape = (n, c, h, w) if channels_first else (n, h, w, c)
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        want = reference.separable_conv2d(
            x, dw, pw, bias, data_format="channels_first" if channels_first else "channels_last",
            activation_name="relu6").ravel()
        outs = []
        for which in (isa, "ref"):
            plan = _kernels.Plan(np.float32, c, m, f, 1, 1, 1, 1, 1, 1, channels_first, "relu6",
                                 True, isa=which)
            plan.pack(dw, pw, bias)
            y = np.full(n * h * w * f, np.nan, np.float32)
            plan.forward(x, y, n, h, w, 0, 0, h, w, 2)
            outs.append(y)
        np.testing.assert_allclose(outs[0], want, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("act", ["linear", "relu", "relu6"])
@pytest.mark.parametrize("channels_first", LAYOUTS)
@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_inf_propagate(isa, dtype, channels_first, act):
    """NaN and +-Inf in d reach the output as IEEE arithmetic says, through
    relu and relu6 too (a max-based relu would turn NaN into 0)."""
    k, f, npix = 33, 49, 29
    plan, pw, bias = make_plan(isa, dtype, k, f, channels_first, act)
    pw[pw == 0] = 0.5  # no Inf * 0
    plan.pack(np.ones((1, 1, k, 1), dtype), pw, bias)
    rng = np.random.default_rng(4)
    d = rng.uniform(-1, 1, (npix, k)).astype(dtype)
    d[0, 5] = np.nan
    d[13, 0] = np.inf
    d[14, k - 1] = -np.inf
    d[28, 7] = np.nan
    flat = np.ascontiguousarray(d.T if channels_first else d).ravel()
    y = run_pointwise(plan, flat, 1, 1, npix, f)
    lin, _ = exact(flat, pw, bias, 1, 1, npix, channels_first)
    with np.errstate(invalid="ignore"):
        want = reference.activation(act, lin)
    yy = y.reshape((f, npix) if channels_first else (npix, f))
    ww = want.reshape(yy.shape)
    assert np.array_equal(np.isnan(yy), np.isnan(ww))
    assert np.isnan(yy).sum() == 2 * f
    assert np.array_equal(np.isposinf(yy), np.isposinf(ww))
    assert np.array_equal(np.isneginf(yy), np.isneginf(ww))
    if act != "linear":
        assert np.nanmin(yy) >= 0 and (act != "relu6" or np.nanmax(yy) <= 6)
    fin = np.isfinite(ww)
    np.testing.assert_allclose(yy[fin], ww[fin], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("channels_first", LAYOUTS)
@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threads_bitwise_and_inputs_untouched(isa, dtype, channels_first):
    """The same bits for 1, 2 and 3 threads (the driver splits rows and
    output channels differently), and d, the weights and bias unchanged."""
    rng = np.random.default_rng(5)
    for k, f, (n, ho, wo) in [(33, 100, (1, 7, 7)), (47, 70, (2, 20, 20)), (100, 200, (1, 5, 3))]:
        plan, pw, bias = make_plan(isa, dtype, k, f, channels_first, "relu")
        pw0, b0 = pw.copy(), bias.copy()
        plan.pack(np.ones((1, 1, k, 1), dtype), pw, bias)
        d = rng.uniform(-1, 1, n * ho * wo * k).astype(dtype)
        d0 = d.copy()
        ys = [run_pointwise(plan, d, n, ho, wo, f, t) for t in (1, 2, 3)]
        for y in ys[1:]:
            assert y.tobytes() == ys[0].tobytes()
        assert d.tobytes() == d0.tobytes()
        assert pw.tobytes() == pw0.tobytes() and bias.tobytes() == b0.tobytes()
        lin, scale = exact(d, pw, bias, n, ho, wo, channels_first)
        check_close(ys[0], lin, scale, "relu", dtype, k)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("channels_first", LAYOUTS)
@pytest.mark.parametrize("isa", ISAS)
def test_large_k_blocking_and_row_strides(isa, channels_first, dtype):
    """K below, at and past the kernels' k blocking (the AVX-512 NHWC kernel
    blocks k only past 2560; the NCHW one goes panel by panel up to 1024 and
    past it strip by strip, in blocks of 128), with row strides that are
    multiples of 2 KB (the AVX-512 NHWC kernel copies such rows to a padded
    stride; the NCHW one copies strips of d), odd pixel counts and an F tail
    of 8 or 24 (one vector, or 16 + 8): against float64 sums, and bitwise the
    same on 1 and 2 threads; float32 and float64."""
    rng = np.random.default_rng(7)
    for i, k in enumerate((512, 1024, 1536, 2560, 2576, 4096)):
        f = 40 + 16 * (i % 2)
        plan, pw, bias = make_plan(isa, dtype, k, f, channels_first, seed=k)
        for npix in (13, 49, 100, 203):
            d = rng.uniform(-1, 1, npix * k).astype(dtype)
            y = run_pointwise(plan, d, 1, 1, npix, f)
            lin, scale = exact(d, pw, bias, 1, 1, npix, channels_first)
            check_close(y, lin, scale, "linear", dtype, k)
            y2 = run_pointwise(plan, d, 1, 1, npix, f, threads=2)
            assert y.tobytes() == y2.tobytes(), (k, npix)
