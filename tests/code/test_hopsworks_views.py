"""The Hopsworks adapter's feature views: recorded, seeded, stratified splits; batch data and
online serving, against the real hsfs classes and signatures (see ``hopsworks_sdk``).

The dataset API that holds the split records is spied with stand-ins that keep the "project
files" in a temporary directory; each call is still bound against the SDK's real signature.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from hopsworks_sdk import KEY, iris_group, load_sdk, named_parameters, spy, spy_project_files

import mlsys
from mlsys.errors import (
    IntegrityError,
    NotFoundError,
    SchemaError,
)
from mlsys.store.api import Filter
from mlsys.store.hopsworks.config import HopsworksConfig
from mlsys.store.hopsworks.context import Context
from mlsys.store.hopsworks.errors import SdkCalls
from mlsys.store.hopsworks.feature_view import HopsworksFeatureView


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    return load_sdk(monkeypatch)


@pytest.fixture
def remote(sdk: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return spy_project_files(monkeypatch, sdk, tmp_path / "project")


@pytest.fixture
def ctx(sdk: SimpleNamespace, remote: Path) -> Context:
    return Context(HopsworksConfig(api_key_value=KEY), SdkCalls((KEY,)), sdk_project=None,
                   _dataset_api=sdk.dataset_api.DatasetApi())


# ----------------------------------------------------------------- feature views


def _rows(n_a: int = 20, n_b: int = 10) -> pd.DataFrame:
    n = n_a + n_b
    return pd.DataFrame({"flower_id": range(n), "ts": pd.date_range("2024-01-01", periods=n,
                                                                      tz="UTC"),
                         "sepal_length": [4.0 + i / 10 for i in range(n)],
                         "variety": ["a"] * n_a + ["b"] * n_b})


@pytest.fixture
def view(sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A view whose hsfs reads return ``state.rows`` in a new random order every time."""
    from hsfs.training_dataset_feature import TrainingDatasetFeature as Tdf

    state = SimpleNamespace(rows=_rows(), order=itertools.count(1), versions=itertools.count(1))
    # as the server describes a view made from fg.select(["sepal_length", "variety"])
    real = sdk.feature_view.FeatureView(
        name="iris_view", query=iris_group(sdk).select(["sepal_length", "variety"]),
        featurestore_id=67, version=1, labels=["variety"])
    real.schema = [Tdf("sepal_length", "double"), Tdf("variety", "string", label=True)]

    def read(*_: Any, **__: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
        # keys that are not features of the view come back under their qualified names
        shuffled = state.rows.sample(frac=1, random_state=next(state.order)).rename(
            columns={"flower_id": "p_iris_1_flower_id", "ts": "p_iris_1_ts"})
        return shuffled.drop(columns=["variety"]), shuffled[["variety"]]

    state.last = None

    def training_data(*a: Any, **k: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
        state.last = next(state.versions)
        return read()

    state.training_data = spy(monkeypatch, sdk.feature_view.FeatureView, "training_data",
                              effect=training_data)
    state.get_training_data = spy(monkeypatch, sdk.feature_view.FeatureView,
                                  "get_training_data", effect=read)
    spy(monkeypatch, sdk.feature_view.FeatureView, "get_last_accessed_training_dataset",
        effect=lambda self: state.last)
    spy(monkeypatch, sdk.feature_view.FeatureView, "update_last_accessed_training_dataset",
        effect=lambda self, version: setattr(state, "last", version))
    return SimpleNamespace(fv=HopsworksFeatureView(real, ctx), state=state, real=real)


def test_hsfs_split_takes_no_seed_which_is_why_mlsys_splits_itself(
        sdk: SimpleNamespace) -> None:
    fv = sdk.feature_view.FeatureView
    assert "seed" not in named_parameters(fv.train_test_split)  # swallowed by **kwargs
    assert "seed" in named_parameters(fv.create_train_test_split)  # materialised jobs only
    assert "stratify" not in named_parameters(fv.train_test_split)


def test_split_is_seeded_stratified_and_recorded(view: Any, remote: Path) -> None:
    x_train, x_test, _, y_test = view.fv.train_test_split(
        test_size=0.2, seed=7, stratify=True, description="d")
    _, kw = view.state.training_data.last
    assert (kw["primary_key"], kw["event_time"], kw["description"]) == (True, True, "d")
    assert y_test["variety"].value_counts().to_dict() == {"a": 4, "b": 2}
    assert list(x_train.columns) == ["sepal_length"] and len(x_train) + len(x_test) == 30
    # stored next to Hopsworks' own training data of the project ("mlsys" here)
    stored = remote / "mlsys_Training_Datasets/mlsys/iris_view_1"
    record = json.loads((stored / "1.json").read_text())
    assert (record["seed"], record["stratify"], record["test_rows"]) == (7, True, 6)
    assert len(pd.read_parquet(stored / "1.parquet")) == 30
    # the same seed on rows read in another order gives the same split
    again = view.fv.train_test_split(test_size=0.2, seed=7, stratify=True, primary_key=True)
    assert view.fv.get_last_accessed_training_dataset() == 2
    assert sorted(again[1]["sepal_length"]) == sorted(x_test["sepal_length"])


@pytest.mark.parametrize(("seed", "stratify"), [(7, True), (1, False), (42, True)])
def test_same_seed_picks_the_same_rows_as_the_local_backend(
        view: Any, tmp_path: Path, seed: int, stratify: bool) -> None:
    # 30 keys: 9 and 10 (and 19, 20) must be ordered as numbers on both backends
    with mlsys.login(backend="local", home=tmp_path / "store") as project:
        fs = project.get_feature_store()
        fg = fs.get_or_create_feature_group("iris", 1, primary_key=["flower_id"],
                                            event_time="ts")
        fg.insert(_rows().sample(frac=1, random_state=3))  # stored in yet another order
        local = fs.get_or_create_feature_view(
            "iris_view", 1, fg.select(["sepal_length", "variety"]), labels=["variety"])
        want = local.train_test_split(test_size=0.2, seed=seed, stratify=stratify,
                                      primary_key=True)
    got = view.fv.train_test_split(test_size=0.2, seed=seed, stratify=stratify,
                                   primary_key=True)
    for a, b in zip(want, got, strict=True):  # the same rows, in the same order, each side
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert {9, 10} <= set(got[0]["flower_id"]) | set(got[1]["flower_id"])


def test_recorded_split_comes_back_row_for_row(view: Any, remote: Path) -> None:
    first = view.fv.train_test_split(test_size=0.3, seed=1, primary_key=True, event_time=True)
    rows = view.state.rows.copy()
    rows.loc[0, "sepal_length"] = -1.0  # an update, a new row and a deleted row later on
    view.state.rows = pd.concat([rows.iloc[1:], _rows(1, 0).assign(flower_id=99)])
    view.fv.train_test_split(test_size=0.3, seed=1)  # version 2 in between
    back = view.fv.get_train_test_split(1, primary_key=True, event_time=True)
    for a, b in zip(first, back, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert view.fv.get_last_accessed_training_dataset() == 1  # provenance follows the read
    assert len(view.state.get_training_data) == 0  # the recorded rows, not a re-read
    (remote / "mlsys_Training_Datasets/mlsys/iris_view_1/1.parquet").unlink()
    with pytest.raises(IntegrityError, match="missing"):
        view.fv.get_train_test_split(1)


def test_unrecorded_version_is_hsfs_own_split(sdk: SimpleNamespace, view: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy(monkeypatch, sdk.feature_view.FeatureView, "get_train_test_split",
                result=("xtr", "xte", "ytr", "yte"))
    assert view.fv.get_train_test_split(5, primary_key=True) == ("xtr", "xte", "ytr", "yte")
    assert calls.last == ((5,), {"read_options": None, "primary_key": True,
                                 "event_time": False})


def test_split_arguments_are_checked_first(view: Any) -> None:
    for bad in (None, 0, 1.5, True):
        with pytest.raises(SchemaError, match="not a fraction"):
            view.fv.train_test_split(test_size=bad)
    with pytest.raises(SchemaError, match="unsupported argument"):
        view.fv.train_test_split(test_size=0.2, train_end="2024-01-01")
    assert len(view.state.training_data) == 0


def test_extra_filter_and_training_data(view: Any) -> None:
    from hsfs.constructor.filter import Filter as SdkFilter

    x, y = view.fv.training_data(extra_filter=Filter("sepal_length", ">", 4.5),
                                 start_time="2024-01-02")
    _, kw = view.state.training_data.last
    assert isinstance(kw["extra_filter"], SdkFilter)
    assert kw["extra_filter"].to_dict()["condition"] == "GREATER_THAN"
    assert kw["start_time"] == datetime(2024, 1, 2, tzinfo=UTC) and len(x) == len(y) == 30
    with pytest.raises(SchemaError, match="not a split"):
        view.fv.get_train_test_split(1)


def test_training_datasets_merge_hsfs_and_the_record(view: Any, sdk: SimpleNamespace,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import hsfs.training_dataset as td

    view.fv.train_test_split(test_size=0.2, seed=3, description="split one")
    spy(monkeypatch, sdk.feature_view.FeatureView, "get_training_datasets", result=[
        td.TrainingDataset(name="iris_view", version=2, data_format="tsv", featurestore_id=67,
                           description="made in the UI", seed=5),
        td.TrainingDataset(name="iris_view", version=1, data_format="tsv", featurestore_id=67)])
    one, two = view.fv.get_training_datasets()
    assert (one.version, one.description, one.seed, one.row_count) == (1, "split one", 3, 30)
    assert (two.version, two.description, two.seed, two.extra) == (
        2, "made in the UI", 5, {"recorded_by": "hopsworks"})


def test_keys_chosen_as_features_stay_in_x(view: Any, sdk: SimpleNamespace,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from hsfs.training_dataset_feature import TrainingDatasetFeature as Tdf

    view.real.schema = [Tdf("flower_id", "bigint"), Tdf("sepal_length", "double"),
                        Tdf("variety", "string", label=True)]
    x_train, *_ = view.fv.train_test_split(test_size=0.5, seed=0)
    assert list(x_train.columns) == ["flower_id", "sepal_length"]
    spy(monkeypatch, sdk.feature_view.FeatureView, "get_batch_data", result=pd.DataFrame(
        {"p_iris_1_ts": [pd.Timestamp("2024-01-01", tz="UTC")], "flower_id": [1],
         "sepal_length": [5.0]}))
    assert list(view.fv.get_batch_data(primary_key=True, event_time=True).columns) == [
        "ts", "flower_id", "sepal_length"]


def test_feature_vectors_use_serving_keys_and_missing_is_not_found(
        view: Any, sdk: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    one = spy(monkeypatch, sdk.feature_view.FeatureView, "get_feature_vector",
              result=[5.1, "2024-01-01"])
    many = spy(monkeypatch, sdk.feature_view.FeatureView, "get_feature_vectors",
               result=[[5.1], [5.2]])
    assert view.fv.get_feature_vector({"Flower ID": 3}) == [5.1, "2024-01-01"]
    assert one.last[1] == {"serving_keys": {"flower_id": 3}, "return_type": "list"}
    assert view.fv.get_feature_vectors([{"flower_id": 1}, {"flower_id": 2}]) == [[5.1], [5.2]]
    assert many.last[1]["serving_keys"] == [{"flower_id": 1}, {"flower_id": 2}]
    spy(monkeypatch, sdk.feature_view.FeatureView, "get_feature_vector",
        result=sdk.exceptions.FeatureStoreException(
            "Feature(s) {'sepal_length'} is missing from vector.Possible reasons: ..."))
    with pytest.raises(NotFoundError, match="feature vector for primary key"):
        view.fv.get_feature_vector({"flower_id": 404})
    with pytest.raises(SchemaError, match="flower_id"):
        view.fv.get_feature_vector({"wrong": 1})


def test_batch_data_serving_and_delete_pass_real_keywords(
        view: Any, sdk: SimpleNamespace, remote: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = spy(monkeypatch, sdk.feature_view.FeatureView, "get_batch_data",
                result=pd.DataFrame({"p_iris_1_flower_id": [1], "sepal_length": [5.0]}))
    init = spy(monkeypatch, sdk.feature_view.FeatureView, "init_serving")
    delete = spy(monkeypatch, sdk.feature_view.FeatureView, "delete")
    got = view.fv.get_batch_data(start_time="2024-01-01", primary_key=True)
    assert got.to_dict("list") == {"flower_id": [1], "sepal_length": [5.0]}
    assert batch.last[1]["start_time"] == datetime(2024, 1, 1, tzinfo=UTC)
    assert batch.last[1]["primary_key"] is True
    view.fv.init_serving(training_dataset_version=2)
    assert init.last[1] == {"training_dataset_version": 2}
    view.fv.train_test_split(test_size=0.2, seed=1)
    view.fv.delete()
    assert len(delete) == 1
    assert not (remote / "mlsys_Training_Datasets/mlsys/iris_view_1").exists()


