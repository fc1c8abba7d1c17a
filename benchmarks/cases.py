"""The benchmark suite: 28 separable layers (depthwise k x k, then 1x1 to F
filters, then bias and ReLU), their TF output geometry, FLOP and byte counts,
and seeded data.  Plain NumPy: imported by every worker, so it must not import
sepconv or any framework."""

from dataclasses import dataclass, asdict, replace

import numpy as np


@dataclass(frozen=True)
class Case:
    name: str
    h: int
    w: int
    c: int
    f: int
    k: int = 3
    stride: int = 1
    dilation: int = 1
    m: int = 1
    padding: str = "same"
    data_format: str = "channels_last"
    group: str = ""

    def as_dict(self):
        return asdict(self)


def _mbv1(name, hw, c, s, f):
    return Case(name, hw, hw, c, f, stride=s, group="mobilenet_v1")


def _xc(name, hw, c, f):
    return Case(name, hw, hw, c, f, group="xception")


# MobileNetV1 224x224 width 1.0 (TF-slim definition: the last block has stride 1).
MOBILENET_V1 = [
    _mbv1("mbv1_01", 112, 32, 1, 64),
    _mbv1("mbv1_02", 112, 64, 2, 128),
    _mbv1("mbv1_03", 56, 128, 1, 128),
    _mbv1("mbv1_04", 56, 128, 2, 256),
    _mbv1("mbv1_05", 28, 256, 1, 256),
    _mbv1("mbv1_06", 28, 256, 2, 512),
    _mbv1("mbv1_07", 14, 512, 1, 512),  # five of these in the network
    _mbv1("mbv1_12", 14, 512, 2, 1024),
    _mbv1("mbv1_13", 7, 1024, 1, 1024),
]

# Xception 299x299: every separable conv is 3x3 stride 1 'same'.
XCEPTION = [
    _xc("xc_01", 147, 64, 128),
    _xc("xc_02", 147, 128, 128),
    _xc("xc_03", 74, 128, 256),
    _xc("xc_04", 74, 256, 256),
    _xc("xc_05", 37, 256, 728),
    _xc("xc_06", 37, 728, 728),
    _xc("xc_07", 19, 728, 728),  # 25 of these in the network
    _xc("xc_08", 19, 728, 1024),
    _xc("xc_09", 10, 1024, 1536),
    _xc("xc_10", 10, 1536, 2048),
]

OTHERS = [
    Case("aspp_d6", 33, 33, 2048, 256, dilation=6, group="other"),
    Case("aspp_d12", 33, 33, 2048, 256, dilation=12, group="other"),
    Case("aspp_d18", 33, 33, 2048, 256, dilation=18, group="other"),
    Case("dl_d2", 65, 65, 256, 256, dilation=2, group="other"),
    Case("k5", 28, 28, 96, 96, k=5, group="other"),
    Case("k7", 56, 56, 96, 96, k=7, group="other"),
    Case("dm2", 56, 56, 64, 128, m=2, group="other"),
    Case("valid_s2", 57, 57, 64, 128, stride=2, padding="valid", group="other"),
    Case("mbv2_144", 56, 56, 144, 24, stride=2, group="other"),
    Case("nchw_03", 56, 56, 128, 128, data_format="channels_first", group="other"),
]

ALL_CASES = MOBILENET_V1 + XCEPTION + OTHERS
BY_NAME = {c.name: c for c in ALL_CASES}


def select(names):
    """Cases by name (None or [] means all); unknown names raise ValueError."""
    if not names:
        return list(ALL_CASES)
    bad = [n for n in names if n not in BY_NAME]
    if bad:
        raise ValueError(f"unknown case(s) {bad}; known: {sorted(BY_NAME)}")
    return [BY_NAME[n] for n in names]


