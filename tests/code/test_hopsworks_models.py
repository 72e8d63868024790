"""The Hopsworks adapter's model registry, dataset API and project, against the real hsml /
hopsworks_common classes and signatures (see ``hopsworks_sdk``).

The dataset API's file transfers are spied with stand-ins that keep the "project files" in a
temporary directory; each call is still bound against the SDK's real method signature.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from hopsworks_sdk import KEY, iris_group, load_sdk, spy, spy_project_files

from mlsys.errors import (
    AlreadyExistsError,
    IntegrityError,
    InvalidNameError,
    NotFoundError,
    SchemaError,
)
from mlsys.store.api import ModelSchema, Schema
from mlsys.store.hopsworks.config import HopsworksConfig
from mlsys.store.hopsworks.context import Context
from mlsys.store.hopsworks.datasets import STAGING_PREFIX, HopsworksDatasetApi
from mlsys.store.hopsworks.errors import SdkCalls
from mlsys.store.hopsworks.feature_view import HopsworksFeatureView
from mlsys.store.hopsworks.models import MANIFEST, HopsworksModelRegistry
from mlsys.store.hopsworks.project import HopsworksProject


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
        sdk: SimpleNamespace, registry: HopsworksModelRegistry, ctx: Context, framework: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_view = sdk.feature_view.FeatureView(name="iris_view", query=iris_group(sdk).select_all(),
                                             featurestore_id=67, version=1, labels=["variety"])
    view = SimpleNamespace(fv=HopsworksFeatureView(real_view, ctx), real=real_view)
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
        shutil.copytree(store, local_path, dirs_exist_ok=True)
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
    assert sorted(p.name for p in out.iterdir()) == ["model.pkl"]  # no manifest in the copy
    assert (out / "model.pkl").read_bytes() == b"weights"
    fresh = Path(model.download())  # a new temporary directory, never hsml's cache
    assert fresh != out and (fresh / "model.pkl").read_bytes() == b"weights"
    shutil.rmtree(fresh)
    with pytest.raises(AlreadyExistsError, match="already saved"):
        model.save(str(source))
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
