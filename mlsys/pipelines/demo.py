"""The whole system in one call: backfill, catch-up, training, inference and reports."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsys.errors import ConfigurationError

if TYPE_CHECKING:
    from mlsys.store.api import Project

CATALOG_FILE = "catalog.sqlite"


@dataclass(frozen=True)
class DemoResult:
    """One line per step, and where the reports are."""

    steps: tuple[str, ...]
    report_dir: Path


def wipe_project(project_dir: Path) -> None:
    """Delete a local project directory, but only one that holds an mlsys catalog."""
    if not project_dir.exists():
        return
    if not (project_dir / CATALOG_FILE).exists():
        raise ConfigurationError(
            f"{project_dir} is not an mlsys store (no {CATALOG_FILE}); refusing to delete it. "
            "Point MLSYS_HOME at an empty or mlsys directory")
    shutil.rmtree(project_dir)


def run_demo(project: Project, days: int = 30, systems: Sequence[str] = ("iris", "wine"),
             report_dir: Path | None = None, end: date | None = None,
             progress: Callable[[str], Any] | None = None) -> DemoResult:
    """Backfill, ``days`` days of daily data up to ``end`` (default today), train, infer, then
    the wine EDA and the data-quality report."""
    from mlsys.pipelines.backfill import backfill
    from mlsys.pipelines.daily import daily, today
    from mlsys.pipelines.infer import infer
    from mlsys.pipelines.train import train
    from mlsys.pipelines.validate import validate_all
    from mlsys.systems import get_system

    say = progress or (lambda _msg: None)
    end = end or today()
    steps: list[str] = []
    out = report_dir or Path("reports")
    for name in systems:
        system = get_system(name)
        b = backfill(project, system)
        steps.append(f"{name}: backfill {b.rows_inserted} new of {b.rows_loaded} real rows")
        say(steps[-1])
        d = daily(project, system, day=end, since=end - timedelta(days=days - 1))
        steps.append(f"{name}: daily {len(d.added)} new day(s) of {len(d.days)}")
        say(steps[-1])
        t = train(project, system)
        best = t.best
        steps.append(f"{name}: trained {len(t.models)} model(s); best v{best.version} "
                     f"({best.kind}) macro_f1={best.metrics.get('macro_f1', float('nan')):.3f}")
        say(steps[-1])
        i = infer(project, system)
        acc = "n/a" if i.accuracy is None else f"{i.accuracy:.2f}"
        steps.append(f"{name}: inferred {i.predicted} new; {i.total_predictions} in history, "
                     f"accuracy {acc}")
        say(steps[-1])
    if "wine" in systems:
        from mlsys.systems.wine_eda import write_eda_report

        eda = write_eda_report(out / "wine_eda")
        steps.append(f"wine: EDA report {eda}")
        say(steps[-1])
    q = validate_all(project, out / "quality")
    verdict = "all suites and schemas pass" if q.success else "FAILURES, see the report"
    steps.append(f"data-quality report {q.index} ({verdict})")
    say(steps[-1])
    return DemoResult(tuple(steps), out)
