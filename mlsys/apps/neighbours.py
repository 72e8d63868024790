"""The real items nearest to an input: the served KNN's own neighbours, or a scaled index.

If the served model is a scikit-learn pipeline ending in a ``KNeighborsClassifier``, its own
scaler and ``kneighbors`` over the training rows it was fitted on are used: those are the very
neighbours that voted. Any other model has no neighbours of its own, so a ``NearestNeighbors``
index over the standardised real data stands in, and the finder says so in ``method``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlsys.systems.base import REFERENCE_TIME

if TYPE_CHECKING:
    from mlsys.serving import LoadedModel
    from mlsys.store.api import Project
    from mlsys.systems.base import System

SHOWN = 5  # neighbours shown in the apps
MODEL_NEIGHBOURS = "model"  # kind: the served KNN's own neighbours
INDEX_NEIGHBOURS = "index"  # kind: a NearestNeighbors index on scaled real data
_ALIGNMENT_CHECKS = 20  # training rows re-found to prove the row order matches the model's


def _noun(system: System) -> str:
    return system.items


@dataclass(frozen=True)
class NeighbourFinder:
    """Finds the nearest real items of one input. ``rows`` is in the index's row order."""

    kind: str  # MODEL_NEIGHBOURS or INDEX_NEIGHBOURS
    method: str  # one sentence for the UI: how the neighbours are found
    features: tuple[str, ...]
    transform: Any  # fitted scaler (has .transform) or None
    index: Any  # fitted estimator with .kneighbors
    rows: pd.DataFrame  # what to show per indexed row: features, label, extra columns
    real: np.ndarray  # bool per indexed row: a real (backfilled) item, not a synthetic one

    def nearest(self, inputs: Mapping[str, float], k: int = SHOWN) -> pd.DataFrame:
        """The ``k`` nearest real items, nearest first, with ``rank`` and ``distance`` first."""
        x = pd.DataFrame({f: [float(inputs[f])] for f in self.features})
        xs = self.transform.transform(x) if self.transform is not None else x.to_numpy()
        # ask for enough neighbours that k real ones remain after dropping synthetic ones
        n = min(len(self.rows), k + int((~self.real).sum()))
        distance, index = self.index.kneighbors(xs, n_neighbors=n)
        keep = self.real[index[0]]
        picked = index[0][keep][:k]
        out = self.rows.iloc[picked].reset_index(drop=True)
        out.insert(0, "distance", np.round(distance[0][keep][:k], 4))
        out.insert(0, "rank", np.arange(1, len(out) + 1))
        return out


def _is_knn_pipeline(estimator: Any) -> bool:
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline

    return isinstance(estimator, Pipeline) and isinstance(estimator[-1], KNeighborsClassifier)


def _display(rows: pd.DataFrame, system: System, real: pd.DataFrame) -> pd.DataFrame:
    """Features, the label and the system's extra columns (e.g. wine quality), by key."""
    keys = list(system.primary_key)
    extra = [c for c in system.extra_columns if c in real.columns]
    shown = rows[[*keys, *[f for f in system.features if f not in keys], system.label]]
    if extra:
        shown = shown.merge(real[[*keys, *extra]].drop_duplicates(keys), on=keys, how="left")
    return shown.drop(columns=[k for k in keys if k not in system.features]).reset_index(drop=True)


def _model_finder(project: Project, system: System, model: LoadedModel,
                  real: pd.DataFrame) -> NeighbourFinder | None:
    """The KNN's own neighbours over its recorded training split, or None if it cannot be
    proved that the split's rows are the rows the model was fitted on, in the same order."""
    registered = project.get_model_registry().get_model(model.name, model.version)
    if registered.feature_view is None or registered.training_dataset_version is None:
        return None
    fv = project.get_feature_store().get_feature_view(*registered.feature_view)
    x_train, _, y_train, _ = fv.get_train_test_split(
        registered.training_dataset_version, primary_key=True, event_time=True)
    pipeline = model.estimator
    knn = pipeline[-1]
    features = list(system.features)
    if knn.n_samples_fit_ != len(x_train):
        return None
    scaler = pipeline[:-1]
    probe = x_train[features].head(_ALIGNMENT_CHECKS)
    distance, index = knn.kneighbors(scaler.transform(probe), n_neighbors=1)
    found = x_train[features].to_numpy()[index[:, 0]]
    if not (np.allclose(distance[:, 0], 0.0) and np.allclose(found, probe.to_numpy())):
        return None
    rows = x_train.assign(**{system.label: y_train[system.label].to_numpy()})
    is_real = (pd.to_datetime(rows[system.event_time], utc=True)
               <= pd.Timestamp(REFERENCE_TIME)).to_numpy()
    k = knn.n_neighbors
    method = (f"Neighbours by the served model itself (KNN v{model.version}): its own scaler and "
              f"{knn.metric} distance over the {int(is_real.sum())} real {_noun(system)} of its "
              f"training split; it votes with its {k} nearest, the nearest {SHOWN} are shown.")
    return NeighbourFinder(MODEL_NEIGHBOURS, method, tuple(features), scaler, knn,
                           _display(rows, system, real), is_real)


def _index_finder(system: System, model: LoadedModel, real: pd.DataFrame) -> NeighbourFinder:
    """A Euclidean NearestNeighbors index over the standardised real items."""
    from sklearn.neighbors import NearestNeighbors
    from sklearn.preprocessing import StandardScaler

    features = list(system.features)
    scaler = StandardScaler().fit(real[features])
    index = NearestNeighbors().fit(scaler.transform(real[features]))
    kind = type(model.estimator[-1] if hasattr(model.estimator, "steps")
                else model.estimator).__name__
    method = (f"The served model (v{model.version}, {kind}) has no neighbours of its own, so "
              f"these are the nearest of all {len(real)} real {_noun(system)} by Euclidean "
              "distance on standardised features (a NearestNeighbors index), for comparison.")
    return NeighbourFinder(INDEX_NEIGHBOURS, method, tuple(features), scaler, index,
                           _display(real, system, real), np.ones(len(real), dtype=bool))


def neighbour_finder(project: Project, system: System, model: LoadedModel,
                     real: pd.DataFrame | None = None) -> NeighbourFinder:
    """The finder for ``model``: its own neighbours if it is a KNN pipeline, else an index.

    ``real`` defaults to ``system.load()`` (the real, backfilled items).
    """
    real = system.load() if real is None else real
    if _is_knn_pipeline(model.estimator):
        finder = _model_finder(project, system, model, real)
        if finder is not None:
            return finder
    return _index_finder(system, model, real)
