"""Checks of the benchmark harness itself:  pytest benchmarks/test_harness.py

The expected numbers come from outside the code under test: the FLOP and byte
counts from the per-layer table in the project's performance notes (computed
independently), geometry and reference values from tests/reference.py."""

import math
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


@pytest.mark.parametrize("name,dw_mf,pw_mf,mb", PUBLISHED)
def test_stage_split_percentages_use_each_stages_own_bounds(name, dw_mf, pw_mf, mb):
    """pointwise alone against the peak; depthwise alone against its bytes
    (input and float32 output, both C*M channels at stride 1 here or the
    input 4x at stride 2) and against its roofline, the larger of the two."""
    import report
    case = suite.BY_NAME[name]
    hw_in = case.h * case.w * case.c
    hw_out = hw_in * case.m // (case.stride * case.stride)
    dw_bytes = 4 * (hw_in + hw_out)
    peak, bw = 50e9, 40e9
    split = {"fused_kernel_s": 3e-3, "depthwise_s": 0.5e-3, "pointwise_s": 2e-3}
    got = report.stage_percentages(case, 1, split, peak, bw)
    assert got["pointwise_pct_peak"] == pytest.approx(100 * pw_mf * 1e6 / peak / 2e-3, rel=5e-3)
    assert got["depthwise_pct_bandwidth"] == pytest.approx(100 * dw_bytes / bw / 0.5e-3, rel=2e-3)
    bound = max(dw_bytes / bw, dw_mf * 1e6 / peak)
    # (the published MFLOP have two or three digits)
    assert got["depthwise_pct_roofline"] == pytest.approx(100 * bound / 0.5e-3, rel=5e-3)


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


def test_pool_rounds_takes_the_median_of_every_call_of_every_round():
    from timing import pool_rounds
    r1 = {"median_s": 2.0, "min_s": 1.0, "times_s": [3.0, 1.0, 2.0], "capped": False,
          "first_call_s": 9.0}
    r2 = {"median_s": 4.5, "min_s": 4.0, "times_s": [5.0, 4.0], "capped": False,
          "first_call_s": 7.0}
    got = pool_rounds([r1, r2])
    assert got["median_s"] == 3.0 and got["min_s"] == 1.0 and got["repeats"] == 5
    assert got["round_medians_s"] == [2.0, 4.5] and got["rounds"] == 2
    assert got["first_call_s"] == 9.0 and not got["capped"]
    assert pool_rounds([r2])["median_s"] == 4.5


def test_rotation_gives_every_implementation_every_place():
    from timing import rotated
    names = ["sepconv", "tf", "ort"]
    firsts = [rotated(names, k)[0] for k in range(3)]
    assert sorted(firsts) == sorted(names)
    assert all(sorted(rotated(names, k)) == sorted(names) for k in range(5))
    assert rotated([], 2) == []


FAKE_RUNNER = '''
calls = []
def setup(threads, variant):
    return {"version": "0", "threads": threads}
class Impl:
    def __init__(self, case, batch):
        self.case, self.batch = case, batch
    def call(self):
        calls.append(self.case.name)
        if self.case.name == "k7":
            raise RuntimeError("k7 is broken here")
def build(case, batch, x, dw, pw, bias):
    return Impl(case, batch)
'''


def test_worker_answers_each_command_and_reports_failures(tmp_path, monkeypatch):
    import json
    import worker
    (tmp_path / "fake_runner.py").write_text(FAKE_RUNNER)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(worker.RUNNERS, "fake", ("fake_runner", None))
    cmds = [{"op": "load", "case": "k5", "batch": 1},
            {"op": "time", "budget": 0.0, "repeats": 3, "warmups": 1},
            {"op": "load", "case": "k7", "batch": 1},
            {"op": "time", "budget": 0.0, "repeats": 3},
            {"op": "unload"}, {"op": "quit"}, {"op": "unload"}]
    sent = []
    worker.serve("fake", 1, [json.dumps(c) for c in cmds], sent.append)
    assert sent[0] == {"available": True, "info": {"version": "0", "threads": 1}}
    assert sent[1] == {}
    timing = sent[2]["timing"]
    assert timing["repeats"] == 3 and len(timing["times_s"]) == 3
    assert sent[3] == {}
    assert "k7 is broken here" in sent[4]["error"] and "traceback" in sent[4]
    assert sent[5] == {} and len(sent) == 6  # nothing after quit
    import fake_runner
    assert fake_runner.calls.count("k5") == 1 + 3  # one warm-up, three timed


