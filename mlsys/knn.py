"""A k-nearest-neighbours classifier whose vote can be balanced across rare and common classes."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.neighbors import KNeighborsClassifier


class BalancedKNeighborsClassifier(KNeighborsClassifier):
    """scikit-learn's ``KNeighborsClassifier`` with one more parameter, ``balance`` (0 to 1).

    Each class's share of the neighbours' vote is divided by the class's share of the training
    rows raised to ``balance``, then renormalised: ``0`` is plain KNN; ``1`` weighs every class
    as if it were as common as the others. Plain KNN almost never predicts a class that is rare
    in the training data (a poor wine is ~4% of them) because few of any point's neighbours
    carry it; a partial balance, chosen by cross-validation like ``n_neighbors``, recovers much of
    that class's recall. ``predict`` is the most probable class of ``predict_proba``, so the
    probabilities an app shows always agree with the prediction.
    """

    def __init__(self, n_neighbors: int = 5, *, weights: Any = "uniform",
                 algorithm: str = "auto", leaf_size: int = 30, p: float = 2,
                 metric: Any = "minkowski", metric_params: dict[str, Any] | None = None,
                 n_jobs: int | None = None, balance: float = 0.0) -> None:
        # every argument is named in the signature: scikit-learn's get_params/clone read it
        super().__init__(n_neighbors=n_neighbors, weights=weights, algorithm=algorithm,
                         leaf_size=leaf_size, p=p, metric=metric, metric_params=metric_params,
                         n_jobs=n_jobs)
        self.balance = balance

    def fit(self, X: Any, y: Any) -> BalancedKNeighborsClassifier:  # noqa: N803 (sklearn's X)
        if not 0.0 <= float(self.balance) <= 1.0:
            raise ValueError(f"balance must be between 0 and 1, got {self.balance!r}")
        super().fit(X, y)
        labels = np.asarray(y)
        self.class_share_ = np.array([np.mean(labels == c) for c in self.classes_])
        return self

    def predict_proba(self, X: Any) -> Any:  # noqa: N803
        proba = super().predict_proba(X)
        if self.balance == 0:
            return proba
        adjusted = proba / self.class_share_ ** float(self.balance)
        total = adjusted.sum(axis=1, keepdims=True)
        return adjusted / np.where(total == 0, 1.0, total)

    def predict(self, X: Any) -> Any:  # noqa: N803
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


__all__ = ["BalancedKNeighborsClassifier"]
