"""What a monitoring dashboard shows, read from the store in one go (no gradio here).

:func:`read_dashboard` never fails on a store that is empty or half-built: whatever is missing
(no feature group, no daily data, no model, no predictions) is ``None`` or empty, and
``missing`` says which pipeline to run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlsys.errors import NotFoundError
from mlsys.serving import ModelInfo, best_model, model_info
from mlsys.systems.base import REFERENCE_TIME

if TYPE_CHECKING:
    from mlsys.monitoring.drift import DriftReport
    from mlsys.pipelines.evaluation import ServedEvaluation
    from mlsys.store.api import FeatureGroup, FeatureStore, Project
    from mlsys.systems.base import System
    from mlsys.validation.types import ValidationReport


@dataclass(frozen=True)
class LatestItem:
    """The newest predicted item: its stored features, prediction and (maybe) true label."""

    event_time: pd.Timestamp
    prediction: str
    label: str | None  # None until the true label is known
    model_version: int | None
    row: pd.Series  # the item's features as stored in the feature group

    @property
    def correct(self) -> bool | None:
        return None if self.label is None else self.prediction == self.label


@dataclass(frozen=True)
class DashboardData:
    """Everything one dashboard refresh shows, for one system."""

    system: System
    real_rows: int = 0
    daily_rows: int = 0
    history: pd.DataFrame = field(default_factory=pd.DataFrame)  # newest first, with `correct`
    latest: LatestItem | None = None
    model: ModelInfo | None = None
    validation: ValidationReport | None = None
    reference: pd.DataFrame | None = None  # the real rows' features (drift reference)
    current: pd.DataFrame | None = None  # the daily rows' features (drift current)
    drift: DriftReport | None = None
    missing: tuple[str, ...] = ()  # one hint per missing piece: what to run
    evaluation: ServedEvaluation | None = None  # the predictions scored, unseen rows apart

    @property
    def has_group(self) -> bool:
        return self.real_rows + self.daily_rows > 0

    @property
    def accuracy(self) -> float | None:
        """Share of correct predictions among the labelled rows the model never trained on."""
        return None if self.evaluation is None else self.evaluation.accuracy_unseen

    @property
    def unseen_history(self) -> pd.DataFrame:
        """The predictions of rows that were not in the predicting model's training data."""
        from mlsys.pipelines.evaluation import unseen_rows

        return unseen_rows(self.history)


def _group(fs: FeatureStore, name: str, version: int) -> FeatureGroup | None:
    try:
        return fs.get_feature_group(name, version)
    except NotFoundError:
        return None


def _read(fg: FeatureGroup | None) -> pd.DataFrame:
    if fg is None or not fg.features:
        return pd.DataFrame()
    return fg.read()


def _best_model(project: Project, system: System) -> ModelInfo | None:
    """The model the apps serve (the best by the serving metric), without loading it."""
    try:
        best = best_model(project, system)
    except NotFoundError:
        return None
    return None if best is None else model_info(best)


def _latest(system: System, history: pd.DataFrame, rows: pd.DataFrame) -> LatestItem | None:
    """The newest prediction with its stored features, found by primary key and event time."""
    if history.empty or rows.empty:
        return None
    newest = history.iloc[0]
    keys = [*system.primary_key, system.event_time]
    key = newest[keys].to_frame().T.astype(rows[keys].dtypes.to_dict())
    match = rows.merge(key, on=keys)
    if match.empty:
        return None
    label = newest["label"]
    version = newest.get("model_version")
    return LatestItem(
        event_time=pd.Timestamp(newest[system.event_time]),
        prediction=str(newest["prediction"]),
        label=None if pd.isna(label) else str(label),
        model_version=None if version is None or pd.isna(version) else int(version),
        row=match.iloc[0],
    )


def _foreign(name: str, version: int, rows: pd.DataFrame, needed: list[str]) -> str | None:
    """Why a group under one of the system's names cannot be this system's (columns it lacks),
    e.g. a group that course code made in the same store; ``None`` when it fits."""
    absent = [c for c in needed if c not in rows.columns]
    if not absent:
        return None
    return (f"feature group `{name}` v{version} was not written by mlsys (it lacks column(s) "
            f"{', '.join(absent)}), so it is not shown: keep mlsys's systems in their own store "
            "(another MLSYS_HOME) or give that group another name or version")


