"""Loading the best registered model of a system, verified, once per process."""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsys.errors import PipelineError
from mlsys.systems.base import BEST_METRIC, MODEL_FILE

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.store.api import Model, Project
    from mlsys.systems.base import System

__all__ = ["BEST_METRIC", "MODEL_FILE", "LoadedModel", "ModelCache", "ModelInfo", "best_model",
           "load_best_model", "model_info", "scores_description"]


@dataclass(frozen=True)
class ModelInfo:
    """A registered model version as the apps show it: its registry facts, no estimator."""

    name: str
    version: int
    metrics: dict[str, float]
    description: str
    # the recorded training dataset it learnt from (None: not recorded), so monitoring can tell
    # the rows it saw from the ones it did not
    training_dataset_version: int | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class LoadedModel(ModelInfo):
    """A ready estimator with the registry facts the apps and monitoring show."""

    estimator: Any

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.estimator.classes_]

    @property
    def scores_are(self) -> str:
        """What the numbers of ``predict_proba`` are, in the words the apps show beside them."""
        return scores_description(self.estimator)

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Class probabilities, one column per class in the estimator's order."""
        import pandas as pd

        return pd.DataFrame(self.estimator.predict_proba(frame), columns=self.classes,
                            index=frame.index)


def scores_description(estimator: Any) -> str:
    """What ``estimator.predict_proba`` returns, named honestly (none of the reference models
    is calibrated: a class-balanced vote is not the chance that the class is right)."""
    from sklearn.neighbors import KNeighborsClassifier

    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    if isinstance(final, KNeighborsClassifier):
        k = final.n_neighbors
        weighted = "distance-weighted " if final.weights == "distance" else ""
        balance = float(getattr(final, "balance", 0.0))
        vote = (f"{weighted}vote share of the {k} nearest training rows" if balance == 0 else
                f"{weighted}vote share of the {k} nearest training rows, re-weighted towards "
                f"rare classes (balance {balance:g})")
        return f"{vote}; not calibrated probabilities"
    return (f"{type(final).__name__} class scores (predict_proba); not calibrated "
            "probabilities")


def load_best_model(project: Project, system: System) -> LoadedModel:
    """Download (sha256-verified) and unpickle the best version of the system's model.

    Only artefacts whose hashes match the registry are unpickled, because a pickle runs code.
    """
    import joblib

    best = best_model(project, system)
    if best is None:
        raise PipelineError(f"no model {system.model_name!r} is registered yet; run "
                            f"`mlsys train {system.name}` first")
    info = model_info(best)
    # the verified copy is only needed until it is unpickled: a folder that goes away with it,
    # not one left in the temporary folder by every load
    with tempfile.TemporaryDirectory(prefix=f"mlsys-load-{info.name}-") as tmp:
        estimator = joblib.load(Path(best.download(tmp)) / MODEL_FILE)
    return LoadedModel(info.name, info.version, info.metrics, info.description, estimator,
                       training_dataset_version=info.training_dataset_version)


def best_model(project: Project, system: System) -> Model | None:
    """The registered version of the system's model with the best ``system.best_metric``
    (higher is better), or None."""
    best = project.get_model_registry().get_best_model(system.model_name, system.best_metric,
                                                       "max")
    return None if best is None or best.version is None else best


def model_info(model: Model) -> ModelInfo:
    """What the registry says of ``model`` (a saved version), without loading it."""
    assert model.version is not None  # saved versions have one
    return ModelInfo(model.name, model.version, dict(model.training_metrics),
                     model.description or "",
                     training_dataset_version=model.training_dataset_version)


class ModelCache:
    """One loaded model per system for the life of a process (apps load once, not per request).

    ``refresh()`` drops it, e.g. after a new model is trained.
    """

    def __init__(self, project: Project, system: System) -> None:
        self._project = project
        self._system = system
        self._model: LoadedModel | None = None
        self._lock = threading.Lock()

    def get(self) -> LoadedModel:
        with self._lock:
            if self._model is None:
                self._model = load_best_model(self._project, self._system)
            return self._model

    def refresh(self) -> None:
        with self._lock:
            self._model = None