def out_and_pads(n, k, s, d, padding):
    """(out, pad_before, pad_after) along one axis, as TF computes them."""
    ek = (k - 1) * d + 1
    if padding == "valid":
        return (n - ek) // s + 1, 0, 0
    out = -(-n // s)
    total = max((out - 1) * s + ek - n, 0)
    return out, total // 2, total - total // 2


def geometry(case):
    """dict with ho, wo and the four TF pads."""
    ho, pt, pb = out_and_pads(case.h, case.k, case.stride, case.dilation, case.padding)
    wo, pl, pr = out_and_pads(case.w, case.k, case.stride, case.dilation, case.padding)
    return dict(ho=ho, wo=wo, pad_top=pt, pad_bottom=pb, pad_left=pl, pad_right=pr)


def input_shape(case, batch):
    if case.data_format == "channels_first":
        return (batch, case.c, case.h, case.w)
    return (batch, case.h, case.w, case.c)


def flops(case, batch):
    """Depthwise + pointwise multiply-adds as 2 FLOPs each, plus bias and ReLU."""
    g = geometry(case)
    b = stage_bounds(case, batch)
    return b["depthwise_flops"] + b["pointwise_flops"] + 2 * batch * g["ho"] * g["wo"] * case.f


def fused_bytes(case, batch):
    """Fewest float32 bytes a fused layer must move: input + output + weights."""
    g = geometry(case)
    cm = case.c * case.m
    x = batch * case.h * case.w * case.c
    y = batch * g["ho"] * g["wo"] * case.f
    wts = case.k * case.k * cm + cm * case.f + case.f
    return 4 * (x + y + wts)


def roofline_seconds(case, batch, peak_flops, bandwidth):
    """Lower bound on the time of one call: max(FLOPs / peak, bytes / bandwidth)."""
    return max(flops(case, batch) / peak_flops, fused_bytes(case, batch) / bandwidth)


def stage_bounds(case, batch):
    """The two stages alone: pointwise FLOPs, and the depthwise's bytes (its
    input and its float32 output) and FLOPs."""
    g = geometry(case)
    pix = batch * g["ho"] * g["wo"]
    cm = case.c * case.m
    return {"pointwise_flops": 2 * pix * cm * case.f,
            "depthwise_bytes": 4 * (batch * case.h * case.w * case.c + pix * cm),
            "depthwise_flops": 2 * pix * cm * case.k * case.k}


def small(case):
    """The same layer on a small image, for correctness checks before timing."""
    side = min(case.h, 13 if case.stride == 1 else 14)
    if case.padding == "valid":
        side = max(side, (case.k - 1) * case.dilation + 1 + 2)
    return replace(case, h=side, w=side)


def make_data(case, batch, seed=0):
    """Seeded float32 input (in the case's layout) and TF-shaped weights:
    depthwise (k, k, C, M), pointwise (1, 1, C*M, F), bias (F,)."""
    rng = np.random.default_rng([seed, case.c, case.f, case.k, case.m, batch, case.h])
    x = rng.uniform(-1.0, 1.0, size=input_shape(case, batch)).astype(np.float32)
    dw = (rng.standard_normal((case.k, case.k, case.c, case.m)) / case.k).astype(np.float32)
    pw = (rng.standard_normal((1, 1, case.c * case.m, case.f)) /
          np.sqrt(case.c * case.m)).astype(np.float32)
    bias = rng.uniform(-0.1, 0.1, size=case.f).astype(np.float32)
    return x, dw, pw, bias


def reference(case, x, dw, pw, bias):
    """float64 result of the layer (via the project's test oracle tests/reference.py)."""
    import os
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    tests = os.path.join(os.path.dirname(here), "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    import reference as ref
    return ref.separable_conv2d(x, dw, pw, bias, strides=(case.stride, case.stride),
                                padding=case.padding, dilation=(case.dilation, case.dilation),
                                data_format=case.data_format, activation_name="relu")


def check(y, y_ref, case):
    """(ok, max abs error, tolerance): float32 against the float64 reference,
    with a tolerance that grows with the length of the dot products."""
    y = np.asarray(y, dtype=np.float64)
    if y.shape != y_ref.shape:
        return False, float("inf"), 0.0
    terms = case.k * case.k + case.c * case.m
    tol = 2e-6 * np.sqrt(terms) * max(1.0, float(np.max(np.abs(y_ref)))) * 8
    err = float(np.max(np.abs(y - y_ref))) if y.size else 0.0
    return bool(err <= tol and np.all(np.isfinite(y))), err, float(tol)
