"""The benchmark package runs on a tiny size and writes well-formed JSON (no timing asserted)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

# benchmarks/ is a package of the checkout, importable through pytest's ``pythonpath``
from benchmarks import run_benchmarks
from benchmarks.harness import Figure, Goal, Stats
from benchmarks.runner import BENCHES, resolve
from benchmarks.scaling import ScalingPoint, figures

FIGURE_KEYS = {"name", "path", "unit", "statistic", "mlsys", "baseline", "baseline_name",
               "ratio", "goal", "goal_met", "repetitions", "median", "p99", "baseline_median",
               "baseline_p99", "raw", "rows", "size_bytes", "reference", "extra"}
# every store path, in run order (the others import GE, sklearn or gradio and cost seconds
# each); bucket starts moto's S3 server (about 10 s in all)
TINY = ("insert", "upsert", "read", "pit", "insert_arrow", "read_arrow", "daily_read",
        "online_insert", "online_lookup", "bucket")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "latest.json"
    run_benchmarks(scale=0.0002, only=TINY, repeat=1, out=out, quiet=True)
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def test_tiny_run_has_no_errors_and_every_figure(tiny_run: dict[str, Any]) -> None:
    assert tiny_run["errors"] == []
    wanted = {f for b in TINY for f in BENCHES[b][1]}
    assert {f["name"] for f in tiny_run["figures"]} == wanted
    assert tiny_run["meta"]["benchmarks"] == list(TINY)
    assert tiny_run["summary"]["figures"] == len(wanted)


def test_every_figure_is_well_formed(tiny_run: dict[str, Any]) -> None:
    for f in tiny_run["figures"]:
        assert set(f) == FIGURE_KEYS, f["name"]
        assert _number(f["mlsys"]) and f["mlsys"] > 0, f
        assert _number(f["median"]) and f["repetitions"] >= 1, f
        assert isinstance(f["goal_met"], bool)
        assert f["goal"]["kind"] in ("ratio_max", "value_max", "over_baseline_max")
        assert _number(f["goal"]["threshold"]) and f["goal"]["text"]
        if f["baseline"] is not None:
            assert _number(f["baseline"]) and _number(f["ratio"]), f
        if f["statistic"] == "p99":  # latency figures carry both percentiles
            assert _number(f["p99"]) and f["p99"] >= f["median"], f
            assert _number(f["baseline_p99"]), f


def test_goal_met_agrees_with_the_figures(tiny_run: dict[str, Any]) -> None:
    for f in tiny_run["figures"]:
        g = f["goal"]
        if g["kind"] == "ratio_max":
            assert f["goal_met"] == (f["ratio"] <= g["threshold"]), f
        elif g["kind"] == "value_max":
            assert f["goal_met"] == (f["mlsys"] <= g["threshold"]), f


def test_unknown_benchmark_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown benchmark 'nope'"):
        resolve(["nope"])
    assert resolve(["cli_help"]) == ["import"]  # a figure name selects its benchmark
    assert resolve([]) == list(BENCHES)


def test_rates_and_ratios() -> None:
    slow, fast = Stats.of([2.0, 2.0, 2.0]), Stats.of([1.0, 1.0, 1.0])
    f = Figure("batch", "batch", "rows/s", Goal("ratio <= 1.3", "ratio_max", 1.3), slow, fast,
               "bare", rows=1000)
    assert f.value(f.mlsys) == 500 and f.value(f.baseline) == 1000
    assert f.ratio == 2.0 and not f.goal_met
    over = Figure("import", "import", "s", Goal("+0.3 s", "over_baseline_max", 0.3),
                  Stats.of([0.35]), Stats.of([0.1]), "pass")
    assert over.goal_met
    latency = Figure("lookup", "lookup", "µs", Goal("p99 <= 100 µs", "value_max", 100.0),
                     Stats.of([1e-5] * 98 + [2e-3] * 2), None, "—", statistic="p99")
    assert latency.value(latency.mlsys, "median") == pytest.approx(10.0)
    assert not latency.goal_met


def test_scaling_figures_from_points() -> None:
    def point(rows: int, seconds: float, need: int) -> ScalingPoint:
        ops = ("mlsys_insert", "delta_insert", "mlsys_read", "delta_read")
        return ScalingPoint(rows, rows * 100, dict.fromkeys(ops, seconds),
                            dict.fromkeys(ops, need), dict.fromkeys(ops, need))

    figs = {f.name: f for f in figures([point(1000, 1.0, 250_000), point(10_000, 20.0, 2_000_000)])}
    assert figs["scaling_insert_time"].value(figs["scaling_insert_time"].mlsys) == 2.0
    assert not figs["scaling_insert_time"].goal_met  # 10x rows took 20x time
    assert figs["scaling_read_memory"].value(figs["scaling_read_memory"].mlsys) == 2.0
    assert figs["scaling_read_memory"].goal_met
