"""The Hopsworks adapter's feature views (recorded splits, serving), model registry, dataset
API and project, against the real SDK classes and signatures (see ``hopsworks_sdk``).

The dataset API's file transfers are spied with stand-ins that keep the "project files" in a
temporary directory; each call is still bound against the SDK's real method signature.
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from hopsworks_sdk import KEY, iris_group, load_sdk, named_parameters, spy

from mlsys.errors import (
    AlreadyExistsError,
    IntegrityError,
    InvalidNameError,
    NotFoundError,
    SchemaError,
)
from mlsys.store.api import Filter, ModelSchema, Schema
from mlsys.store.hopsworks.config import HopsworksConfig
from mlsys.store.hopsworks.context import Context
from mlsys.store.hopsworks.datasets import STAGING_PREFIX, HopsworksDatasetApi
from mlsys.store.hopsworks.errors import SdkCalls
from mlsys.store.hopsworks.feature_view import HopsworksFeatureView
from mlsys.store.hopsworks.models import MANIFEST, HopsworksModelRegistry
from mlsys.store.hopsworks.project import HopsworksProject
from mlsys.store.hopsworks.splits import RECORD_ROOT


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    return load_sdk(monkeypatch)


@pytest.fixture
def remote(sdk: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Project files of the spied dataset API live here."""
    root = tmp_path / "project"
    root.mkdir()
    api = sdk.dataset_api.DatasetApi

    def upload(self: Any, local_path: str, upload_path: str, **_: Any) -> str:
        src = Path(local_path)
        dest = root / upload_path / src.name
        (shutil.copytree if src.is_dir() else shutil.copyfile)(src, dest)
        return f"{upload_path}/{src.name}"

    def download(self: Any, path: str, local_path: str | None = None, **_: Any) -> str:
        dest = Path(local_path or ".")
        dest = dest / Path(path).name if dest.is_dir() else dest
        shutil.copyfile(root / path, dest)
        return str(dest)

    def move(self: Any, source_path: str, destination_path: str, **_: Any) -> None:
        (root / source_path).replace(root / destination_path)

    def remove(self: Any, path: str) -> None:
        target = root / path
        shutil.rmtree(target) if target.is_dir() else target.unlink()

    spy(monkeypatch, api, "exists", effect=lambda self, path: (root / path).exists())
    spy(monkeypatch, api, "mkdir",
        effect=lambda self, path: (root / path).mkdir() or f"/Projects/p/{path}")
    spy(monkeypatch, api, "upload", effect=upload)
    spy(monkeypatch, api, "download", effect=download)
    spy(monkeypatch, api, "move", effect=move)
    spy(monkeypatch, api, "remove", effect=remove)
    spy(monkeypatch, api, "list", effect=lambda self, path, offset=0, limit=1000: sorted(
        f"{path}/{p.name}" for p in (root / path).iterdir())[offset:offset + limit])
    (root / "Resources").mkdir()
    return root


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
    state = SimpleNamespace(rows=_rows(), order=itertools.count(1), versions=itertools.count(1))
    real = sdk.feature_view.FeatureView(name="iris_view", query=iris_group(sdk).select_all(),
                                        featurestore_id=67, version=1, labels=["variety"])

    def read(*_: Any, **__: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
        shuffled = state.rows.sample(frac=1, random_state=next(state.order))
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
    record = json.loads((remote / RECORD_ROOT / "iris_view_1" / "1.json").read_text())
    assert (record["seed"], record["stratify"], len(record["test_keys"])) == (7, True, 6)
    # the same seed on rows read in another order gives the same split
    again = view.fv.train_test_split(test_size=0.2, seed=7, stratify=True, primary_key=True)
    assert view.fv.get_last_accessed_training_dataset() == 2
    assert sorted(again[1]["flower_id"]) == sorted(
        json.loads(k)[0] for k in record["test_keys"])


def test_recorded_split_comes_back_row_for_row(view: Any) -> None:
    first = view.fv.train_test_split(test_size=0.3, seed=1, primary_key=True, event_time=True)
    view.state.rows = pd.concat([view.state.rows, _rows(1, 0).assign(flower_id=99)])
    back = view.fv.get_train_test_split(1, primary_key=True, event_time=True)
    for a, b in zip(first, back, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert view.state.get_training_data.last[0] == (1,)
    view.state.rows = view.state.rows.iloc[1:]  # a recorded row disappears
    with pytest.raises(IntegrityError, match="no longer in the feature groups"):
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
    assert kw["start_time"] == "2024-01-02" and len(x) == len(y) == 30
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


def test_batch_data_serving_and_delete_pass_real_keywords(
        view: Any, sdk: SimpleNamespace, remote: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = spy(monkeypatch, sdk.feature_view.FeatureView, "get_batch_data",
                result=pd.DataFrame({"sepal_length": [5.0]}))
    init = spy(monkeypatch, sdk.feature_view.FeatureView, "init_serving")
    delete = spy(monkeypatch, sdk.feature_view.FeatureView, "delete")
    assert len(view.fv.get_batch_data(start_time="2024-01-01", primary_key=True)) == 1
    assert batch.last[1]["start_time"] == "2024-01-01" and batch.last[1]["primary_key"]
    view.fv.init_serving(training_dataset_version=2)
    assert init.last[1] == {"training_dataset_version": 2}
    view.fv.train_test_split(test_size=0.2, seed=1)
    view.fv.delete()
    assert len(delete) == 1 and not (remote / RECORD_ROOT / "iris_view_1").exists()


# ----------------------------------------------------------------- model registry


@pytest.fixture
def registry(sdk: SimpleNamespace, ctx: Context) -> HopsworksModelRegistry:
    real = sdk.model_registry.ModelRegistry(project_name="p", project_id=1, model_registry_id=5)
    return HopsworksModelRegistry(real, ctx)


def _model(sdk: SimpleNamespace, version: int | None, metrics: dict[str, float]) -> Any:
    return sdk.python_model.Model(id=version, name="iris_model", version=version,
                                  metrics=metrics)


@pytest.mark.parametrize("framework", ["python", "sklearn"])
def test_create_model_maps_schema_metrics_and_view(
        sdk: SimpleNamespace, registry: HopsworksModelRegistry, view: Any, framework: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    module = getattr(sdk, f"{framework}_signature")
    calls = spy(monkeypatch, module, "create_model",
                effect=lambda **kw: sdk.python_model.Model(id=None, **kw))
    x = pd.DataFrame({"sepal_length": [5.0]})
    model = getattr(registry, framework).create_model(
        "iris_model", metrics={"accuracy": 1, "f1": 0.5}, input_example=x,
        model_schema=ModelSchema(Schema.from_frame(x), Schema.from_frame(pd.Series(
            ["a"], name="variety"))), feature_view=view.fv, training_dataset_version=2)
    _, kw = calls.last
    assert kw["metrics"] == {"accuracy": 1.0, "f1": 0.5} and kw["feature_view"] is view.real
    assert isinstance(kw["model_schema"], sdk.ModelSchema)
    assert model.model_schema is not None  # unsaved: the hsml schema's own JSON
    assert model.model_schema["input_schema"]["columnar_schema"] == [
        {"name": "sepal_length", "type": "float64"}]
    assert model.model_schema["output_schema"]["columnar_schema"][0]["name"] == "variety"
    assert model.training_metrics == {"accuracy": 1.0, "f1": 0.5} and model.version is None
    assert model.feature_view == ("iris_view", 1)
    with pytest.raises(SchemaError, match="metric 'note'"):
        registry.python.create_model("iris_model", metrics={"note": "good"})
    with pytest.raises(SchemaError, match="this Hopsworks project"):
        registry.python.create_model("iris_model", feature_view=object())  # type: ignore
    assert len(calls) == 1


def test_save_registers_a_manifest_and_download_verifies_it(
        sdk: SimpleNamespace, registry: HopsworksModelRegistry, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "registry"

    def save(self: Any, model_path: str, **_: Any) -> Any:
        shutil.copytree(model_path, store)
        self._id, self._version = 1, 1
        return self

    def download(self: Any, local_path: str | None = None) -> str:
        shutil.copytree(store, local_path)
        return str(local_path)

    spy(monkeypatch, sdk.python_signature, "create_model",
        effect=lambda **kw: sdk.python_model.Model(id=None, **kw))
    save_calls = spy(monkeypatch, sdk.model.Model, "save", effect=save)
    spy(monkeypatch, sdk.model.Model, "download", effect=download)
    source = tmp_path / "model"
    source.mkdir()
    (source / "model.pkl").write_bytes(b"weights")
    model = registry.python.create_model("iris_model", metrics={"accuracy": 0.9})
    model.save(str(source))
    assert save_calls.last[1] == {"await_registration": 480, "keep_original_files": False}
    assert sorted(p.name for p in source.iterdir()) == ["model.pkl"]  # the user's dir untouched
    manifest = json.loads((store / MANIFEST).read_text())
    assert manifest["model.pkl"]["size"] == 7
    out = Path(model.download(str(tmp_path / "out")))
    assert (out / "model.pkl").read_bytes() == b"weights"
    (store / "model.pkl").write_bytes(b"tampered")
    with pytest.raises(IntegrityError, match=r"model\.pkl"):
        model.download(str(tmp_path / "out2"))
    assert not (tmp_path / "out2").exists()


def test_registry_lookups_and_best_model(sdk: SimpleNamespace,
                                         registry: HopsworksModelRegistry,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    versions = [_model(sdk, 2, {"f1": 0.8}), _model(sdk, 1, {"f1": 0.8}),
                _model(sdk, 3, {"f1": 0.7, "acc": 0.9})]
    get = spy(monkeypatch, sdk.model_registry.ModelRegistry, "get_model", result=None)
    spy(monkeypatch, sdk.model_registry.ModelRegistry, "get_models", result=versions)
    with pytest.raises(NotFoundError, match=r"'iris_model v1' does not exist; existing: "
                                            r"iris_model v1, iris_model v2, iris_model v3"):
        registry.get_model("iris_model")
    assert get.last[1] == {"version": 1}
    assert [m.version for m in registry.get_models("iris_model")] == [1, 2, 3]
    best = registry.get_best_model("iris_model", "f1", "max")
    assert best is not None and best.version == 2  # a tie goes to the newest version
    worst = registry.get_best_model("iris_model", "f1", "min")
    assert worst is not None and worst.version == 3
    assert registry.get_best_model("iris_model", "loss", "min") is None
    with pytest.raises(SchemaError, match="direction"):
        registry.get_best_model("iris_model", "f1", "up")  # type: ignore[arg-type]


# ----------------------------------------------------------------- dataset API


@pytest.fixture
def files(sdk: SimpleNamespace, ctx: Context) -> HopsworksDatasetApi:
    return HopsworksDatasetApi(ctx.dataset_api(), ctx)


def test_upload_creates_parents_and_moves_into_place(files: HopsworksDatasetApi, remote: Path,
                                                     tmp_path: Path) -> None:
    picture = tmp_path / "latest.png"
    picture.write_bytes(b"png-1")
    assert files.upload(str(picture), "Resources/images/iris") == \
        "Resources/images/iris/latest.png"
    assert (remote / "Resources/images/iris/latest.png").read_bytes() == b"png-1"
    assert not [p for p in (remote / "Resources/images/iris").iterdir()
                if p.name.startswith(STAGING_PREFIX)]
    picture.write_bytes(b"png-2")
    with pytest.raises(AlreadyExistsError, match="overwrite=True"):
        files.upload(str(picture), "Resources/images/iris")
    files.upload(str(picture), "Resources/images/iris", overwrite=True)
    assert files.read_bytes("Resources/images/iris/latest.png") == b"png-2"
    with pytest.raises(NotFoundError, match="local file"):
        files.upload(str(tmp_path / "nope.png"), "Resources")
    with pytest.raises(InvalidNameError):
        files.upload(str(picture), "../outside")


def test_list_exists_remove_mkdir_download(files: HopsworksDatasetApi, remote: Path,
                                           tmp_path: Path) -> None:
    assert files.mkdir("Resources/reports/daily") == "Resources/reports/daily"
    (remote / "Resources/reports/b.html").write_text("b")
    (remote / "Resources/reports/a.html").write_text("a")
    (remote / f"Resources/reports/{STAGING_PREFIX}x").mkdir()
    assert files.list("Resources/reports") == [
        "Resources/reports/a.html", "Resources/reports/b.html", "Resources/reports/daily"]
    assert files.exists("Resources/reports/a.html")
    got = files.download("Resources/reports/a.html", str(tmp_path))
    assert Path(got).read_text() == "a"
    with pytest.raises(AlreadyExistsError):
        files.download("Resources/reports/a.html", str(tmp_path))
    files.remove("Resources/reports/a.html")
    with pytest.raises(NotFoundError, match=r"'a.html' does not exist; existing: b.html, daily"):
        files.remove("Resources/reports/a.html")
    with pytest.raises(NotFoundError):
        files.list("Resources/none")


# ----------------------------------------------------------------- project


def test_project_opens_each_store_once(sdk: SimpleNamespace, ctx: Context,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    project = sdk.project.Project(project_name="p", project_id=1)
    fs = spy(monkeypatch, sdk.project.Project, "get_feature_store",
             result=sdk.feature_store.FeatureStore(
                 featurestore_id=67, featurestore_name="p_featurestore", created=None,
                 project_name="p", project_id=1, offline_featurestore_name="p",
                 online_enabled=True))
    spy(monkeypatch, sdk.project.Project, "get_model_registry",
        result=sdk.model_registry.ModelRegistry(project_name="p", project_id=1,
                                                model_registry_id=5))
    mine = HopsworksProject(Context(ctx.config, ctx.calls, project,
                                    _dataset_api=ctx.dataset_api()))
    assert mine.name == "p" and mine.backend == "hopsworks"
    assert mine.get_feature_store() is mine.get_feature_store() and len(fs) == 1
    assert fs.last[1] == {"name": None}
    assert mine.get_model_registry().python.sdk is sdk.python_signature
    assert isinstance(mine.get_dataset_api(), HopsworksDatasetApi)
    assert KEY not in repr(mine) and KEY not in repr(mine.config)
