"""Test helpers for the Hopsworks adapter: real SDK objects built offline, and signature spies.

No cluster is reachable here, so the adapter's calls are checked where they meet the SDK:
:func:`spy` replaces one network method of a real SDK class by a stand-in that binds every call
against the method's real signature and refuses any keyword that is not a named parameter
(a keyword swallowed by ``**kwargs`` would be silently ignored by the SDK, as ``seed`` is by
hsfs's ``train_test_split``). Everything else — feature groups, queries, filters, suites,
reports, schemas, models — is the SDK's own object, made without a connection.
"""

from __future__ import annotations

import inspect
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

SDK_REASON = "the hopsworks SDK is not installed here (pip install 'mlsys[hopsworks]')"
KEY = "SENTINEL-hopsworks-key-7c1e9a52d4"


@dataclass
class Calls:
    """What a spied method was called with: one ``(args, kwargs)`` per call."""

    name: str
    items: list[tuple[tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    @property
    def last(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        assert self.items, f"{self.name} was not called"
        return self.items[-1]

    def __len__(self) -> int:
        return len(self.items)


def named_parameters(fn: Any) -> set[str]:
    kinds = (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    return {p.name for p in inspect.signature(fn).parameters.values() if p.kind not in kinds}


def spy(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, result: Any = None,
        effect: Any = None) -> Calls:
    """Replace ``owner.name`` (a method of an SDK class, or a module function) by a stand-in
    that checks each call against the real signature, records it and returns ``result``
    (or ``effect(*args, **kwargs)``; an exception ``result`` is raised)."""
    real = getattr(owner, name)
    signature = inspect.signature(real)
    named = named_parameters(real)
    calls = Calls(f"{getattr(owner, '__name__', owner)}.{name}")
    is_method = inspect.isclass(owner)

    def stand_in(*args: Any, **kwargs: Any) -> Any:
        signature.bind(*args, **kwargs)  # TypeError on a wrong call
        unknown = sorted(set(kwargs) - named)
        assert not unknown, f"{calls.name} has no parameter(s) {unknown}"
        calls.items.append((args[1:] if is_method else args, kwargs))
        if isinstance(result, BaseException):
            raise result
        return effect(*args, **kwargs) if effect is not None else result

    stand_in.__wrapped__ = real  # type: ignore[attr-defined]  # a second spy sees the real one
    monkeypatch.setattr(owner, name, stand_in)
    return calls


def load_sdk(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The SDK modules the tests use; hsfs queries built offline need an engine type, set
    the way hsfs's own test hook (``hsfs.engine._set_instance``) sets it."""
    pytest.importorskip("hopsworks", reason=SDK_REASON)
    from mlsys.store.hopsworks.errors import quiet_sdk

    with quiet_sdk():
        import great_expectations as gx
        import hopsworks
        import hopsworks_common.connection as connection
        import hopsworks_common.project as project
        import hsfs.constructor.query as query
        import hsfs.expectation_suite as expectation_suite
        import hsfs.feature as feature
        import hsfs.feature_group as feature_group
        import hsfs.feature_store as feature_store
        import hsfs.feature_view as feature_view
        import hsfs.validation_report as validation_report
        import hsml.model as model
        import hsml.model_registry as model_registry
        import hsml.python.model as python_model
        import hsml.python.signature as python_signature
        import hsml.sklearn.signature as sklearn_signature
        import requests
        from hopsworks_common.client import exceptions
        from hopsworks_common.core import dataset_api
        from hsml.model_schema import ModelSchema
    monkeypatch.setattr(connection, "_hsfs_engine_type", "python")
    return SimpleNamespace(
        gx=gx, hopsworks=hopsworks, connection=connection, project=project, query=query,
        expectation_suite=expectation_suite, feature=feature, feature_group=feature_group,
        feature_store=feature_store, feature_view=feature_view,
        validation_report=validation_report, model=model, model_registry=model_registry,
        python_model=python_model, python_signature=python_signature,
        sklearn_signature=sklearn_signature, requests=requests, exceptions=exceptions,
        dataset_api=dataset_api, ModelSchema=ModelSchema)


def iris_group(sdk: SimpleNamespace, *, fg_id: int | None = 11, online: bool = False) -> Any:
    """A real hsfs FeatureGroup as the server describes a saved one (``fg_id=None``: unsaved)."""
    f = sdk.feature.Feature
    return sdk.feature_group.FeatureGroup(
        name="iris", version=1, featurestore_id=67, id=fg_id, primary_key=["flower_id"],
        event_time="ts", online_enabled=online, partition_key=[],
        features=[f("flower_id", "bigint", primary=True), f("ts", "timestamp"),
                  f("sepal_length", "double"), f("variety", "string")] if fg_id else None)


def labels_group(sdk: SimpleNamespace) -> Any:
    f = sdk.feature.Feature
    return sdk.feature_group.FeatureGroup(
        name="labels", version=1, featurestore_id=67, id=12, primary_key=["flower_id"],
        event_time="ts", features=[f("flower_id", "bigint", primary=True), f("ts", "timestamp"),
                                   f("sepal_length", "double"), f("source", "string")])


def stored_report(sdk: SimpleNamespace, ingestion: str = "REJECTED") -> Any:
    """An hsfs ValidationReport parsed from the JSON the Hopsworks REST API returns."""
    def result(success: bool, etype: str, kwargs: dict[str, Any], res: dict[str, Any]) -> Any:
        return {"success": success, "expectationConfig": json.dumps(
                    {"expectation_type": etype, "kwargs": kwargs, "meta": {"expectationId": 4}}),
                "result": json.dumps(res), "exceptionInfo": json.dumps(
                    {"raised_exception": False, "exception_message": None}),
                "meta": "{}", "ingestionResult": ingestion, "validationTime": 1704067200000}
    return sdk.validation_report.ValidationReport.from_response_json({
        "id": 41, "success": False, "validationTime": "2024-01-01T00:00:00.000Z",
        "ingestionResult": ingestion, "statistics": "{}", "evaluationParameters": "{}",
        "meta": json.dumps({"expectation_suite_name": "iris"}),
        "results": [
            result(True, "expect_column_values_to_not_be_null", {"column": "flower_id"},
                   {"element_count": 3, "unexpected_count": 0, "unexpected_percent": 0.0,
                    "partial_unexpected_list": []}),
            result(False, "expect_column_values_to_be_between",
                   {"column": "sepal_length", "min_value": 4, "max_value": 8},
                   {"element_count": 3, "unexpected_count": 1, "unexpected_percent": 33.3,
                    "partial_unexpected_list": [99.0]}),
        ]})


def stored_suite(sdk: SimpleNamespace, policy: str = "STRICT") -> Any:
    """An hsfs ExpectationSuite parsed from the REST JSON of an attached suite."""
    return sdk.expectation_suite.ExpectationSuite.from_response_json({
        "id": 3, "expectationSuiteName": "iris", "meta": "{}", "runValidation": True,
        "validationIngestionPolicy": policy, "featureStoreId": 67, "featureGroupId": 11,
        "expectations": [{"id": 4, "expectationType": "expect_column_values_to_be_between",
                          "kwargs": json.dumps({"column": "sepal_length", "min_value": 4,
                                                "max_value": 8}),
                          "meta": json.dumps({"expectationId": 4})}]})


def rest_error(sdk: SimpleNamespace, status: int, body: dict[str, Any] | None = None) -> Any:
    """The SDK's RestAPIError for a response with ``status`` (a real requests.Response)."""
    response = sdk.requests.Response()
    response.status_code = status
    response.reason = {404: "Not Found", 401: "Unauthorized", 409: "Conflict"}.get(status, "")
    response._content = json.dumps(body or {"errorCode": 1, "errorMsg": "m"}).encode()
    return sdk.exceptions.RestAPIError("https://h/hopsworks-api/api/x", response)


def spy_project_files(monkeypatch: pytest.MonkeyPatch, sdk: SimpleNamespace, root: Path) -> Path:
    """Spy the dataset API's transfers (real signatures) with stand-ins that keep the project
    files under ``root``, with the datasets every project "mlsys" has."""
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

    def listing(self: Any, path: str, offset: int = 0, limit: int = 1000) -> list[str]:
        return sorted(f"{path}/{p.name}" for p in (root / path).iterdir())[offset:offset + limit]

    spy(monkeypatch, api, "exists", effect=lambda self, path: (root / path).exists())
    spy(monkeypatch, api, "mkdir",
        effect=lambda self, path: (root / path).mkdir() or f"/Projects/p/{path}")
    spy(monkeypatch, api, "upload", effect=upload)
    spy(monkeypatch, api, "download", effect=download)
    spy(monkeypatch, api, "move", effect=move)
    spy(monkeypatch, api, "remove", effect=remove)
    spy(monkeypatch, api, "list", effect=listing)
    (root / "Resources").mkdir(parents=True)
    (root / "mlsys_Training_Datasets").mkdir()
    return root
