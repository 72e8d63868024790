"""``Schema`` / ``ModelSchema`` take hsml's arguments and give hsml's ``to_dict()`` shape."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlsys
from mlsys import ModelSchema, Schema, SchemaError

X = pd.DataFrame({"sepal_length": [5.1, 4.9], "variety_code": [0, 1]})
Y = pd.Series(["Setosa", "Versicolor"], name="variety")


def test_a_dataframe_gives_a_columnar_schema_of_names_and_dtypes() -> None:
    assert Schema(X).to_dict() == {"columnar_schema": [
        {"name": "sepal_length", "type": "float64"}, {"name": "variety_code", "type": "int64"}]}


def test_a_series_gives_one_column_and_a_nameless_one_only_its_type() -> None:
    assert Schema(Y).to_dict() == {"columnar_schema": [
        {"name": "variety", "type": str(Y.dtype)}]}
    assert Schema(pd.Series([1.0])).to_dict() == {"columnar_schema": [{"type": "float64"}]}


def test_a_numpy_array_gives_a_tensor_schema() -> None:
    assert Schema(np.zeros((3, 4), dtype="float32")).to_dict() == {
        "tensor_schema": {"type": "float32", "shape": "(3, 4)"}}


def test_lists_of_dicts_give_columns_or_tensors() -> None:
    cols = Schema([{"name": "a", "type": "double", "description": "cm"}, {"type": "int"}])
    assert cols.to_dict() == {"columnar_schema": [
        {"name": "a", "type": "double", "description": "cm"}, {"type": "int"}]}
    tensors = Schema([{"name": "img", "type": "uint8", "shape": [28, 28]}])
    assert tensors.to_dict() == {"tensor_schema": [
        {"name": "img", "type": "uint8", "shape": "[28, 28]"}]}


@pytest.mark.parametrize("bad, match", [
    (None, "NoneType"),
    (42, "int"),
    ("sepal_length", "str"),
    ([], "empty list"),
    (["sepal_length"], "entry 0 is str"),
    ([{"name": "a"}], r"entry 0 .* has no \['type'\]"),
    ({"name": "a", "type": "double"}, "dict"),
])
def test_anything_else_is_refused_at_construction(bad: object, match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        Schema(bad)


def test_model_schema_keeps_only_the_given_sides_and_refuses_bare_frames() -> None:
    both = ModelSchema(Schema(X), Schema(Y))
    assert both.to_dict() == {"input_schema": Schema(X).to_dict(),
                              "output_schema": Schema(Y).to_dict()}
    assert ModelSchema(output_schema=Schema(Y)).to_dict() == {
        "output_schema": Schema(Y).to_dict()}
    with pytest.raises(SchemaError, match=r"wrap it in a Schema.*Schema\(X_train\)"):
        ModelSchema(X)  # type: ignore[arg-type]


def test_create_model_stores_the_schema_given_either_way(tmp_path: Path) -> None:
    with mlsys.login(backend="local", home=tmp_path / "store") as project:
        mr = project.get_model_registry()
        (tmp_path / "m").mkdir()
        (tmp_path / "m" / "model.pkl").write_bytes(b"model")
        ms = ModelSchema(Schema(X), Schema(Y))
        mr.python.create_model("a", model_schema=ms).save(str(tmp_path / "m"))
        mr.python.create_model("b", input_schema=Schema(X), output_schema=Y).save(
            str(tmp_path / "m"))
        assert mr.get_model("a").model_schema == ms.to_dict()
        assert mr.get_model("b").model_schema == ms.to_dict()
        with pytest.raises(SchemaError, match="model_schema"):
            mr.python.create_model("c", model_schema=X)


@pytest.mark.skipif(importlib.util.find_spec("hsml") is None,
                    reason="hsml (the hopsworks SDK) is not installed here; "
                           "nox -s hopsworks_compat compares with it")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # hsml 5.2 deprecates ModelSchema
@pytest.mark.parametrize("make", [
    lambda: X, lambda: Y, lambda: np.zeros((2, 3)),
    lambda: [{"name": "a", "type": "double"}],
    lambda: [{"name": "t", "type": "float", "shape": [2]},
             {"name": "u", "type": "int", "shape": [1]}],
])
def test_to_dict_matches_hsml(make: object) -> None:
    from hsml.model_schema import ModelSchema as HsmlModelSchema
    from hsml.schema import Schema as HsmlSchema

    obj = make()  # type: ignore[operator]
    assert Schema(obj).to_dict() == HsmlSchema(obj).to_dict()
    ours = ModelSchema(Schema(obj), Schema(Y)).to_dict()
    assert ours == HsmlModelSchema(HsmlSchema(obj), HsmlSchema(Y)).to_dict()
