"""The Iris KNN model: held-out quality and behaviour (invariance, direction, minimum function)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from mlsys.errors import SchemaError
from mlsys.systems.iris import SYSTEM
from mlsys.systems.iris.data import CLASSES, FEATURES
from mlsys.training import TrainedModel

SEED = 42


@dataclass(frozen=True)
class Fitted:
    model: TrainedModel
    x_train: pd.DataFrame
    y_train: pd.Series
    x_test: pd.DataFrame
    y_test: pd.Series

    def centroid(self, variety: str) -> pd.DataFrame:
        """The mean training flower of ``variety`` as a one-row model input."""
        rows = self.x_train[self.y_train.to_numpy() == variety]
        return rows.mean().to_frame().T[list(FEATURES)]

    def proba(self, x: pd.DataFrame) -> pd.DataFrame:
        estimator = self.model.estimator
        return pd.DataFrame(estimator.predict_proba(x), columns=list(estimator.classes_))


@pytest.fixture(scope="module")
def fitted() -> Fitted:
    """Trained once for the module: a stratified 80/20 split of the real flowers."""
    real = SYSTEM.load()
    x_train, x_test, y_train, y_test = train_test_split(
        real[list(FEATURES)], real["variety"], test_size=0.2, stratify=real["variety"],
        random_state=SEED)
    models = SYSTEM.train(x_train, y_train, x_test, y_test, SEED)
    assert [m.name for m in models] == ["knn"]
    return Fitted(models[0], x_train, y_train, x_test, y_test)


def test_held_out_accuracy_is_at_least_90_percent(fitted: Fitted) -> None:
    metrics = fitted.model.metrics
    assert metrics["accuracy"] >= 0.90
    assert metrics["macro_f1"] >= 0.90
    # the metrics are those of the returned estimator on the test split, not made up
    predicted = fitted.model.estimator.predict(fitted.x_test)
    assert metrics["accuracy"] == pytest.approx(np.mean(predicted == fitted.y_test.to_numpy()))


def test_model_beats_the_majority_baseline(fitted: Fitted) -> None:
    metrics = fitted.model.metrics
    assert metrics["baseline_accuracy"] == pytest.approx(1 / 3, abs=0.01)  # balanced classes
    assert metrics["accuracy"] > metrics["baseline_accuracy"] + 0.5


def test_the_knn_search_reports_its_parameters(fitted: Fitted) -> None:
    # the shared confusion and metric checks are tests/model/test_every_system.py's
    assert {"n_neighbors", "weights", "metric"} <= set(fitted.model.params)


def test_each_variety_centroid_is_classified_as_itself(fitted: Fitted) -> None:
    for variety in CLASSES:
        centroid = fitted.centroid(variety)
        assert fitted.model.estimator.predict(centroid)[0] == variety
        assert fitted.proba(centroid)[variety].iloc[0] > 0.5


def test_tiny_noise_does_not_flip_a_clear_setosa(fitted: Fitted) -> None:
    rng = np.random.default_rng(SEED)
    centroid = fitted.centroid("Setosa").to_numpy()
    noise = rng.uniform(-0.05, 0.05, size=(500, len(FEATURES)))
    noisy = pd.DataFrame(centroid + noise, columns=list(FEATURES))
    assert (fitted.model.estimator.predict(noisy) == "Setosa").all()
    # and every real Setosa of the test split, each nudged 100 times
    setosas = fitted.x_test[fitted.y_test.to_numpy() == "Setosa"].to_numpy()
    nudged = np.repeat(setosas, 100, axis=0) + rng.uniform(-0.05, 0.05,
                                                             size=(len(setosas) * 100, 4))
    predicted = fitted.model.estimator.predict(pd.DataFrame(nudged, columns=list(FEATURES)))
    assert (predicted == "Setosa").all()


def test_growing_petals_moves_a_setosa_towards_virginica(fitted: Fitted) -> None:
    start = fitted.centroid("Setosa").iloc[0]
    end = fitted.x_train[["petal_length", "petal_width"]].max()  # the largest real petals
    steps = np.linspace(0.0, 1.0, 41)
    path = pd.DataFrame([start] * len(steps)).reset_index(drop=True)
    for name in ("petal_length", "petal_width"):
        path[name] = start[name] + steps * (end[name] - start[name])
    proba = fitted.proba(path)
    p_virginica = proba["Virginica"].to_numpy()
    assert (np.diff(p_virginica) >= -1e-12).all(), p_virginica
    assert fitted.model.estimator.predict(path.head(1))[0] == "Setosa"
    assert fitted.model.estimator.predict(path.tail(1))[0] == "Virginica"
    assert p_virginica[-1] > p_virginica[0]


def test_training_rejects_inputs_that_do_not_fit_the_schema(fitted: Fitted) -> None:
    x_bad = fitted.x_train.assign(petal_length=-fitted.x_train["petal_length"])
    with pytest.raises(SchemaError, match="petal_length"):
        SYSTEM.train(x_bad, fitted.y_train, fitted.x_test, fitted.y_test, SEED)
    y_bad = fitted.y_train.replace({"Setosa": "Rose"})
    with pytest.raises(SchemaError, match="Rose"):
        SYSTEM.train(fitted.x_train, y_bad, fitted.x_test, fitted.y_test, SEED)
    reordered = fitted.x_train[list(reversed(FEATURES))]
    with pytest.raises(SchemaError):
        SYSTEM.train(reordered, fitted.y_train, fitted.x_test, fitted.y_test, SEED)


def test_accuracy_holds_across_splits() -> None:
    # one 30-flower test set moves accuracy in steps of 3.3 points; the mean over five
    # independently seeded splits (each with its own search) is the steadier figure
    real = SYSTEM.load()
    scores = []
    for seed in range(5):
        x_train, x_test, y_train, y_test = train_test_split(
            real[list(FEATURES)], real["variety"], test_size=0.2, stratify=real["variety"],
            random_state=seed)
        scores.append(SYSTEM.train(x_train, y_train, x_test, y_test, seed)[0].metrics["accuracy"])
    assert np.mean(scores) >= 0.90, scores
