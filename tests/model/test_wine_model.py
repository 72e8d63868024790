"""Wine models: the macro-F1 bar, invariance, direction, minimum functionality, 3 vs 7 classes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from mlsys.errors import SchemaError
from mlsys.systems.wine import SYSTEM
from mlsys.systems.wine.data import CLASSES, FEATURES, MEASUREMENTS, PRIMARY_KEY, load
from mlsys.systems.wine.model import CHALLENGER, KNN, compare_granularity, split
from mlsys.training import TrainedModel, knn_search

SEED = 42
BAR = 0.48  # the bar for the tuned KNN (majority 0.29, unscaled accuracy-tuned KNN 0.39)


@dataclass
class Trained:
    frame: pd.DataFrame
    x_train: pd.DataFrame
    x_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
    models: dict[str, TrainedModel]

    @property
    def served(self) -> TrainedModel:
        """The model inference uses: the best by held-out macro F1 (as the train pipeline picks)."""
        return max(self.models.values(), key=lambda m: m.metrics["macro_f1"])


@pytest.fixture(scope="module")
def trained() -> Trained:
    frame = load()
    x_train, x_test, y_train, y_test = split(frame, SEED)
    models = SYSTEM.train(x_train, y_train, x_test, y_test, SEED)
    return Trained(frame, x_train, x_test, y_train, y_test, {m.name: m for m in models})


def test_split_is_stratified_and_no_wine_is_on_both_sides(trained: Trained) -> None:
    assert len(trained.x_test) == pytest.approx(0.2 * len(trained.frame), abs=1)
    assert list(trained.x_train.columns) == list(FEATURES)
    train_keys = set(map(tuple, trained.x_train[list(PRIMARY_KEY)].to_numpy()))
    test_keys = set(map(tuple, trained.x_test[list(PRIMARY_KEY)].to_numpy()))
    assert not train_keys & test_keys
    shares = (trained.y_train.value_counts(normalize=True)
              - trained.y_test.value_counts(normalize=True)).abs()
    assert (shares < 0.01).all()


def test_tuned_knn_clears_the_bar(trained: Trained) -> None:
    knn = trained.models[KNN]
    assert knn.params["scale"] is True
    assert knn.metrics["macro_f1"] >= BAR
    assert knn.metrics["macro_f1"] > knn.metrics["baseline_macro_f1"]


def test_metrics_match_an_independent_computation(trained: Trained) -> None:
    majority = trained.y_train.value_counts().idxmax()
    baseline = f1_score(trained.y_test, [majority] * len(trained.y_test), average="macro")
    for m in trained.models.values():
        pred = m.estimator.predict(trained.x_test)
        assert m.metrics["macro_f1"] == pytest.approx(
            f1_score(trained.y_test, pred, average="macro"))
        assert m.metrics["accuracy"] == pytest.approx(np.mean(pred == trained.y_test.to_numpy()))
        assert m.metrics["baseline_macro_f1"] == pytest.approx(baseline)
        for cls in CLASSES:
            truth = trained.y_test.to_numpy() == cls
            assert m.metrics[f"recall_{cls}"] == pytest.approx(np.mean(pred[truth] == cls))
        assert int(m.confusion.to_numpy().sum()) == len(trained.y_test)
        assert m.classes == CLASSES
    assert set(trained.models) == {KNN, CHALLENGER}


def test_predictions_are_invariant_to_tiny_noise(trained: Trained) -> None:
    """Noise of 1e-4 standard deviations, far below the lab's reported precision."""
    rng = np.random.default_rng(0)
    cols = list(MEASUREMENTS)
    sd = trained.x_train[cols].std().to_numpy()
    noisy = trained.x_test.copy()
    noisy[cols] = noisy[cols] + rng.normal(0.0, 1.0, (len(noisy), len(cols))) * sd * 1e-4
    for m in trained.models.values():
        same = np.mean(m.estimator.predict(noisy) == m.estimator.predict(trained.x_test))
        drift = np.abs(m.estimator.predict_proba(noisy)
                       - m.estimator.predict_proba(trained.x_test)).mean()
        assert same >= 0.99, (m.name, same)
        assert drift < 0.01, (m.name, drift)


def _mean_p_excellent(m: TrainedModel, x: pd.DataFrame) -> float:
    column = list(m.estimator.classes_).index("excellent")
    return float(m.estimator.predict_proba(x)[:, column].mean())


def _shifted(x: pd.DataFrame, column: str, delta: float) -> pd.DataFrame:
    out = x.copy()
    out[column] = (out[column] + delta).clip(lower=0.0)
    return out


