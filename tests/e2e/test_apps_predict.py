"""The apps' pure prediction path on models the real pipelines trained: inputs, outputs, errors."""

from __future__ import annotations

import math
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from apps_support import Store

from mlsys.apps.neighbours import INDEX_NEIGHBOURS, MODEL_NEIGHBOURS, neighbour_finder
from mlsys.errors import SchemaError
from mlsys.serving import LoadedModel, ModelCache, load_best_model
from mlsys.systems import get_system
from mlsys.systems.iris.app import predict_iris
from mlsys.systems.iris.inputs import iris_examples, iris_fields
from mlsys.systems.wine.app import predict_wine
from mlsys.systems.wine.inputs import wine_fields, wine_fields_from

IRIS = get_system("iris")
WINE = get_system("wine")


@pytest.fixture(scope="module")
def iris_model(iris_store: Store) -> LoadedModel:
    return load_best_model(iris_store.project(), IRIS)


@pytest.fixture(scope="module")
def wine_model(wine_store: Store) -> LoadedModel:
    return load_best_model(wine_store.project(), WINE)


def _wine(row: pd.Series) -> tuple[str, dict[str, float]]:
    kind = "white" if int(row["type_white"]) == 1 else "red"
    return kind, {f.name: float(row[f.name]) for f in wine_fields()}


# --------------------------------------------------------------------------- iris


def test_iris_prediction_agrees_with_the_estimator_on_every_real_flower(
        iris_model: LoadedModel) -> None:
    real = IRIS.load()
    expected = iris_model.estimator.predict(real[list(IRIS.features)])
    got = [predict_iris(iris_model, *row).label
           for row in real[list(IRIS.features)].itertuples(index=False)]
    assert got == [str(e) for e in expected]


def test_iris_probabilities_cover_every_class_and_sum_to_one(iris_model: LoadedModel) -> None:
    p = predict_iris(iris_model, 5.1, 3.5, 1.4, 0.2)
    assert p.label == "Setosa"  # a textbook Setosa: short, narrow petals
    assert list(p.probabilities) == list(IRIS.classes)
    assert math.isclose(sum(p.probabilities.values()), 1.0)
    assert p.confidence == max(p.probabilities.values())
    assert p.model_version == iris_model.version
    assert p.inputs == {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4,
                        "petal_width": 0.2}


def test_iris_examples_are_real_flowers_one_per_variety(iris_model: LoadedModel) -> None:
    real = IRIS.load()
    examples = iris_examples()
    assert list(examples) == list(IRIS.classes)
    for variety, values in examples.items():
        match = real[(real[list(IRIS.features)] == values).all(axis=1)]
        assert set(match[IRIS.label]) == {variety}
        assert predict_iris(iris_model, *values).label == variety


def test_iris_string_numbers_are_accepted(iris_model: LoadedModel) -> None:
    assert predict_iris(iris_model, " 5.1", "3.5", "1.4", "0.2").label == "Setosa"


@pytest.mark.parametrize(("values", "field", "detail"), [
    ((5.1, 3.5, 100, 0.2), "petal length", "at most 14 cm; got 100"),
    ((0, 3.5, 1.4, 0.2), "sepal length", "greater than 0"),
    ((-1, 3.5, 1.4, 0.2), "sepal length", "got -1"),
    ((5.1, None, 1.4, 0.2), "sepal width", "is empty"),
    ((5.1, "", 1.4, 0.2), "sepal width", "is empty"),
    ((5.1, 3.5, "abc", 0.2), "petal length", "must be a number"),
    ((5.1, 3.5, 1.4, float("nan")), "petal width", "finite"),
    ((5.1, 3.5, 1.4, float("inf")), "petal width", "finite"),
    ((5.1, 3.5, 1.4, True), "petal width", "must be a number"),
    ((10**400, 3.5, 1.4, 0.2), "sepal length", "(401 characters)"),
])
def test_iris_bad_input_names_the_field_and_range(iris_model: LoadedModel, values: tuple,
                                                  field: str, detail: str) -> None:
    with pytest.raises(SchemaError) as err:
        predict_iris(iris_model, *values)
    message = str(err.value)
    assert message.startswith(field), message
    assert detail in message
    spec = next(f for f in iris_fields() if f.label == field)
    assert spec.allowed in message


# --------------------------------------------------------------------------- wine


