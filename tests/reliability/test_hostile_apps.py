"""Hostile input to the apps: the predict functions (``mlsys.apps.predict``) and the Gradio
handlers built on them.

Any value a user (or an API client) can send either gives a prediction made from checked, finite,
in-range inputs, or a SchemaError naming the field; never another exception. Through the Gradio
handler the same input gives the prediction or a ``gr.Error`` with that message.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import joblib
import numpy as np
import pytest
from hostile import BUDGETS, refused, run_property
from hypothesis import strategies as st
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

import mlsys
from mlsys.apps.predict import Prediction
from mlsys.errors import SchemaError
from mlsys.serving import BEST_METRIC, MODEL_FILE, LoadedModel
from mlsys.store.api import Project
from mlsys.systems import get_system
from mlsys.systems.iris.app import predict_iris
from mlsys.systems.iris.inputs import iris_fields
from mlsys.systems.wine.app import predict_wine
from mlsys.systems.wine.inputs import wine_fields

IRIS, WINE = get_system("iris"), get_system("wine")


@pytest.fixture(scope="module")
def iris_model() -> LoadedModel:
    real = IRIS.load()
    est = KNeighborsClassifier(5).fit(real[list(IRIS.features)], real[IRIS.label])
    return LoadedModel(IRIS.model_name, 1, {BEST_METRIC: 0.9}, "knn", est)


@pytest.fixture(scope="module")
def wine_model() -> LoadedModel:
    real = WINE.load()
    est = DecisionTreeClassifier(max_depth=4, random_state=0).fit(
        real[list(WINE.features)], real[WINE.label])
    return LoadedModel(WINE.model_name, 1, {BEST_METRIC: 0.5}, "tree", est)


def values() -> st.SearchStrategy[Any]:
    """What can arrive in a number box: numbers of every kind, text, junk."""
    return st.one_of(
        st.floats(), st.integers(), st.integers(min_value=10**300, max_value=10**400),
        st.booleans(), st.none(), st.text(max_size=30), st.binary(max_size=8),
        st.sampled_from(["nan", "inf", "-inf", "1e400", "-0", " 5.1 ", "5,1", "0x10", "５",
                         "1_000", "", "   ", "\x00", "5.1cm", "½", "Ⅻ", "1e-400"]),
        st.floats().map(np.float64), st.integers(-(2**63), 2**63 - 1).map(np.int64),
        st.floats(width=32).map(np.float32),
        st.sampled_from([decimal.Decimal("sNaN"), decimal.Decimal("1e999999"),
                         Fraction(1, 3), 1 + 2j, [5.1], {"v": 1}, object(), ...]),
    )


def in_range(field: Any, v: float) -> bool:
    return math.isfinite(v) and v <= field.maximum and (
        v > field.minimum or (field.include_min and v == field.minimum))


def check_prediction(p: Prediction, fields: Any, classes: tuple[str, ...]) -> None:
    assert p.label in classes
    assert math.isclose(sum(p.probabilities.values()), 1.0, rel_tol=1e-9)
    for f in fields:
        assert in_range(f, p.inputs[f.name]), f"{f.name}={p.inputs[f.name]} passed the check"


@pytest.mark.parametrize("budget", BUDGETS)
def test_iris_predict_takes_anything(iris_model: LoadedModel, budget: int) -> None:
    fields = iris_fields()
    good = [f.default for f in fields]

    def check(args: tuple[int, Any]) -> None:
        position, value = args
        row = list(good)
        row[position] = value
        try:
            p = predict_iris(iris_model, *row)
        except SchemaError as err:
            assert fields[position].label in str(err), str(err)
            return
        check_prediction(p, fields, IRIS.classes)

    run_property(budget, st.tuples(st.integers(0, 3), values()), check)


@pytest.mark.parametrize("budget", BUDGETS)
def test_wine_predict_takes_anything(wine_model: LoadedModel, budget: int) -> None:
    fields = wine_fields()
    good = {f.name: f.default for f in fields}
    names = [f.name for f in fields]
    wine_types = st.one_of(st.sampled_from(["red", "white", " WHITE ", "rosé", "", None, 1]),
                           st.text(max_size=10), values())

    def check(args: tuple[Any, int, Any]) -> None:
        wine_type, position, value = args
        measurements = dict(good)
        measurements[names[position]] = value
        try:
            p = predict_wine(wine_model, wine_type, measurements)
        except SchemaError as err:
            assert fields[position].label in str(err) or "wine type" in str(err), str(err)
            return
        check_prediction(p, fields, WINE.classes)
        assert str(wine_type).strip().lower() in ("red", "white")

    run_property(budget, st.tuples(wine_types, st.integers(0, len(names) - 1), values()), check)


@pytest.mark.parametrize("extra", [{"not_a_measurement": 1.0}, {1: 2.0}, {None: 1.0},
                                   {("a",): 1.0}, {b"alcohol": 10.0}, {1: 2.0, "zz": 1.0}],
                         ids=["unknown name", "int key", "None key", "tuple key", "bytes key",
                              "int and text keys"])
def test_wine_predict_refuses_unknown_measurements(wine_model: LoadedModel,
                                                   extra: dict[Any, Any]) -> None:
    full: dict[Any, Any] = {f.name: f.default for f in wine_fields()}
    err = refused(lambda: predict_wine(wine_model, "red", {**full, **extra}))
    assert isinstance(err, SchemaError) and "unknown" in str(err), repr(err)


@pytest.mark.parametrize("keep", [0, 1, 5], ids=["none", "one", "five"])
def test_wine_predict_refuses_missing_measurements(wine_model: LoadedModel, keep: int) -> None:
    some = {f.name: f.default for f in wine_fields()[:keep]}
    err = refused(lambda: predict_wine(wine_model, "red", some))
    assert isinstance(err, SchemaError) and wine_fields()[keep].label in str(err), repr(err)


@pytest.mark.parametrize("measurements", [None, [1.0, 2.0], "alcohol=10", 5])
def test_wine_predict_refuses_a_non_mapping(wine_model: LoadedModel, measurements: Any) -> None:
    err = refused(lambda: predict_wine(wine_model, "red", measurements))
    assert isinstance(err, SchemaError), repr(err)


@pytest.mark.parametrize("value", [10**400, -(10**400), decimal.Decimal("1e999999"),
                                   Fraction(10**400, 3)],
                         ids=["huge int", "huge negative int", "huge decimal", "huge fraction"])
def test_numbers_too_big_for_a_float_are_schema_errors(iris_model: LoadedModel,
                                                       value: Any) -> None:
    err = refused(lambda: predict_iris(iris_model, value, 3.0, 1.5, 0.2))
    assert isinstance(err, SchemaError) and "sepal length" in str(err), repr(err)


# --------------------------------------------------------------------------- the Gradio handler


@pytest.fixture(scope="module")
def served_project(tmp_path_factory: pytest.TempPathFactory,
                   iris_model: LoadedModel) -> Iterator[Project]:
    """A store whose registry holds the iris model (as the training pipeline saves it)."""
    tmp = tmp_path_factory.mktemp("served")
    src = tmp / "model"
    src.mkdir()
    joblib.dump(iris_model.estimator, src / MODEL_FILE)
    project = mlsys.login(home=tmp / "store")
    project.get_model_registry().sklearn.create_model(
        IRIS.model_name, metrics={BEST_METRIC: 0.9}).save(str(src))
    yield project
    project.close()


def _handler(project: Project, api_name: str) -> Any:
    from mlsys.apps import build_app

    demo = build_app("iris", project)
    for fn in demo.fns.values():
        if getattr(fn, "api_name", None) == api_name:
            return fn.fn
    raise AssertionError(f"the iris app has no {api_name!r} endpoint")


@pytest.mark.parametrize("budget", BUDGETS)
def test_iris_app_handler_gives_a_prediction_or_a_gradio_error(served_project: Project,
                                                               budget: int) -> None:
    import gradio as gr
    import matplotlib.pyplot as plt

    predict = _handler(served_project, "predict")
    good = [f.default for f in iris_fields()]

    def check(args: tuple[int, Any]) -> None:
        row = list(good)
        row[args[0]] = args[1]
        try:
            label, probabilities, _ = predict(*row)
        except gr.Error as err:
            assert "internal error" not in str(err.message), err.message
            assert iris_fields()[args[0]].label in str(err.message)
            return
        assert label in IRIS.classes and set(probabilities) == set(IRIS.classes)
        plt.close("all")

    run_property(budget, st.tuples(st.integers(0, 3), values()), check)


def test_build_app_refuses_unknown_names(served_project: Project) -> None:
    from mlsys.apps import build_app

    for name in ("rose", "../iris", "", "iris-dashboard\x00"):
        err = refused(lambda n=name: build_app(n, served_project))  # type: ignore[misc]
        assert err is not None and "app" in str(err), repr(err)
