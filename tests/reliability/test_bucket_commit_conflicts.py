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


def fa_bucket(fg: Any) -> str:
    """The bucket a group's store lives in."""
    return str(fg._ctx.config.bucket).removeprefix("s3://").split("/")[0]


def _rival_commits(monkeypatch: pytest.MonkeyPatch, rival: Any, times: int) -> list[int]:
    """Make the next ``times`` MERGE snapshots stale: right after one is opened, ``rival``
    upserts a new key (a real commit). Returns the rival's keys, as they are written."""
    real_open, real_merge = tables.open_table, tables.merge
    state = {"in_merge": False, "rival": False, "left": times}
    written: list[int] = []

    def race() -> None:
        if state["left"] and not state["rival"]:
            state["left"] -= 1
            state["rival"] = True  # the rival's own insert is not raced
            try:
                key = 100 + len(written)
                rival.insert(pd.DataFrame({"id": [key], "x": [-1.0]}))
                written.append(key)
            finally:
                state["rival"] = False

    def merge(path: Any, data: Any, keys: Any, metadata: Any = None, table: Any = None) -> Any:
        if table is not None:  # the insert's own snapshot, opened before this call
            race()
        state["in_merge"] = True
        try:
            return real_merge(path, data, keys, metadata, table)
        finally:
            state["in_merge"] = False

    def open_table(path: Any, version: int | None = None) -> Any:
        table = real_open(path, version)
        if state["in_merge"]:  # a snapshot the MERGE opened itself (a retry)
            race()
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


CHILD = """
import sys, pandas as pd, mlsys
bucket, writer, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
fg = mlsys.login(backend="local", home=f"s3://{bucket}/store").get_feature_store(
    ).get_feature_group("items", 1)
base = 1000 if writer == "a" else 2000
for i in range(count):
    # a key of its own and one both writers update: their MERGEs read each other's files
    fg.insert(pd.DataFrame({"id": [base + i, 0], "x": [float(i), float(base + i)]}))
print("DONE")
"""


def test_two_processes_on_two_machines_upserting_one_group_lose_no_row(
        writers: tuple[Any, Any], s3_server: Any, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    fa, _ = writers
    count = 8
    children = [subprocess.Popen(
        [sys.executable, "-c", CHILD, fa_bucket(fa), writer, str(count)],
        env={**os.environ, **s3_server.env(), "MLSYS_CACHE": str(tmp_path / f"proc-{writer}")},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for writer in "ab"]
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0 and "DONE" in out, err[-3000:]
    rows = fa.read().set_index("id")["x"].to_dict()
    mine = {k: v for k, v in rows.items() if k >= 1000}
    assert mine == {**{1000 + i: float(i) for i in range(count)},
                    **{2000 + i: float(i) for i in range(count)}}
    assert rows[0] in {1000.0 + count - 1, 2000.0 + count - 1}  # the last writer's value
    assert sorted(rows) == [0, 1, 2, 3, 4, *sorted(mine)]  # and no key twice
    assert len(fa.read()) == len(rows)
