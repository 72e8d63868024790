"""Which benchmarks exist, running a selection of them, and the run's result."""

from __future__ import annotations

import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import import_module, metadata
from pathlib import Path
from typing import Any

from benchmarks.context import Context
from benchmarks.harness import Figure

RESULTS_DIR = Path(__file__).parent / "results"
DEFAULT_OUT = RESULTS_DIR / "latest.json"

# benchmark name -> ("module:function", figure names it produces), in run order
BENCHES: dict[str, tuple[str, tuple[str, ...]]] = {
    "insert": ("benchmarks.bench_store:bench_insert", ("insert",)),
    "upsert": ("benchmarks.bench_store:bench_upsert", ("upsert",)),
    "read": ("benchmarks.bench_store:bench_read", ("read", "read_training_data")),
    "pit": ("benchmarks.bench_store:bench_pit", ("pit_join",)),
    "insert_arrow": ("benchmarks.bench_arrow:bench_insert_arrow", ("insert_arrow",)),
    "read_arrow": ("benchmarks.bench_arrow:bench_read_arrow", ("read_pyarrow", "read_polars")),
    "daily_read": ("benchmarks.bench_upkeep:bench_daily_read", ("read_daily_commits",)),
    "insert_stream": ("benchmarks.bench_stream:bench_insert_stream",
                      ("insert_stream", "insert_stream_memory")),
    "read_window": ("benchmarks.bench_stream:bench_read_window", ("read_window",)),
    "online_insert": ("benchmarks.bench_online:bench_online_insert", ("online_insert",)),
    "online_lookup": ("benchmarks.bench_online:bench_online_lookup", ("online_lookup",)),
    "bucket": ("benchmarks.bench_bucket:bench_bucket",
               tuple(f"{side}_{path}" for path in ("insert", "upsert", "read", "online_refresh")
                     for side in ("folder", "bucket"))),
    "validation": ("benchmarks.bench_validation:bench_validation", ("validation",)),
    "register": ("benchmarks.bench_models:bench_register", ("register_model",)),
    "load": ("benchmarks.bench_models:bench_load", ("load_model",)),
    "predict": ("benchmarks.bench_apps:bench_predict", ("predict",)),
    "http": ("benchmarks.bench_apps:bench_http", ("predict_http",)),
    "batch": ("benchmarks.bench_models:bench_batch", ("batch_inference",)),
    "import": ("benchmarks.bench_startup:bench_import",
               ("import_mlsys", "cli_help", "cli_verb_help")),
    "demo": ("benchmarks.bench_startup:bench_demo", ("demo",)),
    "console": ("benchmarks.bench_console:bench_console",
                ("console_group_page", "console_time_travel", "console_groups_list",
                 "console_stats_page")),
    "scaling": ("benchmarks.scaling:bench_scaling",
                ("scaling_insert_time", "scaling_insert_memory", "scaling_read_time",
                 "scaling_read_memory")),
}
VERSIONS_OF = ("mlsys", "deltalake", "pandas", "pyarrow", "great-expectations", "pandera",
               "scikit-learn", "gradio", "obstore", "moto")


def resolve(names: Sequence[str]) -> list[str]:
    """Benchmark names for ``names`` (benchmark or figure names), in run order."""
    wanted = set()
    for name in names:
        hits = [b for b, (_, figs) in BENCHES.items() if name == b or name in figs]
        if not hits:
            known = sorted({*BENCHES, *(f for _, figs in BENCHES.values() for f in figs)})
            raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(known)}")
        wanted.update(hits)
    return [b for b in BENCHES if b in wanted] if names else list(BENCHES)


def _function(target: str) -> Callable[[Context], Any]:
    module, func = target.split(":")
    fn: Callable[[Context], Any] = getattr(import_module(module), func)
    return fn


@dataclass
class BenchmarkRun:
    """Everything one run measured, and what failed."""

    meta: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    scaling: list[Any] = field(default_factory=list)  # ScalingPoint
    errors: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        met = [f.goal_met for f in self.figures]
        return {
            "meta": self.meta,
            "summary": {"figures": len(met), "goals_met": sum(met),
                        "goals_missed": [f.name for f in self.figures if not f.goal_met],
                        "errors": [e["benchmark"] for e in self.errors]},
            "figures": [f.to_json() for f in self.figures],
            "scaling": [p.to_json() for p in self.scaling],
            "errors": self.errors,
        }


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for dist in VERSIONS_OF:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def run(ctx: Context, names: Sequence[str] = (),
        progress: Callable[[str], Any] | None = None) -> BenchmarkRun:
    """Run the named benchmarks (all when empty) in ``ctx``; a failing benchmark is recorded
    in ``errors`` and the others still run."""
    import os

    say = progress or (lambda _m: None)
    selected = resolve(names)
    started = time.perf_counter()
    result = BenchmarkRun(meta={
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0], "platform": platform.platform(),
        "cpus": os.cpu_count(), "scale": ctx.scale, "repeat": ctx.repeat, "full": ctx.full,
        "benchmarks": selected, "versions": _versions(),
    })
    for name in selected:
        t0 = time.perf_counter()
        say(f"{name} ...")
        try:
            out = _function(BENCHES[name][0])(ctx)
            if name == "scaling":
                figures, points = out
                result.scaling.extend(points)
            else:
                figures = out
            result.figures.extend(figures)
            say(f"{name}: {time.perf_counter() - t0:.1f} s")
        except Exception as err:  # one broken path must not hide the others' figures
            result.errors.append({"benchmark": name, "error": f"{type(err).__name__}: {err}",
                                  "traceback": traceback.format_exc(limit=8)})
            say(f"{name}: FAILED ({type(err).__name__}: {err})")
    result.meta["duration_s"] = round(time.perf_counter() - started, 2)
    return result
