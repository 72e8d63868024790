"""How cost grows: insert and read at 10k, 100k, 1M (and 10M) rows, each in a fresh process."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from benchmarks.context import run_worker
from benchmarks.harness import BenchmarkError, Figure, Goal, Stats

if TYPE_CHECKING:
    from benchmarks.context import Context

SIZES = (10_000, 100_000, 1_000_000)
FULL_SIZE = 10_000_000  # only with --full, or --scale 1 --only scaling
LINEAR = Goal("per-row time growth <= 1.5x", "value_max", 1.5)
MEMORY = Goal("memory need <= 3x data", "value_max", 3.0)


@dataclass(frozen=True)
class ScalingPoint:
    """One size: seconds and memory need of each operation (medians over repetitions)."""

    rows: int
    data_bytes: int
    seconds: dict[str, float]  # op -> seconds
    need_bytes: dict[str, int]  # op -> peak RSS minus RSS after imports
    peak_bytes: dict[str, int]  # op -> peak RSS of the process
    repetitions: int = 1

    def memory_ratio(self, op: str) -> float:
        return self.need_bytes[op] / self.data_bytes

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["memory_ratio"] = {op: self.memory_ratio(op) for op in self.need_bytes}
        out["seconds_per_million_rows"] = {op: s / self.rows * 1e6
                                           for op, s in self.seconds.items()}
        return out


def sizes(ctx: Context) -> list[int]:
    full = ctx.full or (ctx.scale >= 1 and "scaling" in ctx.only)
    wanted = [*SIZES, *([FULL_SIZE] if full else [])]
    return sorted({ctx.sizes.rows(n) for n in wanted})


OPS = ("mlsys_insert", "delta_insert", "mlsys_read", "delta_read")


def measure(ctx: Context) -> list[ScalingPoint]:
    points = []
    for rows in sizes(ctx):
        runs: dict[str, list[dict[str, Any]]] = {op: [] for op in OPS}
        for rep in range(ctx.reps(3)):
            home = str(ctx.dir(f"scaling_{rows}"))
            # mlsys_insert before the reads (they read the table it wrote); otherwise mlsys and
            # delta swap places every repetition, so the first reader of freshly written files
            # (which is slower) is not always the same one
            order = OPS if rep % 2 == 0 else ("delta_insert", "mlsys_insert", "delta_read",
                                               "mlsys_read")
            for op in order:
                runs[op].append(run_worker("scaling_worker", op, str(rows), home))
        points.append(ScalingPoint(
            rows=rows,
            data_bytes=int(statistics.median(r["data_bytes"] for r in runs["mlsys_insert"])),
            seconds={op: statistics.median(r["seconds"] for r in rs) for op, rs in runs.items()},
            need_bytes={op: int(statistics.median(r["need_bytes"] for r in rs))
                        for op, rs in runs.items()},
            peak_bytes={op: int(statistics.median(r["peak"] for r in rs))
                        for op, rs in runs.items()},
            repetitions=len(runs["mlsys_insert"]),
        ))
    return points


def _one(value: float, n: int) -> Stats:
    """A derived value (from medians over ``n`` repetitions) as a figure's statistics."""
    return Stats(n, value, value, value, value, value)


def figures(points: list[ScalingPoint]) -> list[Figure]:
    """Linear-growth and memory figures from the measured points (two sizes at least)."""
    if len(points) < 2:
        raise BenchmarkError("scaling needs at least two distinct sizes; use a larger --scale")
    last, before = points[-1], points[-2]
    n = last.repetitions

    def growth(op: str) -> float:
        return (last.seconds[op] / last.rows) / (before.seconds[op] / before.rows)

    out = []
    for kind, base in (("insert", "delta_insert"), ("read", "delta_read")):
        op = f"mlsys_{kind}"
        out.append(Figure(
            f"scaling_{kind}_time", f"{kind}: per-row time at {last.rows:,} / at "
            f"{before.rows:,} rows (1 = linear)", "x", LINEAR, _one(growth(op), n),
            _one(growth(base), n), f"the same for {base.replace('_', ' ')}", rows=last.rows,
            extra={"seconds": {p.rows: p.seconds[op] for p in points}}))
        out.append(Figure(
            f"scaling_{kind}_memory", f"{kind} {last.rows:,} rows: peak RSS need / data size",
            "x", MEMORY, _one(last.memory_ratio(op), n), _one(last.memory_ratio(base), n),
            f"the same for {base.replace('_', ' ')}", rows=last.rows, size_bytes=last.data_bytes,
            extra={"need_bytes": {p.rows: p.need_bytes[op] for p in points},
                   "peak_bytes": {p.rows: p.peak_bytes[op] for p in points}}))
    return out


def bench_scaling(ctx: Context) -> tuple[list[Figure], list[ScalingPoint]]:
    points = measure(ctx)
    return figures(points), points
