"""Training pipeline: feature view -> recorded split -> models -> metrics -> model registry."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsys.errors import PipelineError
from mlsys.pipelines.common import IMAGES_DIR, existing_feature_group
from mlsys.systems.base import BEST_METRIC, MODEL_FILE

if TYPE_CHECKING:
    from mlsys.store.api import FeatureView, Model, Project
    from mlsys.systems.base import System
    from mlsys.training import TrainedModel

VIEW_VERSION = 1
TEST_SIZE = 0.2


@dataclass(frozen=True)
class RegisteredModel:
    """One trained model as registered: its registry version and metrics."""

    name: str
    kind: str
    version: int
    metrics: dict[str, float]


@dataclass(frozen=True)
class TrainResult:
    """The training-dataset version used and every model registered from it."""

    system: str
    training_dataset_version: int | None
    train_rows: int
    test_rows: int
    models: tuple[RegisteredModel, ...]
    skipped: str = ""  # why nothing was trained (``if_missing`` and a model exists), else ""
    study: str = ""  # the system's training study (wine: 3 classes vs 7 qualities), if any
    best_metric: str = BEST_METRIC  # the metric that picks the best model (the system's)

    @property
    def best(self) -> RegisteredModel:
        if not self.models:
            raise PipelineError(f"{self.system}: no model was trained ({self.skipped})")
        return max(self.models, key=lambda m: (m.metrics.get(self.best_metric, 0.0), m.version))


def feature_view(project: Project, system: System) -> FeatureView:
    """The system's feature view: model features plus the label, keyed like the group."""
    fs = project.get_feature_store()
    fg = existing_feature_group(project, system)
    query = fg.select([*system.features, system.label])
    return fs.get_or_create_feature_view(
        name=system.view_name, version=VIEW_VERSION, query=query, labels=[system.label],
        description=f"{system.description} (model features and label)",
    )


def _float_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """The registry takes numbers only; drop anything else (e.g. parameter strings)."""
    return {k: float(v) for k, v in metrics.items()
            if isinstance(v, int | float) and not isinstance(v, bool)}


def _save_dir(trained: TrainedModel, workdir: Path, system: System) -> Path:
    import joblib

    from mlsys.monitoring import confusion_matrix_png

    out = workdir / trained.name
    out.mkdir(parents=True)
    joblib.dump(trained.estimator, out / MODEL_FILE)
    confusion_matrix_png(trained.confusion, out / "confusion_matrix.png",
                  f"{system.name} {trained.name}: held-out confusion matrix")
    (out / "metrics.json").write_text(json.dumps(
        {"kind": trained.name, "metrics": trained.metrics, "params": trained.params,
         "classes": list(trained.classes)}, indent=2, default=str))
    return out


def train(project: Project, system: System, seed: int = 42,
          if_missing: bool = False) -> TrainResult:
    """Split the view (stratified, recorded), train the system's models, register each.

    With ``if_missing``, nothing is trained when the registry already holds a version of the
    system's model (``skipped`` says which): a scheduled run can bootstrap an empty store
    without retraining every day.
    """
    from mlsys.quality import describe_quality
    from mlsys.store.api import ModelSchema, Schema

    if if_missing:
        existing = project.get_model_registry().get_models(system.model_name)
        if existing:
            versions = ", ".join(f"v{m.version}" for m in existing)
            return TrainResult(system.name, None, 0, 0, (),
                               skipped=f"{system.model_name} already registered ({versions})")
    fv = feature_view(project, system)
    x_train, x_test, y_train, y_test = fv.train_test_split(
        test_size=TEST_SIZE, seed=seed, stratify=True,
        description=f"{system.name}: stratified {1 - TEST_SIZE:.0%}/{TEST_SIZE:.0%} split",
    )
    if len(x_train) < 10 or y_train[system.label].nunique() < 2:
        raise PipelineError(f"{system.feature_group} has too little data to train on "
                            f"({len(x_train)} rows); run `mlsys backfill {system.name}` first")
    td_version = fv.get_last_accessed_training_dataset()
    x_train, x_test = x_train[list(system.features)], x_test[list(system.features)]
    trained = system.train(x_train, y_train[system.label], x_test, y_test[system.label], seed)

    mr = project.get_model_registry()
    registered = []
    with tempfile.TemporaryDirectory(prefix="mlsys-train-") as tmp:
        for t in trained:
            model: Model = mr.sklearn.create_model(
                name=system.model_name,
                metrics=_float_metrics(t.metrics),
                # the quality beside its baseline first: the registry UI shows the description
                description=f"{system.name} {t.name} — held-out "
                            f"{describe_quality(_float_metrics(t.metrics))}; params {t.params}",
                input_example=x_train.head(1),
                model_schema=ModelSchema(Schema.from_frame(x_train),
                                         Schema.from_frame(y_train[system.label])),
                feature_view=fv, training_dataset_version=td_version,
            )
            model.save(str(_save_dir(t, Path(tmp), system)))
            assert model.version is not None  # set by save()
            registered.append(RegisteredModel(system.model_name, t.name, model.version,
                                              _float_metrics(t.metrics)))
        best = max(zip(trained, registered, strict=True),
                   key=lambda p: (p[1].metrics.get(system.best_metric, 0.0), p[1].version))
        cm = Path(tmp) / best[0].name / "confusion_matrix.png"
        target = Path(tmp) / f"{system.name}_confusion_matrix_training.png"
        cm.replace(target)
        project.get_dataset_api().upload(str(target), IMAGES_DIR, overwrite=True)
    study = system.training_study(seed) if system.training_study is not None else ""
    return TrainResult(system.name, td_version, len(x_train), len(x_test), tuple(registered),
                       study=study, best_metric=system.best_metric)
