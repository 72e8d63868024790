"""The Iris model: a KNN classifier tuned by random search, scored beside the majority class."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsys.systems.iris.data import CLASSES, input_schema, labels
from mlsys.validation.schemas import check_frame

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.training import TrainedModel


def train(
    X_train: pd.DataFrame,  # noqa: N803 (sklearn's X convention)
    y_train: pd.Series,
    X_test: pd.DataFrame,  # noqa: N803
    y_test: pd.Series,
    seed: int,
) -> list[TrainedModel]:
    """A KNN classifier (random search over k, weights and distance on scaled features).

    Metrics on the test split: accuracy, balanced accuracy, macro F1, recall per variety, and
    the majority-class baseline's accuracy and macro F1 for comparison.
    """
    from mlsys.training import TrainedModel, evaluate, knn_search, majority_baseline

    x_train = check_frame(input_schema(), X_train, "X_train")
    x_test = check_frame(input_schema(), X_test, "X_test")
    y_train = labels(y_train, "y_train")
    y_test = labels(y_test, "y_test")
    # the varieties are equally common, so no vote balance to search (it only adds ties)
    estimator, params = knn_search(x_train, y_train, seed=seed, n_iter=20, cv=5, balances=(0.0,))
    metrics, confusion = evaluate(estimator, x_test, y_test, CLASSES)
    baseline = majority_baseline(y_train, x_test, y_test, CLASSES)
    metrics["baseline_accuracy"] = baseline["accuracy"]
    metrics["baseline_macro_f1"] = baseline["macro_f1"]
    return [TrainedModel("knn", estimator, metrics, params, confusion, CLASSES)]
