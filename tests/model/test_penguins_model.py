"""The penguins model: held-out quality beside the majority baseline, and its handling of gaps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from mlsys.errors import SchemaError
from mlsys.systems.penguins import SYSTEM
from mlsys.systems.penguins.data import CLASSES, FEATURES, LABEL, MEASUREMENTS
from mlsys.training import TrainedModel

SEED = 42


@dataclass(frozen=True)
class Fitted:
    model: TrainedModel
    x_train: pd.DataFrame
    y_train: pd.Series
    x_test: pd.DataFrame
    y_test: pd.Series

    def proba(self, x: pd.DataFrame) -> pd.DataFrame:
        estimator = self.model.estimator
        return pd.DataFrame(estimator.predict_proba(x), columns=list(estimator.classes_))


@pytest.fixture(scope="module")
def fitted() -> Fitted:
    """Trained once for the module: a stratified 80/20 split of the real penguins (gaps kept)."""
    real = SYSTEM.load()
    x_train, x_test, y_train, y_test = train_test_split(
        real[list(FEATURES)], real[LABEL], test_size=0.2, stratify=real[LABEL],
        random_state=SEED)
    models = SYSTEM.train(x_train, y_train, x_test, y_test, SEED)
    assert [m.name for m in models] == ["logistic_regression"]
    return Fitted(models[0], x_train, y_train, x_test, y_test)


def test_held_out_quality_is_high_and_the_metrics_are_the_estimators(fitted: Fitted) -> None:
    metrics = fitted.model.metrics
    assert metrics["accuracy"] >= 0.95
    assert metrics["macro_f1"] >= 0.95
    predicted = fitted.model.estimator.predict(fitted.x_test)
    assert metrics["accuracy"] == pytest.approx(np.mean(predicted == fitted.y_test.to_numpy()))


def test_model_beats_the_majority_baseline(fitted: Fitted) -> None:
    metrics = fitted.model.metrics
    majority = fitted.y_train.value_counts(normalize=True).idxmax()
    assert majority == "Adelie"
    assert metrics["baseline_accuracy"] == pytest.approx(
        float(np.mean(fitted.y_test.to_numpy() == majority)))
    assert metrics["macro_f1"] > metrics["baseline_macro_f1"] + 0.5
    assert metrics["balanced_accuracy"] > metrics["baseline_balanced_accuracy"] + 0.5


def test_the_rarest_species_is_still_recognised(fitted: Fitted) -> None:
    # the shared confusion and metric checks are tests/model/test_every_system.py's
    assert fitted.model.metrics["recall_Chinstrap"] >= 0.85  # Chinstrap: 20% of the penguins


def test_a_penguin_with_gaps_is_still_classified(fitted: Fitted) -> None:
    """Missing measurements and sex are imputed inside the pipeline, so the model answers."""
    gentoo = fitted.x_train[fitted.y_train.to_numpy() == "Gentoo"].dropna().iloc[[0]]
    gappy = gentoo.copy().astype({"sex": object})
    gappy.loc[:, ["bill_depth_mm", "body_mass_g"]] = np.nan
    gappy.loc[:, "sex"] = None
    assert fitted.model.estimator.predict(gappy)[0] == "Gentoo"
    nothing = gappy.copy()
    nothing.loc[:, list(MEASUREMENTS)] = np.nan
    probabilities = fitted.proba(nothing).iloc[0]
    assert probabilities.sum() == pytest.approx(1.0)


def test_island_is_one_hot_encoded_and_an_unseen_island_is_not_an_error(fitted: Fitted) -> None:
    encoder = fitted.model.estimator.named_steps["prepare"].named_transformers_["categories"]
    one_hot = encoder.named_steps["one_hot"]
    assert [list(c) for c in one_hot.categories_] == [["Biscoe", "Dream", "Torgersen"],
                                                      ["female", "male"]]
    row = fitted.x_test.iloc[[0]].astype({"island": object})
    row.loc[:, "island"] = "Anvers"
    assert fitted.model.estimator.predict(row)[0] in CLASSES


def test_island_moves_the_prediction_where_species_live(fitted: Fitted) -> None:
    """Torgersen has only Adelie penguins: the same ambiguous bird leans further to Adelie."""
    bird = fitted.x_train.median(numeric_only=True).to_frame().T
    bird["sex"] = "female"
    scores = {}
    for island in ("Torgersen", "Biscoe"):
        x = bird.assign(island=island)[list(FEATURES)]
        scores[island] = float(fitted.proba(x)["Adelie"].iloc[0])
    assert scores["Torgersen"] > scores["Biscoe"]


def test_bad_training_inputs_are_schema_errors(fitted: Fitted) -> None:
    with pytest.raises(SchemaError, match="y_train"):
        SYSTEM.train(fitted.x_train, fitted.y_train.replace("Gentoo", "Emperor"),
                     fitted.x_test, fitted.y_test, SEED)
    with pytest.raises(SchemaError):
        SYSTEM.train(fitted.x_train.drop(columns="island"), fitted.y_train, fitted.x_test,
                     fitted.y_test, SEED)
    with pytest.raises(SchemaError):
        SYSTEM.train(fitted.x_train.assign(body_mass_g=-5.0), fitted.y_train, fitted.x_test,
                     fitted.y_test, SEED)
