"""Batch inference: predict the daily rows not yet predicted and draw the monitoring images."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from mlsys.pipelines.common import (
    IMAGES_DIR,
    anti_join,
    existing_feature_group,
    predictions_group,
    read_or_empty,
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
    """What was predicted, by which model version, and the images written."""

    system: str
    model_version: int
    predicted: int
    total_predictions: int
    accuracy: float | None
    images: tuple[str, ...]


def predict_new(project: Project, system: System) -> tuple[pd.DataFrame, int]:
    """Predictions for the daily rows (event time after the real data) not yet predicted.

    The true label is joined back by primary key and event time, never by row order.
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
    out["predicted_at"] = datetime.now(UTC)
    return out, model.version


def _upload(datasets: DatasetApi, path: Path) -> str:
    return datasets.upload(str(path), IMAGES_DIR, overwrite=True)


def infer(project: Project, system: System) -> InferResult:
    """Predict, store the predictions, and upload the monitoring images."""
    import pandas as pd

    from mlsys import monitoring as plots

    fs = project.get_feature_store()
    new, version = predict_new(project, system)
    pg = predictions_group(fs, system)
    if not new.empty:
        pg.insert(new)
    history = read_or_empty(pg)
    images: list[str] = []
    if history.empty:
        return InferResult(system.name, version, 0, 0, None, ())
    history = plots.with_correct(history, event_time=system.event_time)
    history = history.sort_values(system.event_time, ascending=False).reset_index(drop=True)
    datasets = project.get_dataset_api()
    with tempfile.TemporaryDirectory(prefix="mlsys-infer-") as tmp:
        d = Path(tmp)
        cm = plots.confusion_matrix_png(
            plots.confusion_matrix_frame(history, classes=list(system.classes)),
            d / f"{system.name}_confusion_matrix.png",
            f"{system.name}: all predictions so far (n={len(history)})")
        images.append(_upload(datasets, cm))
        table = plots.history_table_png(
            history, d / f"{system.name}_recent_history.png", n=HISTORY_ROWS,
            title=f"{system.name}: recent predictions", event_time=system.event_time,
            columns=[system.event_time, "prediction", "label", "correct", "model_version"])
        images.append(_upload(datasets, table))
        if system.draw_item is not None:
            latest = history.iloc[0]
            row = _feature_row(project, system, latest)
            actual = None if pd.isna(latest["label"]) else str(latest["label"])
            pic = system.draw_item(row, str(latest["prediction"]), actual,
                                   d / f"{system.name}_latest.png")
            images.append(_upload(datasets, Path(pic)))
    labelled = history["correct"].dropna()
    accuracy = float(labelled.astype(bool).mean()) if len(labelled) else None
    return InferResult(system.name, version, len(new), len(history), accuracy, tuple(images))


def _feature_row(project: Project, system: System, latest: pd.Series) -> pd.Series:
    """The stored features of the newest predicted item, found by key."""
    fg = existing_feature_group(project, system)
    keys = [*system.primary_key, system.event_time]
    rows = fg.read()
    key = latest[keys].to_frame().T.astype(rows[keys].dtypes.to_dict())
    return rows.merge(key, on=keys).iloc[0]
