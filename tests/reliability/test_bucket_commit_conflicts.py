"""Two writers of one group on a bucket (two machines: a cache folder each, no common lock):
a MERGE whose snapshot another writer's commit made stale is refused by delta-rs and redone on
the new version, so neither write is lost; past the bounded attempts the insert says so, with
nothing of it committed. The rival commit is real (the other writer's insert), forced between
the stale snapshot and its commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import mlsys
from mlsys.errors import ConcurrencyError
from mlsys.store.local import commits, tables

pytestmark = pytest.mark.usefixtures("s3_bucket")


def _login(bucket: str, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("MLSYS_CACHE", str(cache))
    return mlsys.login(backend="local", home=f"s3://{bucket}/store")


@pytest.fixture
def writers(s3_bucket: str, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    a = _login(s3_bucket, tmp_path / "machine-a", monkeypatch)
    b = _login(s3_bucket, tmp_path / "machine-b", monkeypatch)
    fa = a.get_feature_store().get_or_create_feature_group("items", 1, primary_key=["id"])
    fa.insert(pd.DataFrame({"id": range(5), "x": [0.0] * 5}))
    fb = b.get_feature_store().get_feature_group("items", 1)
    yield fa, fb
    a.close()
    b.close()


def _rival_commits(monkeypatch: pytest.MonkeyPatch, rival: Any, times: int) -> list[int]:
    """Make the next ``times`` MERGE snapshots stale: right after one is opened, ``rival``
    upserts a new key (a real commit). Returns the rival's keys, as they are written."""
    real_open, real_merge = tables.open_table, tables.merge
    state = {"in_merge": False, "rival": False, "left": times}
    written: list[int] = []

    def merge(*args: Any, **kwargs: Any) -> Any:
        state["in_merge"] = True
        try:
            return real_merge(*args, **kwargs)
        finally:
            state["in_merge"] = False

    def open_table(path: Any, version: int | None = None) -> Any:
        table = real_open(path, version)
        if state["in_merge"] and state["left"] and not state["rival"]:
            state["left"] -= 1
            state["rival"] = True  # the rival's own insert is not raced
            try:
                key = 100 + len(written)
                rival.insert(pd.DataFrame({"id": [key], "x": [-1.0]}))
                written.append(key)
            finally:
                state["rival"] = False
        return table

    monkeypatch.setattr(tables, "merge", merge)
    monkeypatch.setattr(tables, "open_table", open_table)
    return written


def test_a_merge_made_stale_by_another_writer_is_redone_and_both_land(
        writers: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    fa, fb = writers
    rival = _rival_commits(monkeypatch, fb, times=1)
    job, _ = fa.insert(pd.DataFrame({"id": [1, 2, 7], "x": [1.0, 2.0, 7.0]}))
    assert rival == [100]
    rows = fa.read().set_index("id")["x"].to_dict()
    assert rows == {0: 0.0, 1: 1.0, 2: 2.0, 3: 0.0, 4: 0.0, 7: 7.0, 100: -1.0}
    # the redone commit follows the rival's: three commits in all, the last one ours
    assert job.commit_version == 2 == fb.read_page(0, 1).commit
    assert list(fa.read().sort_values("id")["id"]) == [0, 1, 2, 3, 4, 7, 100]


def test_a_writer_that_keeps_losing_gives_up_with_nothing_committed(
        writers: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    fa, fb = writers
    monkeypatch.setattr(commits, "COMMIT_ATTEMPTS", 3)
    rival = _rival_commits(monkeypatch, fb, times=10)
    with pytest.raises(ConcurrencyError, match="3 commits in a row met concurrent") as err:
        fa.insert(pd.DataFrame({"id": [1, 7], "x": [1.0, 7.0]}))
    assert "nothing of this write was committed" in str(err.value)
    assert rival == [100, 101, 102]
    rows = fb.read().set_index("id")["x"].to_dict()
    assert rows == {0: 0.0, 1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0, 100: -1.0, 101: -1.0, 102: -1.0}
