"""Serving from a bucket: each machine's online store is its own (in its cache folder), built
from the offline table when serving starts and brought up to it every ``online_refresh_s``, so
a serving machine with read access sees what another machine inserted."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import mlsys
from mlsys.errors import ConfigurationError
from mlsys.store.local.config import LocalConfig


def _login(bucket: str, cache: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> Any:
    monkeypatch.setenv("MLSYS_CACHE", str(cache))
    return mlsys.login(backend="local", home=f"s3://{bucket}/store", **options)


def test_a_serving_machine_sees_another_machines_inserts_after_the_refresh_interval(
        s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = _login(s3_bucket, tmp_path / "pipelines", monkeypatch)
    fg = writer.get_feature_store().get_or_create_feature_group(
        "items", 1, primary_key=["id"], online_enabled=True)
    fg.insert(pd.DataFrame({"id": [1, 2], "x": [1.0, 2.0]}))

    app = _login(s3_bucket, tmp_path / "space", monkeypatch, online_refresh_s=1.5)
    fs = app.get_feature_store()
    fv = fs.get_or_create_feature_view("items_view", 1,
                                       query=fs.get_feature_group("items", 1).select_all())
    fv.init_serving()  # built from the table as it is now, on this machine
    assert fv.get_feature_vector({"id": 2}) == [2, 2.0]

    fg.insert(pd.DataFrame({"id": [2, 3], "x": [20.0, 30.0]}))  # the other machine commits
    started = time.monotonic()
    assert fv.get_feature_vector({"id": 2}) == [2, 2.0]  # within the interval: as it was
    time.sleep(max(0.0, 1.6 - (time.monotonic() - started)))
    assert fv.get_feature_vector({"id": 2}) == [2, 20.0]  # looked again: the new commit
    assert fv.get_feature_vectors([{"id": 3}, {"id": 1}]) == [[3, 30.0], [1, 1.0]]

    fg.insert(pd.DataFrame({"id": [1], "x": [-1.0]}))
    fv.init_serving()  # serving (re)started: looks at once, whatever the interval
    assert fv.get_feature_vector({"id": 1}) == [1, -1.0]
    writer.close()
    app.close()


def test_the_refresh_interval_defaults_to_a_minute_in_a_bucket_and_is_checked(
        tmp_path: Path) -> None:
    assert LocalConfig(tmp_path, "p", bucket="s3://b/p").online_refresh_every == 60.0
    assert LocalConfig(tmp_path, "p").online_refresh_every is None  # writers update it
    assert LocalConfig(tmp_path, "p", online_refresh_s=0).online_refresh_every == 0
    with pytest.raises(ConfigurationError, match="online_refresh_s=-1"):
        LocalConfig(tmp_path, "p", online_refresh_s=-1)