def read_dashboard(project: Project, system: System) -> DashboardData:
    """Read the feature group, the predictions, the best model, the latest validation report,
    and compute the drift of the daily rows against the real ones."""
    from mlsys.monitoring import feature_drift, with_correct
    from mlsys.pipelines.common import PREDICTIONS_VERSION
    from mlsys.pipelines.evaluation import evaluate_stored

    fs = project.get_feature_store()
    fg = _group(fs, system.feature_group, system.version)
    rows = _read(fg)
    missing: list[str] = []
    if rows.empty:
        missing.append(f"no `{system.feature_group}` data: run `mlsys backfill {system.name}`")
        return DashboardData(system, model=_best_model(project, system), missing=tuple(missing))
    own = [*system.primary_key, system.event_time, *system.features, system.label]
    foreign = _foreign(system.feature_group, system.version, rows, own)
    if foreign is not None:
        return DashboardData(system, model=_best_model(project, system), missing=(foreign,))
    times = pd.to_datetime(rows[system.event_time], utc=True)
    is_real = (times <= pd.Timestamp(REFERENCE_TIME)).to_numpy()
    reference = rows.loc[is_real, list(system.numeric_features)].reset_index(drop=True)
    current = rows.loc[~is_real, list(system.numeric_features)].reset_index(drop=True)
    if current.empty:
        missing.append(f"no daily data yet: run `mlsys daily {system.name} --catch-up`")
    drift = (feature_drift(reference, current, list(system.numeric_features))
             if not current.empty and not reference.empty else None)

    model = _best_model(project, system)
    if model is None:
        missing.append(f"no model registered: run `mlsys train {system.name}`")

    predictions = _read(_group(fs, system.predictions_group, PREDICTIONS_VERSION))
    evaluation = None
    foreign = None if predictions.empty else _foreign(
        system.predictions_group, PREDICTIONS_VERSION, predictions,
        [*system.primary_key, system.event_time, "prediction", "label"])
    if predictions.empty or foreign is not None:
        history = pd.DataFrame()
        missing.append(foreign or f"no predictions yet: run `mlsys infer {system.name}`")
    else:
        history = with_correct(predictions, event_time=system.event_time)
        history = history.sort_values(system.event_time, ascending=False, kind="stable")
        history = history.reset_index(drop=True)
        evaluation = evaluate_stored(project, system, history)

    validation = fg.get_latest_validation_report() if fg is not None else None
    return DashboardData(
        system=system, real_rows=int(is_real.sum()), daily_rows=int((~is_real).sum()),
        history=history, latest=_latest(system, history, rows), model=model,
        validation=validation, reference=reference, current=current, drift=drift,
        missing=tuple(missing), evaluation=evaluation,
    )


def describe_validation(report: ValidationReport | None) -> str:
    """The latest validation report of the group in a few Markdown lines."""
    if report is None:
        return "No validation report stored yet (the group has no expectation suite attached)."
    stats = report.statistics
    verdict = "**passed**" if report.success else "**failed**"
    when = pd.Timestamp(report.validation_time).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"{verdict}: suite `{report.suite_name}`, "
        f"{int(stats['successful_expectations'])} of {int(stats['evaluated_expectations'])} "
        f"expectations met on {report.row_count} rows ({report.ingestion_result}, {when}).",
    ]
    if not report.success:
        lines.append(f"Failures: {report.describe_failures()}")
    return "\n\n".join(lines)


def describe_model(model: ModelInfo | None, system: System) -> str:
    """The model in service and its held-out metrics beside the majority baseline, in Markdown."""
    from mlsys.quality import describe_quality

    if model is None:
        return f"No `{system.model_name}` registered yet: run `mlsys train {system.name}`."
    figures = describe_quality(model.metrics)
    td = ("" if model.training_dataset_version is None
          else f", trained on training dataset v{model.training_dataset_version}")
    return (f"**{model.name} v{model.version}** (the best by held-out macro F1{td})"
            f"{': ' + figures if figures else ''}.\n\n{model.description}")


def history_table(data: DashboardData, n: int = 10) -> pd.DataFrame:
    """The ``n`` newest predictions as display strings (a single-column key is shown too)."""
    system = data.system
    key = list(system.primary_key) if len(system.primary_key) == 1 else []
    columns = [*key, system.event_time, "prediction", "label", "correct", "seen",
               "model_version"]
    if data.history.empty:
        return pd.DataFrame(columns=columns)
    recent = data.history.head(n)
    out = pd.DataFrame({c: recent[c] for c in key})
    out[system.event_time] = pd.to_datetime(recent[system.event_time]).dt.strftime("%Y-%m-%d")
    out["prediction"] = recent["prediction"].astype(str)
    out["label"] = [_text(v) for v in recent["label"]]
    out["correct"] = [_mark(v) for v in recent["correct"]]
    # "seen": the row was in the predicting model's training data (not counted as unseen)
    out["seen"] = [_mark(v) for v in recent["in_training_data"]]
    out["model_version"] = [_text(v) for v in recent["model_version"]]
    return out.reset_index(drop=True)


def drift_table(data: DashboardData) -> pd.DataFrame:
    """Per feature: drift status, PSI, KS p-value, and the means of real vs daily data."""
    columns = ["feature", "status", "psi", "ks_pvalue", "real_mean", "daily_mean", "n_daily"]
    if data.drift is None:
        return pd.DataFrame(columns=columns)
    f = data.drift.frame
    return pd.DataFrame({
        "feature": f["feature"], "status": f["status"], "psi": f["psi"].round(3),
        "ks_pvalue": f["ks_pvalue"].round(4), "real_mean": f["reference_mean"].round(4),
        "daily_mean": f["current_mean"].round(4), "n_daily": f["n_current"],
    })


def _text(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else str(value)


def _mark(value: Any) -> str:
    if value is None or pd.isna(value):
        return "—"
    return "yes" if bool(value) else "no"
