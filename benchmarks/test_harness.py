"""Checks of the benchmark harness itself:  pytest benchmarks/test_harness.py

The expected numbers come from outside the code under test: the FLOP and byte
counts from the per-layer table in the project's performance notes (computed
independently), geometry and reference values from tests/reference.py."""

import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import cases as suite  # noqa: E402
import reference as ref  # noqa: E402
from timing import time_calls  # noqa: E402


def test_suite_has_every_case_once():
    names = [c.name for c in suite.ALL_CASES]
    assert len(names) == len(set(names)) == 29
    assert sum(c.group == "mobilenet_v1" for c in suite.ALL_CASES) == 9
    assert sum(c.group == "xception" for c in suite.ALL_CASES) == 10


# (case, depthwise MFLOP, pointwise MFLOP, fused MB) from the per-layer roofline table
PUBLISHED = [("mbv1_01", 7.23, 51.4, 4.83), ("mbv1_02", 3.61, 51.4, 4.85),
             ("mbv1_13", 0.90, 102.8, 4.64), ("xc_02", 49.79, 708.1, 22.20),
             ("xc_10", 2.76, 629.1, 14.09)]


@pytest.mark.parametrize("name,dw_mf,pw_mf,mb", PUBLISHED)
def test_flops_and_bytes_match_the_published_table(name, dw_mf, pw_mf, mb):
    case = suite.BY_NAME[name]
    g = suite.geometry(case)
    bias_act = 2 * g["ho"] * g["wo"] * case.f
    assert (suite.flops(case, 1) - bias_act) / 1e6 == pytest.approx(dw_mf + pw_mf, rel=0.01)
    # the table's weights include a depthwise bias of C floats that ours does not
    assert (suite.fused_bytes(case, 1) + 4 * case.c) / 1e6 == pytest.approx(mb, rel=0.01)
    assert suite.flops(case, 16) == 16 * suite.flops(case, 1)


@pytest.mark.parametrize("case", suite.ALL_CASES, ids=lambda c: c.name)
def test_geometry_matches_the_reference(case):
    g = suite.geometry(case)
    assert (g["ho"], g["pad_top"], g["pad_bottom"]) == ref.output_size_and_pad(
        case.h, case.k, case.stride, case.dilation, case.padding)


def test_roofline_is_the_larger_bound():
    case = suite.BY_NAME["mbv1_07"]
    f, b = suite.flops(case, 1), suite.fused_bytes(case, 1)
    assert suite.roofline_seconds(case, 1, 1e12, 1e9) == pytest.approx(b / 1e9)
    assert suite.roofline_seconds(case, 1, 1e6, 1e12) == pytest.approx(f / 1e6)


def test_check_accepts_rounding_and_rejects_a_wrong_answer():
    case = suite.small(suite.BY_NAME["dm2"])
    x, dw, pw, b = suite.make_data(case, 2)
    want = suite.reference(case, x, dw, pw, b)
    assert suite.check(want.astype(np.float32), want, case)[0]
    wrong = want.copy()
    wrong[0, 0, 0, 0] += 0.01
    assert not suite.check(wrong, want, case)[0]
    assert not suite.check(want[:1], want, case)[0]


def test_small_cases_keep_the_layer_and_stay_valid():
    for case in suite.ALL_CASES:
        s = suite.small(case)
        assert (s.c, s.f, s.k, s.stride, s.dilation, s.m, s.padding, s.data_format) == \
            (case.c, case.f, case.k, case.stride, case.dilation, case.m, case.padding, case.data_format)
        assert suite.geometry(s)["ho"] >= 1


def test_time_calls_reports_the_median_of_warm_calls():
    calls = []
    r = time_calls(lambda: calls.append(1), budget=0.0, min_repeats=7)
    assert r["repeats"] == 7 and len(calls) == 9  # two warm-up calls
    assert r["min_s"] <= r["median_s"]


def test_sepconv_bench_reference_agrees_with_the_test_oracle():
    _bench = pytest.importorskip("sepconv._bench")
    rng = np.random.default_rng(3)
    for first, s, d, m, pad in [(False, 2, 1, 1, "same"), (True, 1, 2, 2, "same"),
                                (False, 1, 1, 3, "valid"), (True, 2, 1, 1, "valid")]:
        x = rng.standard_normal((2, 4, 9, 10) if first else (2, 9, 10, 4))
        dw, pw, b = rng.standard_normal((3, 3, 4, m)), rng.standard_normal((1, 1, 4 * m, 5)), \
            rng.standard_normal(5)
        fmt = "channels_first" if first else "channels_last"
        got = _bench.reference(x, dw, pw, b, (s, s), pad, (d, d), first, "relu")
        want = ref.separable_conv2d(x, dw, pw, b, (s, s), pad, (d, d), fmt, "relu")
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_probe_reports_plausible_rates_and_rejects_bad_arguments():
    k = pytest.importorskip("sepconv._kernels")
    peak = k.probe_peak_flops(1, 0.05)
    scalar = k.probe_peak_flops(1, 0.05, "scalar")
    assert 1e8 < scalar <= peak * 1.2 < 1e13
    bw = k.probe_copy_bandwidth(1, 64 << 20, 2)
    assert 1e8 < bw < 1e13
    with pytest.raises(ValueError):
        k.probe_peak_flops(0, 0.1)
    with pytest.raises(ValueError):
        k.probe_copy_bandwidth(1, 16, 1)


def test_readme_table_renders_ratios_roofline_and_geomeans():
    import readme_table

    def row(case, ratio, roof, best):
        return {"case": case, "ratio": ratio, "pct_roofline": roof, "best_peer": best}

    doc = {"tables": {"t1_b1": [row("a", 2.0, 50.0, "ort"), row("b", 0.5, 80.0, "tf")],
                      "t2_b1": [row("a", 1.0, 40.0, "torch_cl"), row("b", None, None, None)]}}
    lines = readme_table.markdown(doc).splitlines()
    assert lines[0] == "| case | batch 1, 1 thread | batch 1, 2 threads |"
    assert lines[2] == "| a | 2.00× (50.0 %, ORT) | 1.00× (40.0 %, torch_cl) |"
    assert lines[3] == "| b | 0.50× (80.0 %, TF) | — |"
    # geomeans: sqrt(2 * 0.5) = 1, sqrt(50 * 80) = 63.2; a lone value is its own geomean
    assert lines[4] == "| **geomean** | **1.00×** (63.2 %) | **1.00×** (40.0 %) |"