def test_worker_that_cannot_start_is_reported_not_fatal():
    from run import WorkerGone, WorkerProc
    w = WorkerProc("false", "ort", 1, timeout=30)
    with pytest.raises(WorkerGone, match="exited with 1"):
        w.answer()
    assert not w.alive
    with pytest.raises(WorkerGone):
        w.ask("check", case="k5")


def test_run_interleaves_rounds_and_writes_them(tmp_path):
    pytest.importorskip("sepconv._kernels")
    import json
    import run
    assert run.main(["--cases", "k5", "--peers", "--threads", "1", "--batch", "1", "--budget", "0.02",
                     "--repeats", "4", "--rounds", "2", "--probe-bytes", str(16 << 20),
                     "--out", str(tmp_path)]) == 0
    doc = json.loads(next(tmp_path.glob("bench-*.json")).read_text())
    (entry,) = doc["raw"]["1"]["sepconv"]["results"]
    b1 = entry["b1"]
    assert entry["check"]["ok"] and b1["rounds"] == 2 and len(b1["round_medians_s"]) == 2
    assert b1["repeats"] >= 4 and len(b1["times_s"]) == b1["repeats"]
    assert set(b1["split"]) == {"fused_kernel_s", "depthwise_s", "pointwise_s"}
    assert doc["settings"]["rounds"] == 2
    assert doc["tables"]["t1_b1"][0]["sepconv_s"] == b1["median_s"]
    probe = doc["raw"]["1"]["sepconv"]["probe"]
    assert len(probe["readings"]) == 2  # before the cases and after them
    assert probe["peak_flops"] == max(r["peak_flops"] for r in probe["readings"])


def test_probe_readings_merge_to_the_highest_rate_of_each():
    import run
    slow_peak = {"peak_flops": 172e9, "bandwidth_bytes_per_s": 30e9, "peak_isa": "avx512"}
    slow_copy = {"peak_flops": 334e9, "bandwidth_bytes_per_s": 25e9, "peak_isa": "avx512"}
    merged = run.merge_probes([slow_peak, slow_copy])
    assert merged["peak_flops"] == 334e9 and merged["bandwidth_bytes_per_s"] == 30e9
    assert merged["peak_isa"] == "avx512"
    assert [r["peak_flops"] for r in merged["readings"]] == [172e9, 334e9]
    assert run.merge_probes([slow_peak])["peak_flops"] == 172e9


def test_dtype_ratio_times_both_dtypes_in_rounds(tmp_path):
    pytest.importorskip("sepconv._kernels")
    import json
    import dtype_ratio
    out = tmp_path / "r.json"
    assert dtype_ratio.main(["--cases", "k5", "mbv2_144", "--rounds", "2", "--budget", "0.0",
                             "--repeats", "4", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert [r["case"] for r in doc["rows"]] == ["k5", "mbv2_144"]
    _check_ratio_rows(doc, "float64", "float32")


def test_layout_ratio_times_both_layouts_of_each_case_in_rounds(tmp_path, monkeypatch):
    pytest.importorskip("sepconv._kernels")
    import json
    import layout_ratio
    seen = []
    real = layout_ratio.forward_call

    def spy(case, batch, dtype, threads):
        seen.append((case.name, case.data_format, batch, threads))
        return real(case, batch, dtype, threads)

    monkeypatch.setattr(layout_ratio, "forward_call", spy)
    out = tmp_path / "r.json"
    assert layout_ratio.main(["--cases", "k5", "--batch", "1", "2", "--threads", "1", "--rounds", "2",
                              "--budget", "0.0", "--repeats", "4", "--json", str(out)]) == 0
    assert seen == [("k5", fmt, b, 1) for b in (1, 2) for fmt in ("channels_last", "channels_first")]
    doc = json.loads(out.read_text())
    assert [(r["case"], r["batch"], r["threads"]) for r in doc["rows"]] == [("k5", 1, 1), ("k5", 2, 1)]
    _check_ratio_rows(doc, "channels_last", "channels_first")


def _check_ratio_rows(doc, num, den):
    """Two rows, each variant timed in 2 rounds of 4 calls, ratio num / den,
    and the geomean of the two ratios (dtype_ratio.py and layout_ratio.py)."""
    for r in doc["rows"]:
        for name in (num, den):
            raw = r["raw"][name]
            assert raw["rounds"] == 2 and raw["repeats"] == 4 and r[f"{name}_s"] == raw["median_s"]
        assert r["ratio"] == r[f"{num}_s"] / r[f"{den}_s"] > 0
    assert doc["geomean"] == pytest.approx(math.sqrt(doc["rows"][0]["ratio"] * doc["rows"][1]["ratio"]))
