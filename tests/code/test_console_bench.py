"""The console benchmark runs on a tiny size and reports its four figures (no timing asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import run_benchmarks
from benchmarks.runner import BENCHES


def test_console_benchmark_runs_and_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    run_benchmarks(scale=0.0002, only=("console",), repeat=1, out=out, quiet=True)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["errors"] == []
    figures = {f["name"]: f for f in data["figures"]}
    assert set(figures) == set(BENCHES["console"][1])
    for f in figures.values():
        assert f["mlsys"] > 0 and f["baseline"] > 0 and f["extra"]["commits"] == 10, f
    assert figures["console_group_page"]["rows"] == 200