# Steps in training standard deviations. Every model must follow the direction for changes of half
# a standard deviation or more; the served model for small ones too. The KNN is exempt below half
# an sd: P(excellent) is a vote of 5 neighbours, and a shift of volatile acidity by ~0.3 sd swaps
# neighbours either way (measured: -0.0007 on average at -0.05 g/L), i.e. no direction at all.
@pytest.mark.parametrize(("column", "sign"), [("alcohol", 1.0), ("volatile_acidity", -1.0)])
def test_more_alcohol_and_less_volatile_acidity_never_lower_p_excellent(
        trained: Trained, column: str, sign: float) -> None:
    sd = float(trained.x_train[column].std())
    for m in trained.models.values():
        steps = (0.1, 0.25, 0.5, 1.0) if m is trained.served else (0.5, 1.0)
        before = _mean_p_excellent(m, trained.x_test)
        for k in steps:
            after = _mean_p_excellent(m, _shifted(trained.x_test, column, sign * k * sd))
            assert after >= before, (m.name, column, k, before, after)


def test_every_model_recognises_every_class(trained: Trained) -> None:
    """The failure mode on this data is collapsing to 'fair' (77% of wines); none may."""
    for m in trained.models.values():
        for cls in CLASSES:
            assert m.metrics[f"recall_{cls}"] > 0.0, (m.name, cls)
        assert m.metrics["balanced_accuracy"] > m.metrics["baseline_balanced_accuracy"]


def test_typical_wines_are_classified_as_themselves(trained: Trained) -> None:
    """The median wine of each (type, class) in the training data is a textbook case.

    Every model gets the fair and excellent medians right, the gradient boosting all six. The
    KNN calls the median poor wines fair: none of their nearest training wines is poor (poor
    is 4% of the data and spread thin), so its vote for poor is 0 and no balance can lift it -
    a measured limitation of the KNN, which can still be the served model by macro F1.
    """
    train = trained.frame.loc[trained.x_train.index]
    medians = train.groupby(["type_white", "quality_class"])[list(MEASUREMENTS)].median()
    medians = medians.reset_index()
    assert len(medians) == 6
    not_poor = medians["quality_class"] != "poor"
    for m in trained.models.values():
        predicted = pd.Series(m.estimator.predict(medians[list(FEATURES)]), index=medians.index)
        assert list(predicted[not_poor]) == list(medians.loc[not_poor, "quality_class"]), m.name
        if m.name == CHALLENGER:
            assert list(predicted) == list(medians["quality_class"])


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_tuned_knn_clears_the_bar_on_other_splits(seed: int) -> None:
    """Not one lucky split: measured over seeds 0-12 the KNN's worst macro F1 is 0.491."""
    x_train, x_test, y_train, y_test = split(load(), seed)
    knn, params = knn_search(x_train, y_train, seed=seed)  # what SYSTEM.train runs for the KNN
    assert f1_score(y_test, knn.predict(x_test), average="macro") >= BAR, params


def test_three_classes_versus_seven_qualities() -> None:
    c = compare_granularity(load(), SEED)
    assert c.test_rows == pytest.approx(0.2 * 5286, abs=1)
    assert set(c.seven_class_recall) == set(range(3, 10))
    for scores in (c.three_class, c.seven_class, c.seven_binned):
        assert set(scores) == {"accuracy", "balanced_accuracy", "macro_f1"}
        assert all(0.0 <= v <= 1.0 for v in scores.values())
    assert c.three_class["macro_f1"] > c.baseline_three["macro_f1"]
    assert c.seven_class["macro_f1"] > c.baseline_seven["macro_f1"]
    # seven fine classes are a harder task: lower accuracy than three coarse ones
    assert c.seven_class["accuracy"] < c.three_class["accuracy"]
    assert "7-quality KNN" in c.summary
    again = compare_granularity(load(), SEED)  # the demo's second ask (the EDA report)
    assert again == c and again is not c


def test_the_study_is_run_again_for_other_data_or_another_seed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mlsys.systems.wine import model

    runs: list[int] = []
    real = model._compare_granularity

    def counted(frame: pd.DataFrame, seed: int) -> model.GranularityComparison:
        runs.append(seed)
        return real(frame, seed)

    monkeypatch.setattr(model, "_compare_granularity", counted)
    frame = load().sample(800, random_state=0)
    first = compare_granularity(frame, 1)
    first.three_class["macro_f1"] = -1.0  # a caller's change does not reach the next one
    assert compare_granularity(frame, 1).three_class["macro_f1"] >= 0.0 and runs == [1]
    compare_granularity(frame, 2)
    changed = frame.copy()
    changed.iloc[0, changed.columns.get_loc("alcohol")] += 0.5
    compare_granularity(changed, 1)
    assert runs == [1, 2, 1]


def test_train_refuses_unknown_labels_and_bad_inputs() -> None:
    frame = load().head(50)
    x, y = frame[list(FEATURES)], frame["quality_class"]
    with pytest.raises(SchemaError, match="superb"):
        SYSTEM.train(x, y.replace("fair", "superb"), x, y, SEED)
    with pytest.raises(SchemaError, match="alcohol"):
        SYSTEM.train(x.assign(alcohol=np.nan), y, x, y, SEED)
    with pytest.raises(SchemaError, match="quality"):
        SYSTEM.train(frame[[*FEATURES, "quality"]], y, x, y, SEED)