def test_wine_fields_are_the_ranges_and_medians_of_the_real_wines() -> None:
    real = WINE.load()
    for f in wine_fields():
        assert (f.minimum, f.maximum) == (real[f.name].min(), real[f.name].max())
        assert f.default == real[f.name].median()
    assert [f.name for f in wine_fields()] == [c for c in WINE.features if c != "type_white"]


def test_wine_prediction_agrees_with_the_estimator(wine_model: LoadedModel) -> None:
    sample = WINE.load().sample(40, random_state=3)
    expected = wine_model.estimator.predict(sample[list(WINE.features)])
    for (_, row), want in zip(sample.iterrows(), expected, strict=True):
        kind, values = _wine(row)
        p = predict_wine(wine_model, kind, values)
        assert p.label == str(want)
        assert set(p.probabilities) == set(WINE.classes)
        assert math.isclose(sum(p.probabilities.values()), 1.0)


@pytest.mark.parametrize("kind", ["knn", "gradient_boosting"])
def test_wine_scores_are_named_and_the_decision_is_their_argmax(wine_store: Store,
                                                                kind: str) -> None:
    """The numbers shown are named for what they are (a class-balanced vote share is not a
    probability), and on many inputs, real and random within the fields' ranges, the predicted
    class is the highest of them and the estimator's own prediction."""
    model = _registered(wine_store, kind)
    rng = np.random.default_rng(7)
    fields = wine_fields()
    real = [_wine(row) for _, row in WINE.load().sample(150, random_state=5).iterrows()]
    drawn = [("white" if rng.random() < 0.5 else "red",
              {f.name: float(rng.uniform(f.minimum, f.maximum)) for f in fields})
             for _ in range(150)]
    for wine_type, values in real + drawn:
        p = predict_wine(model, wine_type, values)
        assert p.label == max(p.probabilities, key=lambda c: p.probabilities[c])
        frame = pd.DataFrame([{**p.inputs}])[list(WINE.features)]
        assert p.label == str(model.estimator.predict(frame)[0])
        assert "not calibrated probabilities" in p.scores_are
    if kind == "knn":
        assert "vote share of the" in p.scores_are


def test_wine_type_is_a_choice(wine_model: LoadedModel) -> None:
    _, values = _wine(WINE.load().iloc[0])
    red = predict_wine(wine_model, "Red", values)
    assert red.inputs["type_white"] == 0.0
    assert predict_wine(wine_model, "white", values).inputs["type_white"] == 1.0
    for bad in ("pink", None, ""):
        with pytest.raises(SchemaError, match="wine type must be one of"):
            predict_wine(wine_model, bad, values)


def test_wine_bad_measurements_name_the_field_and_range(wine_model: LoadedModel) -> None:
    _, values = _wine(WINE.load().iloc[0])
    alcohol = next(f for f in wine_fields() if f.name == "alcohol")
    with pytest.raises(SchemaError) as err:
        predict_wine(wine_model, "red", {**values, "alcohol": alcohol.maximum + 1})
    assert str(err.value).startswith("alcohol must be between")
    assert alcohol.allowed in str(err.value)
    with pytest.raises(SchemaError, match=r"^pH is empty"):
        predict_wine(wine_model, "red", {k: v for k, v in values.items() if k != "ph"})
    with pytest.raises(SchemaError, match="unknown wine measurements"):
        predict_wine(wine_model, "red", {**values, "colour": 3.0})


def test_wine_fields_from_a_frame_follow_that_frame() -> None:
    real = WINE.load()
    subset = real[real["type_white"] == 0]
    fields = {f.name: f for f in wine_fields_from(subset)}
    assert fields["alcohol"].maximum == subset["alcohol"].max()
    assert fields["alcohol"].default == subset["alcohol"].median()


# --------------------------------------------------------------------------- neighbours


def _registered(store: Store, kind: str) -> LoadedModel:
    """A registered wine model of the given kind (knn / gradient_boosting), unpickled."""
    mr = store.project().get_model_registry()
    model = next(m for m in mr.get_models(WINE.model_name)
                 if m.description.startswith(f"wine {kind} "))
    assert model.version is not None
    estimator = joblib.load(Path(model.download()) / "model.pkl")
    return LoadedModel(model.name, model.version, dict(model.training_metrics),
                       model.description, estimator)


def _brute_force(features: np.ndarray, query: np.ndarray, metric: str) -> np.ndarray:
    diff = features - query
    if metric == "manhattan":
        return np.abs(diff).sum(axis=1)
    if metric == "chebyshev":
        return np.abs(diff).max(axis=1)
    return np.sqrt((diff ** 2).sum(axis=1))


