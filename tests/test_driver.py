"""The driver's schedules (csrc/fused.c, driver_impl.h) on shapes chosen to
reach each of them, against the float64 reference family and bitwise across
thread counts 1, 2 and 3:

- FUSED tiles that span several NHWC images, including tiles that end in the
  middle of an image (small images, wide channels);
- the PHASED schedule (depthwise into a shared buffer, then the GEMM split over
  output-channel chunks): small images on several threads, in one group and in
  several groups of images, and with weights larger than a core's L2;
- the stage-alone paths (depthwise, pointwise) with threads;
- K large enough for the GEMM's blocking over k."""

import numpy as np
import pytest

import reference
from sepconv import _kernels

ISAS = [i for i in _kernels.ISA_NAMES if i != "ref" and _kernels.isa_supported(i)]

# (name, n, h, w, c, m, f, k, stride, dilation, padding)
SHAPES = [
    # 5x5 images, 2000 channels: a fused tile (budget / row bytes) is 9 rows,
    # so tiles cross image boundaries mid-image
    ("span_images", 5, 5, 5, 2000, 1, 40, 3, 1, 1, "same"),
    # 7x7, one image: too few row tiles for 2-3 threads -> phased, F split
    ("phased_small", 1, 7, 7, 96, 1, 100, 3, 1, 1, "same"),
    # 2048 channels, 7x7: ~400 KB per image, so images run in several groups
    ("phased_groups", 4, 7, 7, 2048, 1, 70, 3, 1, 1, "same"),
    # weights of 1024 x 300 floats (1.2 MB) exceed a core's L2 -> F split
    ("phased_big_weights", 2, 6, 6, 512, 2, 300, 3, 2, 1, "same"),
    # stride 2 valid, M = 2, odd sizes everywhere
    ("mixed", 3, 11, 9, 37, 2, 45, 5, 2, 1, "valid"),
    # dilation, a larger image: several fused tiles per image
    ("dilated", 2, 40, 33, 300, 1, 33, 3, 1, 3, "same"),
    # dilation 5 with 3-row tiles (1024 channels): each tile's rows are 5
    # apart, classes of 6 and 5 rows, their GEMM staged and copied out
    ("strided_tiles", 2, 28, 30, 1024, 1, 40, 3, 1, 5, "same"),
    # one-row tiles (2560 channels), rows taken class by class (dilation 6)
    ("strided_one_row", 1, 20, 40, 2560, 1, 24, 3, 1, 6, "same"),
    # stride 2, dilation 4: output rows 2 apart share input rows
    ("strided_s2", 1, 26, 60, 2048, 1, 24, 3, 2, 4, "same"),
    # 512 channels (a multiple of 512 elements): the fused NHWC tile gets a
    # padded pixel stride, and its tiles span images at 1 thread
    ("padded_tile", 3, 6, 7, 256, 2, 40, 3, 1, 1, "same"),
    # few output channels over a wide stride-2 input (mbv2_144 in small): the
    # next tile's input is more than a line per micro-kernel step, so the
    # AVX-512 GEMM takes its several-lines-per-step prefetch variant
    ("small_f", 2, 40, 40, 144, 1, 24, 3, 2, 1, "same"),
]


def geometry(h, w, k, s, d, padding):
    ho, pt = reference.output_size_and_pad(h, k, s, d, padding)[:2]
    wo, pl = reference.output_size_and_pad(w, k, s, d, padding)[:2]
    return ho, wo, pt, pl


def make(shape, dtype, isa, channels_first, seed=0):
    name, n, h, w, c, m, f, k, s, d, padding = shape
    rng = np.random.default_rng(seed)
    dw = rng.uniform(-1, 1, (k, k, c, m)).astype(dtype)
    pw = (rng.uniform(-1, 1, (c * m, f)) / np.sqrt(c * m)).astype(dtype)
    bias = rng.uniform(-0.5, 0.5, f).astype(dtype)
    x = rng.uniform(-1, 1, (n, c, h, w) if channels_first else (n, h, w, c)).astype(dtype)
    plan = _kernels.Plan(dtype, c, m, f, k, k, s, s, d, d, channels_first, "relu", True, isa=isa)
    plan.pack(dw, pw.reshape(c * m, f), bias)
    return plan, x, (dw, pw, bias)


