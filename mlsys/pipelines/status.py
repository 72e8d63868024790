"""What a store holds, per system: groups, the served model vs its baseline, predictions, drift.

:func:`store_status` reads what the dashboards read (:func:`mlsys.apps.dashboard_data.
read_dashboard`, no gradio) so ``mlsys status`` and the dashboards can never show different
figures; :func:`status_table` renders it for a terminal and ``StoreStatus.as_dict`` for scripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from rich.table import Table

    from mlsys.pipelines.evaluation import ServedEvaluation
    from mlsys.quality import MetricVsBaseline
    from mlsys.store.api import FeatureGroup, Project


@dataclass(frozen=True)
class GroupStatus:
    """One feature group: rows, the newest event day, and its latest validation verdict."""

    name: str
    version: int
    rows: int
    last_event_day: str | None  # YYYY-MM-DD of the newest event time, None when empty
    last_validation: str  # "passed", "failed", or "no suite" / "not validated yet"


@dataclass(frozen=True)
class SystemStatus:
    """One reference system as the store holds it."""

    system: str
    groups: tuple[GroupStatus, ...]
    model: str | None  # "wine_model v3", None when none is registered
    metrics: tuple[MetricVsBaseline, ...]  # held-out, macro F1 first, beside the baseline
    evaluation: ServedEvaluation | None  # the stored predictions scored, unseen rows apart
    drift: str  # "none", "drifted: a, b", or why it is not known

    def as_dict(self) -> dict[str, Any]:
        return {
            "system": self.system, "groups": [g.__dict__ for g in self.groups],
            "model": self.model, "held_out": [m.as_dict() for m in self.metrics],
            "predictions": None if self.evaluation is None else self.evaluation.as_dict(),
            "drift": self.drift,
        }


@dataclass(frozen=True)
class StoreStatus:
    """Every system of the store, and the groups no system owns."""

    project: str
    backend: str
    systems: tuple[SystemStatus, ...]
    other_groups: tuple[GroupStatus, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"project": self.project, "backend": self.backend,
                "systems": [s.as_dict() for s in self.systems],
                "other_groups": [g.__dict__ for g in self.other_groups]}


def _group_status(fg: FeatureGroup, rows: pd.DataFrame | None = None) -> GroupStatus:
    if rows is None:
        rows = fg.read() if fg.features else pd.DataFrame()
    last = None
    if not rows.empty and fg.event_time:
        newest = pd.to_datetime(rows[fg.event_time], utc=True).max()
        last = None if pd.isna(newest) else f"{newest:%Y-%m-%d}"
    if fg.get_expectation_suite() is None:
        verdict = "no suite"
    else:
        report = fg.get_latest_validation_report()
        verdict = ("not validated yet" if report is None
                   else "passed" if report.success else "failed")
    return GroupStatus(fg.name, int(fg.version), len(rows), last, verdict)


def _drift(data: Any) -> str:
    report = data.drift
    if report is None:
        return "not measured (no daily rows yet)" if data.has_group else "no data"
    if report.drifted:
        return "drifted: " + ", ".join(report.drifted)
    if len(report.insufficient) == len(report.frame):
        return "too few daily rows to tell"
    return "none"


def store_status(project: Project) -> StoreStatus:
    """Each known system's groups, served model, predictions and drift, plus other groups."""
    from mlsys.apps.dashboard_data import read_dashboard
    from mlsys.pipelines.common import PREDICTIONS_VERSION
    from mlsys.quality import versus_baseline
    from mlsys.systems import SYSTEMS, get_system

    fs = project.get_feature_store()
    groups = {(fg.name, int(fg.version)): fg for fg in fs.get_feature_groups()}
    systems = []
    owned: set[tuple[str, int]] = set()
    for name in SYSTEMS:
        system = get_system(name)
        mine = [(system.feature_group, system.version),
                (system.predictions_group, PREDICTIONS_VERSION)]
        present = [groups[k] for k in mine if k in groups]
        owned.update(mine)
        data = read_dashboard(project, system)
        model = data.model
        systems.append(SystemStatus(
            system=name, groups=tuple(_group_status(fg) for fg in present),
            model=None if model is None else f"{model.name} v{model.version}",
            metrics=() if model is None else tuple(versus_baseline(model.metrics)),
            evaluation=data.evaluation, drift=_drift(data)))
    others = tuple(_group_status(fg) for key, fg in sorted(groups.items()) if key not in owned)
    return StoreStatus(project.name, project.backend, tuple(systems), others)


def status_table(status: StoreStatus) -> Table:
    """The status as a rich table: one block of rows per system."""
    from rich.table import Table

    table = Table(title=f"project {status.project} ({status.backend})", show_lines=True)
    for column in ("system", "feature groups (rows, last event day, last validation)",
                   "served model: held-out vs majority baseline",
                   "predictions (unseen = rows the model never trained on)", "drift"):
        table.add_column(column, overflow="fold")
    for s in status.systems:
        groups = "\n".join(f"{g.name} v{g.version}: {g.rows} rows, last {g.last_event_day or '—'}"
                           f", {g.last_validation}" for g in s.groups) or "none"
        model = (s.model + "\n" + "\n".join(m.text() for m in s.metrics)
                 if s.model else "none registered")
        table.add_row(s.system, groups, model, _predictions(s.evaluation), s.drift)
    for g in status.other_groups:
        table.add_row("(other)", f"{g.name} v{g.version}: {g.rows} rows, last "
                      f"{g.last_event_day or '—'}, {g.last_validation}", "", "", "")
    return table


def _predictions(e: ServedEvaluation | None) -> str:
    if e is None or e.predictions == 0:
        return "none"
    lines = [f"{e.predictions} stored, {e.unseen} unseen"]
    if e.accuracy_unseen is None:
        lines.append("no labelled unseen rows yet")
    else:
        base = ("" if e.baseline_accuracy_unseen is None
                else f" (baseline {e.baseline_accuracy_unseen:.3f})")
        lines.append(f"unseen accuracy {e.accuracy_unseen:.3f}{base}")
        if e.macro_f1_unseen is not None:
            base = ("" if e.baseline_macro_f1_unseen is None
                    else f" (baseline {e.baseline_macro_f1_unseen:.3f})")
            lines.append(f"unseen macro F1 {e.macro_f1_unseen:.3f}{base}")
    if e.accuracy_all is not None and e.unseen < e.predictions:
        lines.append(f"all rows incl. training rows: accuracy {e.accuracy_all:.3f}")
    return "\n".join(lines)
