"""What every registered system's model promises, parametrised over the registry: a new
system's folder is checked here without a test file of its own.

The per-system files test what only that system knows (iris's petals, wine's 3 vs 7 classes,
penguins' gaps); this file tests the shared promise of :class:`~mlsys.systems.base.Trainer`:
each candidate's metrics are its own estimator's on the held-out rows, beside a majority
baseline computed from the training rows, with the metric that picks the served model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from mlsys.errors import SchemaError
from mlsys.systems import SYSTEMS, get_system
from mlsys.systems.base import System
from mlsys.training import TrainedModel

SEED = 7  # not the per-system files' 42: another split, so no figure here is tuned to theirs


@dataclass(frozen=True)
class Trained:
    system: System
    x_train: pd.DataFrame
    y_train: pd.Series
    x_test: pd.DataFrame
    y_test: pd.Series
    models: tuple[TrainedModel, ...]


@pytest.fixture(scope="module", params=SYSTEMS.names())
def trained(request: pytest.FixtureRequest) -> Trained:
    """Each system trained once on a stratified 80/20 split of its real rows."""
    system = get_system(request.param)
    real = system.load()
    x_train, x_test, y_train, y_test = train_test_split(
        real[list(system.features)], real[system.label], test_size=0.2,
        stratify=real[system.label], random_state=SEED)
    models = system.train(x_train, y_train, x_test, y_test, SEED)
    return Trained(system, x_train, y_train, x_test, y_test, tuple(models))


def test_metrics_are_the_estimators_on_the_held_out_rows(trained: Trained) -> None:
    assert trained.models, f"{trained.system.name} trained no model"
    truth = trained.y_test.to_numpy()
    for model in trained.models:
        predicted = model.estimator.predict(trained.x_test)
        assert all(type(v) is float for v in model.metrics.values()), model.metrics  # JSON-able
        assert model.metrics["accuracy"] == pytest.approx(np.mean(predicted == truth))
        assert model.metrics["macro_f1"] == pytest.approx(
            f1_score(truth, predicted, average="macro", zero_division=0))
        for cls in trained.system.classes:
            if (truth == cls).any():
                assert model.metrics[f"recall_{cls}"] == pytest.approx(
                    np.mean(predicted[truth == cls] == cls))


def test_the_baseline_is_the_training_majority_and_every_model_beats_it(trained: Trained) -> None:
    majority = trained.y_train.value_counts().idxmax()
    guess = np.full(len(trained.y_test), majority, dtype=object)
    truth = trained.y_test.to_numpy()
    best = trained.system.best_metric
    for model in trained.models:
        assert model.metrics["baseline_accuracy"] == pytest.approx(np.mean(guess == truth))
        assert model.metrics["baseline_macro_f1"] == pytest.approx(
            f1_score(truth, guess, average="macro", zero_division=0))
        assert best in model.metrics, f"{trained.system.name} serves by {best!r}"
        assert model.metrics["macro_f1"] > model.metrics["baseline_macro_f1"] + 0.1


def test_confusion_counts_the_held_out_rows_in_class_order(trained: Trained) -> None:
    classes = list(trained.system.classes)
    for model in trained.models:
        assert model.classes == trained.system.classes
        confusion = model.confusion
        assert list(confusion.index) == list(confusion.columns) == classes
        assert int(confusion.to_numpy().sum()) == len(trained.x_test)
        by_truth = confusion.sum(axis=1)
        assert by_truth[by_truth > 0].to_dict() == trained.y_test.value_counts().to_dict()
        assert float(np.trace(confusion.to_numpy())) / len(trained.x_test) == pytest.approx(
            model.metrics["accuracy"])


def test_same_seed_same_models(trained: Trained) -> None:
    again = trained.system.train(trained.x_train, trained.y_train, trained.x_test,
                                 trained.y_test, SEED)
    assert [m.name for m in again] == [m.name for m in trained.models]
    for first, second in zip(trained.models, again, strict=True):
        assert first.metrics == second.metrics
        assert np.array_equal(first.estimator.predict(trained.x_test),
                              second.estimator.predict(trained.x_test))


def test_an_unknown_label_is_a_schema_error_naming_it(trained: Trained) -> None:
    relabelled = trained.y_train.replace(trained.system.classes[0], "Unicorn")
    with pytest.raises(SchemaError, match="Unicorn"):
        trained.system.train(trained.x_train, relabelled, trained.x_test, trained.y_test, SEED)
