"""Shared fixtures: every test runs offline against a temporary store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Set before any test imports GE / gradio / matplotlib so nothing phones home or opens a window.
for _key, _value in {"GX_ANALYTICS_ENABLED": "False", "GRADIO_ANALYTICS_ENABLED": "False",
                     "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg"}.items():
    os.environ.setdefault(_key, _value)


@pytest.fixture
def store_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty local store, also exported as MLSYS_HOME for code that logs in by itself."""
    home = tmp_path / "store"
    monkeypatch.setenv("MLSYS_HOME", str(home))
    monkeypatch.setenv("MLSYS_BACKEND", "local")
    yield home


# the S3-compatible server (moto's, on 127.0.0.1) for tests of a store on object storage
from s3_server import s3_bucket, s3_server  # noqa: E402,F401
