"""Rendering a run: the rich table on the terminal and the JSON file."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from benchmarks.runner import BenchmarkRun


def fmt(value: float | None) -> str:
    """A number with three significant digits (thousands separated), or a dash."""
    if value is None:
        return "—"
    if math.isinf(value) or math.isnan(value):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _finite(value: Any) -> Any:
    """JSON has no Infinity / NaN: such floats become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def write_json(result: BenchmarkRun, out: Path) -> Path:
    """Write the run as JSON (strict: no NaN / Infinity) and return the path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_finite(result.to_json()), indent=2, ensure_ascii=False,
                      allow_nan=False, default=_json_default)
    out.write_text(text + "\n", encoding="utf-8")
    return out


def print_tables(result: BenchmarkRun, console: Console | None = None) -> None:
    """The figures table, the scaling table and any errors."""
    from rich.console import Console
    from rich.table import Table

    # a pipe or CI log gets 80 columns by default, which wraps every row of this table
    console = console or Console(width=None if Console().is_terminal else 160)
    table = Table(title=f"mlsys benchmarks (scale {result.meta['scale']}, "
                  f"{result.meta['duration_s']} s)", show_lines=False)
    for col, justify in (("figure", "left"), ("unit", "left"), ("mlsys", "right"),
                         ("baseline", "right"), ("ratio", "right"), ("goal", "left"),
                         ("met", "center"), ("n", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for f in result.figures:
        d = f.to_json()
        mlsys, base = fmt(d["mlsys"]), fmt(d["baseline"])
        if f.statistic == "p99":  # latency: show p50 / p99
            mlsys = f"{fmt(d['median'])} / {fmt(d['p99'])}"
            base = f"{fmt(d['baseline_median'])} / {fmt(d['baseline_p99'])}"
        unit = f"{f.unit} (p50/p99)" if f.statistic == "p99" else f.unit
        met = "[green]yes[/green]" if d["goal_met"] else "[red]NO[/red]"
        table.add_row(f.name, unit, mlsys, base, fmt(d["ratio"]), f.goal.text, met,
                      str(d["repetitions"]))
    console.print(table)
    if result.scaling:
        scaling = Table(title="scaling: seconds and peak memory need (RSS over the process "
                        "after imports) / data size")
        for col in ("rows", "data MB", "mlsys insert s", "delta insert s", "mlsys read s",
                    "delta read s", "insert mem x", "delta ins mem x", "read mem x",
                    "delta read mem x"):
            scaling.add_column(col, justify="right")
        for p in result.scaling:
            scaling.add_row(f"{p.rows:,}", fmt(p.data_bytes / 1e6),
                            *(fmt(p.seconds[o]) for o in ("mlsys_insert", "delta_insert",
                                                          "mlsys_read", "delta_read")),
                            *(fmt(p.memory_ratio(o)) for o in ("mlsys_insert", "delta_insert",
                                                               "mlsys_read", "delta_read")))
        console.print(scaling)
    for e in result.errors:
        console.print(f"[red]{e['benchmark']} failed:[/red] {e['error']}")
