"""Timing, statistics, goals and figures: what every benchmark measures with and reports as."""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

GoalKind = Literal["ratio_max", "value_max", "over_baseline_max"]
Statistic = Literal["median", "p99"]

# Units whose figure is a rate: the value is ``rows / time``, so a bigger value is better.
RATE_UNITS = {"rows/s"}
# "x": a dimensionless ratio; "MB": a memory figure, whose Stats hold bytes
_SCALE = {"s": 1.0, "ms": 1e3, "µs": 1e6, "x": 1.0, "MB": 1e-6}


class BenchmarkError(RuntimeError):
    """A benchmark could not run, or its mlsys and baseline results disagree."""


@dataclass(frozen=True)
class Goal:
    """What a figure should reach: ``ratio <= threshold``, ``value <= threshold`` (in the
    figure's unit) or ``mlsys - baseline <= threshold`` seconds."""

    text: str
    kind: GoalKind
    threshold: float


@dataclass(frozen=True)
class Stats:
    """Summary of repeated timings, in seconds."""

    n: int
    median: float
    p99: float
    min: float
    max: float
    mean: float

    @classmethod
    def of(cls, samples: list[float]) -> Stats:
        if not samples:
            raise BenchmarkError("no samples were measured")
        return cls(len(samples), statistics.median(samples), percentile(samples, 99),
                   min(samples), max(samples), statistics.fmean(samples))

    def get(self, statistic: Statistic) -> float:
        return self.median if statistic == "median" else self.p99


def percentile(samples: list[float], q: float) -> float:
    """The ``q``-th percentile with linear interpolation (numpy's default method)."""
    xs = sorted(samples)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass(frozen=True)
class Figure:
    """One row of the benchmark table: mlsys against its baseline, measured in the same run.

    Timings are kept in seconds; ``value`` converts to ``unit``. ``ratio`` is always a cost
    ratio, mlsys / baseline, on the goal's statistic (for ``rows/s`` figures that is the
    baseline's throughput over mlsys's), so above 1 means mlsys is slower.
    """

    name: str
    path: str
    unit: str
    goal: Goal
    mlsys: Stats
    baseline: Stats | None
    baseline_name: str
    statistic: Statistic = "median"
    rows: int | None = None
    size_bytes: int | None = None
    reference: str = ""  # peers' figures quoted by the issue, for context
    extra: dict[str, Any] = field(default_factory=dict)

    def value(self, stats: Stats | None, statistic: Statistic | None = None) -> float | None:
        """A statistic of ``stats`` in this figure's unit."""
        if stats is None:
            return None
        seconds = stats.get(statistic or self.statistic)
        if self.unit in RATE_UNITS:
            if not self.rows:
                raise BenchmarkError(f"{self.name}: a rate needs a row count")
            return self.rows / seconds if seconds > 0 else math.inf
        return seconds * _SCALE[self.unit]

    @property
    def ratio(self) -> float | None:
        if self.baseline is None:
            return None
        base = self.baseline.get(self.statistic)
        return self.mlsys.get(self.statistic) / base if base > 0 else math.inf

    @property
    def goal_met(self) -> bool:
        g = self.goal
        if g.kind == "ratio_max":
            return self.ratio is not None and self.ratio <= g.threshold
        if g.kind == "value_max":
            v = self.value(self.mlsys)
            return v is not None and v <= g.threshold
        if self.baseline is None:
            return False
        return self.mlsys.get(self.statistic) - self.baseline.get(self.statistic) <= g.threshold

    def to_json(self) -> dict[str, Any]:
        """The figure as plain JSON data (the ``figures`` entries of latest.json)."""
        latency = self.statistic == "p99" or self.unit in ("ms", "µs")
        return {
            "name": self.name,
            "path": self.path,
            "unit": self.unit,
            "statistic": self.statistic,
            "mlsys": self.value(self.mlsys),
            "baseline": self.value(self.baseline),
            "baseline_name": self.baseline_name,
            "ratio": self.ratio,
            "goal": asdict(self.goal),
            "goal_met": self.goal_met,
            "repetitions": self.mlsys.n,
            "median": self.value(self.mlsys, "median"),
            "p99": self.value(self.mlsys, "p99") if latency else None,
            "baseline_median": self.value(self.baseline, "median"),
            "baseline_p99": self.value(self.baseline, "p99") if latency else None,
            # the raw statistics: seconds, except for unit "x" where they are the ratios
            "raw": {"mlsys": asdict(self.mlsys),
                    "baseline": asdict(self.baseline) if self.baseline else None},
            "rows": self.rows,
            "size_bytes": self.size_bytes,
            "reference": self.reference,
            "extra": self.extra,
        }


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Case:
    """One side of a comparison: ``run(prepare(i))`` is timed, ``prepare(i)`` is not."""

    run: Callable[[Any], object]
    prepare: Callable[[int], Any] | None = None
    cleanup: Callable[[Any], object] | None = None


def time_once(case: Case, i: int) -> float:
    arg = case.prepare(i) if case.prepare is not None else None
    # Collect the previous run's garbage now, so it is not charged to this run; the collector
    # stays on while timing, as it is when users run the code.
    gc.collect()
    t0 = time.perf_counter()
    case.run(arg)
    elapsed = time.perf_counter() - t0
    if case.cleanup is not None:
        case.cleanup(arg)
    return elapsed


def profile_case(case: Case, out: Path) -> None:
    """One untimed run of ``case`` under pyinstrument, written to ``out`` as text."""
    from pyinstrument import Profiler

    arg = case.prepare(-1) if case.prepare is not None else None
    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        case.run(arg)
    finally:
        profiler.stop()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")
    if case.cleanup is not None:
        case.cleanup(arg)


@overload
def compare(mlsys: Case, baseline: Case, repeat: int, warmup: int = 0) -> tuple[Stats, Stats]: ...


@overload
def compare(mlsys: Case, baseline: None, repeat: int, warmup: int = 0) -> tuple[Stats, None]: ...


def compare(mlsys: Case, baseline: Case | None, repeat: int,
            warmup: int = 0) -> tuple[Stats, Stats | None]:
    """Time both sides ``repeat`` times, interleaved (A B A B ...) so that drifting machine load
    hits both alike; ``warmup`` untimed rounds first."""
    a: list[float] = []
    b: list[float] = []
    for i in range(-warmup, repeat):
        for case, out in ((mlsys, a), (baseline, b)):
            if case is None:
                continue
            t = time_once(case, i)
            if i >= 0:
                out.append(t)
    return Stats.of(a), (Stats.of(b) if baseline is not None else None)


def latencies(call: Callable[[Any], object], args: list[Any], warmup: int = 20) -> list[float]:
    """Per-call wall times (seconds) of ``call(arg)`` for each arg, after ``warmup`` calls."""
    for arg in args[:warmup]:
        call(arg)
    out = []
    clock = time.perf_counter_ns
    gc.collect()
    for arg in args:
        t0 = clock()
        call(arg)
        out.append((clock() - t0) / 1e9)
    return out


def interleaved_latencies(first: Callable[[Any], object], second: Callable[[Any], object],
                          args: list[Any], warmup: int = 20) -> tuple[list[float], list[float]]:
    """Latencies of two calls on the same args, alternating call by call."""
    for arg in args[:warmup]:
        first(arg)
        second(arg)
    a: list[float] = []
    b: list[float] = []
    clock = time.perf_counter_ns
    gc.collect()
    for arg in args:
        for fn, out in ((first, a), (second, b)):
            t0 = clock()
            fn(arg)
            out.append((clock() - t0) / 1e9)
    return a, b
