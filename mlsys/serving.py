"""Loading the best registered model of a system, verified, once per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsys.errors import PipelineError

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.store.api import Project
    from mlsys.systems.base import System

BEST_METRIC = "macro_f1"
MODEL_FILE = "model.pkl"


@dataclass(frozen=True)
class LoadedModel:
    """A ready estimator with the registry facts the apps and monitoring show."""

    name: str
    version: int
    metrics: dict[str, float]
    description: str
    estimator: Any

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.estimator.classes_]

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Class probabilities, one column per class in the estimator's order."""
        import pandas as pd

        return pd.DataFrame(self.estimator.predict_proba(frame), columns=self.classes,
                            index=frame.index)


def load_best_model(project: Project, system: System) -> LoadedModel:
    """Download (sha256-verified) and unpickle the best version of the system's model.

    Only artefacts whose hashes match the registry are unpickled, because a pickle runs code.
    """
    import joblib

    mr = project.get_model_registry()
    best = mr.get_best_model(system.model_name, BEST_METRIC, "max")
    if best is None or best.version is None:
        raise PipelineError(f"no model {system.model_name!r} is registered yet; run "
                            f"`mlsys train {system.name}` first")
    path = Path(best.download())
    estimator = joblib.load(path / MODEL_FILE)
    return LoadedModel(system.model_name, best.version, dict(best.training_metrics),
                       best.description or "", estimator)


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
