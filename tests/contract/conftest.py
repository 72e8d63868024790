"""The store contract's fixtures: every test runs against each backend.

``local`` always runs (a fresh store under ``tmp_path``); ``bucket`` is the same backend with
``MLSYS_HOME=s3://<bucket>/store`` on a real S3-compatible server (moto's, started by the
session on 127.0.0.1; about a minute for the whole contract);
``hopsworks`` runs only with a cluster (``HOPSWORKS_API_KEY``) and then gives every entity a
unique name, since the cluster's project is shared between runs.
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import mlsys
from mlsys.store.api import Project

BACKENDS = ["local", "bucket", pytest.param("hopsworks", marks=pytest.mark.hopsworks)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "hopsworks" and not os.environ.get("HOPSWORKS_API_KEY"):
        pytest.skip("HOPSWORKS_API_KEY is not set")
    return name


@pytest.fixture
def project(backend: str, tmp_path: Path, request: pytest.FixtureRequest,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A project of each backend."""
    if backend == "local":
        proj = mlsys.login(backend="local", home=tmp_path / "store")
    elif backend == "bucket":
        bucket = request.getfixturevalue("s3_bucket")
        monkeypatch.setenv("MLSYS_CACHE", str(tmp_path / "cache"))
        proj = mlsys.login(backend="local", home=f"s3://{bucket}/store")
    else:
        importlib.import_module("mlsys.store.hopsworks")  # only ever for this backend
        proj = mlsys.login(backend="hopsworks")
    with proj:
        yield proj


@pytest.fixture
def local_project(tmp_path: Path) -> Iterator[Project]:
    """The local backend only: for tests that look at or damage files on disk."""
    with mlsys.login(backend="local", home=tmp_path / "store") as proj:
        yield proj


@pytest.fixture
def name(backend: str) -> Callable[[str], str]:
    """Entity names: as given locally, made unique on a shared cluster."""
    suffix = "" if backend in ("local", "bucket") else f"_{uuid.uuid4().hex[:8]}"
    return lambda base: f"{base}{suffix}"

