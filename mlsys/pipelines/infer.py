"""Batch inference: predict the daily rows not yet predicted and draw the monitoring images."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from mlsys.errors import PipelineError
from mlsys.pipelines.common import (
    IMAGES_DIR,
    anti_join,
    existing_feature_group,
    predictions_group,
    read_or_empty,
)
from mlsys.pipelines.evaluation import (
    SEEN_COLUMN,
    TD_COLUMN,
    ServedEvaluation,
    TrainingMembership,
    evaluate_predictions,
    membership_reader,
    unseen_rows,
)
from mlsys.pipelines.train import VIEW_VERSION
from mlsys.serving import load_best_model
from mlsys.systems.base import REFERENCE_TIME

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.store.api import DatasetApi, Project
    from mlsys.systems.base import System

HISTORY_ROWS = 10


@dataclass(frozen=True)
class InferResult:
    """What was predicted, by which model version, the monitoring figures, the images written.

    ``accuracy`` is on the labelled predictions whose row the predicting model never trained
    on (``evaluation`` has the counts, the baseline and the all-rows figure); both are None
    when ``infer`` was asked not to ``monitor``.
    """

    system: str
    model_version: int
    predicted: int
    total_predictions: int
    accuracy: float | None
    images: tuple[str, ...]
    evaluation: ServedEvaluation | None = None
    new_unseen: int = 0  # of ``predicted``, rows the model had not trained on


def predict_new(project: Project, system: System,
                membership: Callable[[int], TrainingMembership] | None = None,
                ) -> tuple[pd.DataFrame, int]:
    """Predictions for the daily rows (event time after the real data) not yet predicted.

    The true label is joined back by primary key and event time, never by row order. Each row
    records the model's training-dataset version and whether it was in that training split.
    """
    import pandas as pd

    fs = project.get_feature_store()
    fg = existing_feature_group(project, system)
    fv = fs.get_feature_view(system.view_name, VIEW_VERSION)
    keys = [*system.primary_key, system.event_time]
    start = REFERENCE_TIME + timedelta(seconds=1)
    batch = fv.get_batch_data(start_time=start, primary_key=True, event_time=True)
    done = read_or_empty(predictions_group(fs, system))
    todo = anti_join(batch, done, keys)
    model = load_best_model(project, system)
    if todo.empty:
        return pd.DataFrame(), model.version
    predicted = model.estimator.predict(todo[list(system.features)])
    out = todo[keys].copy()
    out["prediction"] = pd.Series(predicted, index=todo.index).astype(str)
    labels = fg.select([system.label]).read()[[*keys, system.label]]
    out = out.merge(labels.rename(columns={system.label: "label"}), on=keys, how="left")
    out["model_version"] = model.version
    if model.training_dataset_version is None:
        raise PipelineError(f"{system.model_name} v{model.version} records no training dataset, "
                            "so its predictions cannot be told from its training rows; retrain "
                            f"it with `mlsys train {system.name}`")
    read = membership or membership_reader(project, system)
    out[TD_COLUMN] = int(model.training_dataset_version)
    out[SEEN_COLUMN] = read(model.training_dataset_version).contains(out).to_numpy()
    out["predicted_at"] = datetime.now(UTC)
    return out, model.version


def _upload(datasets: DatasetApi, path: Path) -> str:
    return datasets.upload(str(path), IMAGES_DIR, overwrite=True)


def infer(project: Project, system: System, monitor: bool = True,
          membership: Callable[[int], TrainingMembership] | None = None) -> InferResult:
    """Predict, store the predictions, then (unless ``monitor`` is False: a catch-up's earlier
    days) score them and upload the monitoring images: the confusion matrix of the unseen rows,
    the recent history with each row's membership, the latest item.

    ``membership`` reads a training dataset's rows (default: a fresh
    :func:`membership_reader`); a caller running many days passes one reader to all of them,
    so each recorded training dataset is read once, not once a day."""
    from mlsys import monitoring as plots

    fs = project.get_feature_store()
    membership = membership or membership_reader(project, system)
    new, version = predict_new(project, system, membership)
    pg = predictions_group(fs, system)
    if not new.empty:
        pg.insert(new)
    history = read_or_empty(pg)
    if history.empty:
        return InferResult(system.name, version, 0, 0, None, ())
    history = plots.with_correct(history, event_time=system.event_time)
    history = history.sort_values(system.event_time, ascending=False).reset_index(drop=True)
    new_unseen = len(unseen_rows(new))
    if not monitor:
        return InferResult(system.name, version, len(new), len(history), None, (),
                           new_unseen=new_unseen)
    evaluation = evaluate_predictions(history, lambda v: membership(v).majority_class)
    drawn = _draw(project, system, history)
    return InferResult(system.name, version, len(new), len(history), evaluation.accuracy_unseen,
                       drawn, evaluation, new_unseen)


def _draw(project: Project, system: System, history: pd.DataFrame) -> tuple[str, ...]:
    """Upload the confusion matrix (unseen rows), the recent history and the latest item."""
    import pandas as pd

    from mlsys import monitoring as plots

    images: list[str] = []
    unseen = unseen_rows(history)
    datasets = project.get_dataset_api()
    with tempfile.TemporaryDirectory(prefix="mlsys-infer-") as tmp:
        d = Path(tmp)
        cm = plots.confusion_matrix_png(
            plots.confusion_matrix_frame(unseen, classes=list(system.classes)),
            d / f"{system.name}_confusion_matrix.png",
            f"{system.name}: predictions of rows the model never saw (n={len(unseen)} of "
            f"{len(history)})")
        images.append(_upload(datasets, cm))
        shown = history.assign(seen=history[SEEN_COLUMN].astype(bool))
        table = plots.history_table_png(
            shown, d / f"{system.name}_recent_history.png", n=HISTORY_ROWS,
            title=f"{system.name}: recent predictions (seen = row was in the training data)",
            event_time=system.event_time,
            columns=[system.event_time, "prediction", "label", "correct", "seen",
                     "model_version"])
        images.append(_upload(datasets, table))
        if system.draw_item is not None:
            latest = history.iloc[0]
            row = _feature_row(project, system, latest)
            actual = None if pd.isna(latest["label"]) else str(latest["label"])
            pic = system.draw_item(row, str(latest["prediction"]), actual,
                                   d / f"{system.name}_latest.png")
            images.append(_upload(datasets, Path(pic)))
    return tuple(images)


def _feature_row(project: Project, system: System, latest: pd.Series) -> pd.Series:
    """The stored features of the newest predicted item, found by key."""
    fg = existing_feature_group(project, system)
    keys = [*system.primary_key, system.event_time]
    rows = fg.read()
    key = latest[keys].to_frame().T.astype(rows[keys].dtypes.to_dict())
    return rows.merge(key, on=keys).iloc[0]