def test_knn_model_neighbours_are_its_own_nearest_training_wines(wine_store: Store) -> None:
    model = _registered(wine_store, "knn")
    finder = neighbour_finder(wine_store.project(), WINE, model)
    assert finder.kind == MODEL_NEIGHBOURS
    assert "served model itself" in finder.method
    kind, values = _wine(WINE.load().iloc[100])
    inputs = {**values, "type_white": 1.0 if kind == "white" else 0.0}
    near = finder.nearest(inputs, k=5)
    assert list(near["rank"]) == [1, 2, 3, 4, 5]
    # independently: scale the rows shown with the model's own scaler and measure again
    scaler, knn = model.estimator[:-1], model.estimator[-1]
    features = list(WINE.features)
    query = scaler.transform(pd.DataFrame([inputs])[features])[0]
    shown = scaler.transform(near[features])
    again = _brute_force(shown, query, knn.metric)
    np.testing.assert_allclose(near["distance"], again, atol=1e-3)
    # and no real wine of the training split is nearer than the fifth one shown
    fv = wine_store.project().get_feature_store().get_feature_view(WINE.view_name, 1)
    registered = wine_store.project().get_model_registry().get_model(model.name, model.version)
    x_train, _, y_train, _ = fv.get_train_test_split(registered.training_dataset_version,
                                                    event_time=True)
    real = pd.to_datetime(x_train[WINE.event_time], utc=True) <= pd.Timestamp("2000-01-01",
                                                                             tz="UTC")
    every = _brute_force(scaler.transform(x_train.loc[real, features]), query, knn.metric)
    assert np.sort(every)[4] == pytest.approx(float(near["distance"].iloc[4]), abs=1e-3)
    # the label shown is the wine's recorded label
    assert set(near[WINE.label]) <= set(y_train[WINE.label])
    assert "quality" in near.columns


def test_other_models_get_an_index_over_all_real_wines(wine_store: Store) -> None:
    model = _registered(wine_store, "gradient_boosting")
    real = WINE.load()
    finder = neighbour_finder(wine_store.project(), WINE, model, real)
    assert finder.kind == INDEX_NEIGHBOURS
    assert "no neighbours of its own" in finder.method
    row = real.iloc[7]
    near = finder.nearest({f: float(row[f]) for f in WINE.features}, k=3)
    # a real wine is its own nearest neighbour, at distance 0
    assert near["distance"].iloc[0] == 0.0
    assert near.iloc[0][list(WINE.features)].astype(float).tolist() == \
        row[list(WINE.features)].astype(float).tolist()
    assert near["quality"].iloc[0] == row["quality"]
    assert near["distance"].is_monotonic_increasing


def test_model_cache_loads_once(iris_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlsys.serving

    calls = []
    real_load = mlsys.serving.load_best_model

    def counting(*args: object) -> LoadedModel:
        calls.append(args)
        return real_load(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(mlsys.serving, "load_best_model", counting)
    cache = ModelCache(iris_store.project(), IRIS)
    first = cache.get()
    assert all(cache.get() is first for _ in range(5))
    assert len(calls) == 1


# --------------------------------------------------------------------------- generic


def test_the_generic_predictor_serves_every_system_from_its_spec(
        iris_model: LoadedModel, wine_model: LoadedModel) -> None:
    """``predict(model, system, values)`` reads only the spec: it agrees with the hand-made
    iris and wine predictors, by position or by name, and names a bad field the same way."""
    from mlsys.apps.predict import predict

    flower = iris_examples()["Virginica"]
    assert predict(iris_model, IRIS, flower) == predict_iris(iris_model, *flower)
    row = WINE.load().sample(1, random_state=3).iloc[0]
    kind, values = _wine(row)
    by_name = predict(wine_model, WINE, {"type": kind, **values})
    assert by_name == predict(wine_model, WINE, [kind, *values.values()])
    assert by_name.label == predict_wine(wine_model, kind, values).label
    assert by_name.probabilities == predict_wine(wine_model, kind, values).probabilities
    with pytest.raises(SchemaError, match="wine type must be one of"):
        predict(wine_model, WINE, {"type": "pink", **values})
    with pytest.raises(SchemaError, match="unknown wine inputs 'colour'"):
        predict(wine_model, WINE, {"type": kind, "colour": "red", **values})
    with pytest.raises(SchemaError, match="sepal length must be greater than 0"):
        predict(iris_model, IRIS, [-1, *flower[1:]])