def forward(plan, x, shape, channels_first, threads):
    name, n, h, w, c, m, f, k, s, d, padding = shape
    ho, wo, pt, pl = geometry(h, w, k, s, d, padding)
    y = np.full(n * ho * wo * f, np.nan, x.dtype)
    plan.forward(np.ascontiguousarray(x).ravel(), y, n, h, w, pt, pl, ho, wo, threads)
    return y


def expected(shape, x, weights, channels_first):
    """float64 through the reference family, and a scale for the tolerance."""
    name, n, h, w, c, m, f, k, s, d, padding = shape
    dw, pw, bias = (a.astype(np.float64) for a in weights)
    plan = _kernels.Plan(np.float64, c, m, f, k, k, s, s, d, d, channels_first, "relu", True,
                         isa="ref")
    plan.pack(dw, pw, bias)
    return forward(plan, x.astype(np.float64), shape, channels_first, 1)


def test_shapes_reach_their_schedules():
    """The shapes above really are what they claim (guards the test's premise
    against future budget changes): a fused tile of span_images is not a whole
    number of images, and phased_groups needs more than one group."""
    tile_budget, group_budget = 384 * 1024, 1536 * 1024
    _, n, h, w, c, m, f, k, s, d, p = SHAPES[0]
    ho, wo = geometry(h, w, k, s, d, p)[:2]
    rows = tile_budget // (wo * c * m * 4)
    assert rows > ho and rows % ho != 0
    _, n, h, w, c, m, f, k, s, d, p = SHAPES[2]
    ho, wo = geometry(h, w, k, s, d, p)[:2]
    assert 1 <= group_budget // (ho * wo * c * m * 4) < n
    _, n, h, w, c, m, f, k, s, d, p = SHAPES[3]
    assert c * m * f * 4 > 1024 * 1024
    for name in ("strided_tiles", "strided_one_row", "strided_s2"):
        _, n, h, w, c, m, f, k, s, d, p = next(sh for sh in SHAPES if sh[0] == name)
        ho, wo = geometry(h, w, k, s, d, p)[:2]
        step = d // np.gcd(d, s)
        rows = max(1, tile_budget // (wo * c * m * 4))
        assert 1 < step < ho and rows < step, name  # tiles of rows step apart


@pytest.mark.parametrize("shape", SHAPES, ids=[s[0] for s in SHAPES])
@pytest.mark.parametrize("channels_first", [False, True], ids=["nhwc", "nchw"])
@pytest.mark.parametrize("isa", ISAS)
def test_forward_matches_reference_and_is_thread_invariant(shape, channels_first, isa):
    plan, x, weights = make(shape, np.float32, isa, channels_first)
    y1 = forward(plan, x, shape, channels_first, 1)
    want = expected(shape, x, weights, channels_first)
    kdim = shape[4] * shape[5]
    tol = 1e-6 * (kdim + shape[7] ** 2) * (np.abs(want).max() + 1)
    assert np.all(np.abs(y1 - want) <= tol), np.abs(y1 - want).max()
    for threads in (2, 3):
        yt = forward(plan, x, shape, channels_first, threads)
        assert np.array_equal(yt.view(np.uint32), y1.view(np.uint32)), f"threads={threads}"


@pytest.mark.parametrize("name", ["strided_tiles", "strided_one_row", "strided_s2"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("isa", ISAS)
def test_misaligned_input_gives_the_aligned_result(name, dtype, isa):
    """An input that does not start on a cache line (numpy promises 16 bytes):
    strided tiles then copy their rows to an aligned buffer before the
    depthwise (driver_impl.h, realign_input).  Same bits as from an aligned
    copy of the input, at every thread count, and the input is left as it was."""
    shape = next(s for s in SHAPES if s[0] == name)
    plan, x, weights = make(shape, dtype, isa, False)
    flat = x.ravel()
    base = _kernels.empty_output((flat.size + 16,), dtype)
    aligned = base[:flat.size]
    aligned[...] = flat
    y_aligned = forward(plan, aligned, shape, False, 1)
    want = expected(shape, x, weights, False)
    tol = (1e-6 if dtype == np.float32 else 1e-14) * (shape[4] + 9) * (np.abs(want).max() + 1)
    assert np.all(np.abs(y_aligned - want) <= tol)
    for off in (1, 16 // x.itemsize, 48 // x.itemsize):
        xs = base[off:off + flat.size]
        xs[...] = flat
        assert xs.ctypes.data % 64 != 0
        for threads in (1, 2, 3):
            y = forward(plan, xs, shape, False, threads)
            assert np.array_equal(y.view(np.uint8), y_aligned.view(np.uint8)), (off, threads)
        assert np.array_equal(xs, flat)


@pytest.mark.parametrize("shape", SHAPES[:4], ids=[s[0] for s in SHAPES[:4]])
@pytest.mark.parametrize("channels_first", [False, True], ids=["nhwc", "nchw"])
def test_float64_schedules(shape, channels_first):
    isa = _kernels.best_isa()
    plan, x, weights = make(shape, np.float64, isa, channels_first)
    y1 = forward(plan, x, shape, channels_first, 1)
    want = expected(shape, x, weights, channels_first)
    tol = 1e-14 * (shape[4] * shape[5] + 9) * (np.abs(want).max() + 1)
    assert np.all(np.abs(y1 - want) <= tol)
    for threads in (2, 3):
        assert np.array_equal(forward(plan, x, shape, channels_first, threads), y1)


@pytest.mark.parametrize("shape", SHAPES, ids=[s[0] for s in SHAPES])
@pytest.mark.parametrize("channels_first", [False, True], ids=["nhwc", "nchw"])
def test_stages_alone_compose_and_are_thread_invariant(shape, channels_first):
    """depthwise() then pointwise() equals forward() bitwise (same family, the
    same per-element arithmetic), for 1-3 threads."""
    name, n, h, w, c, m, f, k, s, d, padding = shape
    ho, wo, pt, pl = geometry(h, w, k, s, d, padding)
    plan, x, _ = make(shape, np.float32, _kernels.best_isa(), channels_first)
    y_fused = forward(plan, x, shape, channels_first, 1)
    for threads in (1, 2, 3):
        dd = np.full(n * ho * wo * c * m, np.nan, np.float32)
        plan.depthwise(np.ascontiguousarray(x).ravel(), dd, n, h, w, pt, pl, ho, wo, threads)
        y = np.full(n * ho * wo * f, np.nan, np.float32)
        plan.pointwise(dd, y, n, ho, wo, threads)
        assert np.array_equal(y.view(np.uint32), y_fused.view(np.uint32)), f"threads={threads}"


# Streaming (non-temporal) stores of the output: forced on a small shape, and
# chosen by the driver when a call's input and output take 8 MiB or more.
FORCED_STREAM = ("forced_stream", 3, 13, 11, 24, 2, 70, 3, 1, 1, "same")
# 4 x 64 x 64 x 128 float32 in and out = 16 MiB; one image alone = 4 MiB
AUTO_STREAM = ("auto_stream", 4, 64, 64, 128, 1, 128, 3, 1, 1, "same")
STREAM_MIN_BYTES = 8 << 20


def _forward_into(plan, x, shape, threads, offset):
    """forward() into a 64-byte aligned buffer, or one `offset` elements past it."""
    name, n, h, w, c, m, f, k, s, d, padding = shape
    ho, wo, pt, pl = geometry(h, w, k, s, d, padding)
    size = n * ho * wo * f
    buf = np.empty(size + 32, x.dtype)
    start = (-buf.ctypes.data % 64) // buf.itemsize
    y = buf[start + offset:start + offset + size]
    assert (y.ctypes.data % 64 == 0) == (offset == 0)
    y[:] = np.nan
    plan.forward(np.ascontiguousarray(x).ravel(), y, n, h, w, pt, pl, ho, wo, threads)
    return y


@pytest.mark.parametrize("channels_first", [False, True], ids=["nhwc", "nchw"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("isa", ISAS)
def test_streamed_output_equals_ordinary_stores(isa, dtype, channels_first):
    """Streaming stores change no value: a plan forced to stream equals the
    ordinary one bitwise, at 1-3 threads, into aligned and misaligned outputs."""
    name, n, h, w, c, m, f, k, s, d, padding = FORCED_STREAM
    plain, x, weights = make(FORCED_STREAM, dtype, isa, channels_first)
    want = forward(plain, x, FORCED_STREAM, channels_first, 1)
    ref = expected(FORCED_STREAM, x, weights, channels_first)
    eps = np.finfo(dtype).eps
    assert np.all(np.abs(want - ref) <= 8 * eps * (c * m + 9) * (np.abs(ref).max() + 1))
    streamed = _kernels.Plan(dtype, c, m, f, k, k, s, s, d, d, channels_first, "relu", True,
                             isa=isa, stream_output=True)
    streamed.pack(*weights[:1], weights[1].reshape(c * m, f), weights[2])
    for threads in (1, 2, 3):
        for offset in (0, 1):  # elements: 64-byte aligned, then one element off
            y = _forward_into(streamed, x, FORCED_STREAM, threads, offset)
            assert np.array_equal(y, want), (threads, offset)
            assert not np.isnan(y).any()


# The depthwise stage alone streams d (NHWC, full vectors, when d and its
# pixel stride are vector-aligned): 3x3, depth multiplier 2, dilation 5 (the
# dilated block) and 5x5 stride 2 (the general block); c*m a multiple of
# every vector width, so every block is a full one.
DW_STREAM_SHAPES = [
    ("dw_3x3", 2, 13, 11, 32, 1, 8, 3, 1, 1, "same"),
    ("dw_m2", 2, 9, 10, 24, 2, 8, 3, 1, 1, "same"),
    ("dw_dil5", 1, 20, 40, 64, 1, 8, 3, 1, 5, "same"),
    ("dw_k5s2", 2, 11, 9, 16, 1, 8, 5, 2, 1, "valid"),
]


def _depthwise_into(plan, x, shape, threads, offset, dtype):
    """depthwise() into a 64-byte aligned d, or one `offset` elements past it."""
    name, n, h, w, c, m, f, k, s, d, padding = shape
    ho, wo, pt, pl = geometry(h, w, k, s, d, padding)
    size = n * ho * wo * c * m
    buf = np.empty(size + 16, dtype)
    start = (-buf.ctypes.data % 64) // buf.itemsize
    dd = buf[start + offset:start + offset + size]
    dd[:] = np.nan
    plan.depthwise(np.ascontiguousarray(x).ravel(), dd, n, h, w, pt, pl, ho, wo, threads)
    return dd


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("shape", DW_STREAM_SHAPES, ids=[s[0] for s in DW_STREAM_SHAPES])
@pytest.mark.parametrize("isa", ISAS)
def test_streamed_depthwise_equals_ordinary_stores(isa, shape, dtype):
    """A plan forced to stream writes the same d as the ordinary one, bitwise,
    at 1-3 threads, into aligned d (streamed) and misaligned d (not)."""
    name, n, h, w, c, m, f, k, s, d, padding = shape
    plain, x, weights = make(shape, dtype, isa, False)
    want = _depthwise_into(plain, x, shape, 1, 0, dtype)
    assert not np.isnan(want).any()
    streamed = _kernels.Plan(dtype, c, m, f, k, k, s, s, d, d, False, "relu", True, isa=isa,
                             stream_output=True)
    streamed.pack(weights[0], weights[1].reshape(c * m, f), weights[2])
    for threads in (1, 2, 3):
        for offset in (0, 1):
            got = _depthwise_into(streamed, x, shape, threads, offset, dtype)
            assert np.array_equal(got, want), (threads, offset)


def test_depthwise_alone_streams_big_calls_with_the_same_values():
    """At the size where the driver streams the depthwise stage by itself, d
    into an aligned buffer equals d into a misaligned one (ordinary stores)."""
    shape = ("dw_auto", 2, 64, 64, 256, 1, 8, 3, 1, 1, "same")
    name, n, h, w, c, m, f, k, s, d, padding = shape
    assert 2 * n * h * w * c * 4 >= STREAM_MIN_BYTES
    plan, x, _ = make(shape, np.float32, _kernels.best_isa(), False)
    want = _depthwise_into(plan, x, shape, 1, 1, np.float32)
    for threads in (1, 2):
        got = _depthwise_into(plan, x, shape, threads, 0, np.float32)
        assert np.array_equal(got, want), threads

def test_driver_streams_big_calls_with_the_same_values():
    """At the size where the driver turns streaming on by itself, the whole
    batch equals the images run one by one (ordinary stores) bitwise."""
    name, n, h, w, c, m, f, k, s, d, padding = AUTO_STREAM
    ho, wo = geometry(h, w, k, s, d, padding)[:2]
    per_call = (n * h * w * c + n * ho * wo * f) * 4
    assert per_call >= STREAM_MIN_BYTES > per_call // n
    plan, x, _ = make(AUTO_STREAM, np.float32, _kernels.best_isa(), False)
    one = (name, 1) + AUTO_STREAM[2:]
    per_image = np.concatenate([forward(plan, x[i:i + 1], one, False, 1) for i in range(n)])
    for threads, offset in ((1, 0), (2, 0), (2, 1)):
        y = _forward_into(plan, x, AUTO_STREAM, threads, offset)
        assert np.array_equal(y.view(np.uint32), per_image.view(np.uint32)), (threads, offset)
