"""Compaction and checkpoints on insert: a table grown one commit a day stays fast to read and
reads exactly what it read before.

Every insert that leaves ``COMPACT_AT`` small files compacts them, and every ``CHECKPOINT_EVERY``
log entries a checkpoint is written. The rows, their order, every older version, every recorded
training dataset, the online store and ``verify`` are the same as without it; the compaction
commits (which change no rows) are not listed by ``commit_details``, as on Hopsworks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import mlsys
from mlsys.errors import InvalidArgumentError, UpkeepWarning
from mlsys.store.local import maintenance, table_log, tables

DAYS = 30


def _day(i: int) -> pd.DataFrame:
    return pd.DataFrame({"id": [i], "x": [float(i) / 7], "y": [i % 2],
                         "t": [pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(days=i)]})


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("id").reset_index(drop=True)


def _daily(tmp_path: Path) -> tuple[Any, Any]:
    """A fresh store and its group "daily" (no online store)."""
    project = mlsys.login(home=tmp_path / "store")
    return project, project.get_feature_store().get_or_create_feature_group(
        "daily", 1, primary_key=["id"], event_time="t")


def test_daily_inserts_keep_few_files_and_every_version_reads_the_same(tmp_path: Path) -> None:
    project = mlsys.login(home=tmp_path / "store")
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group("daily", 1, primary_key=["id"], event_time="t",
                                        online_enabled=True)
    seen: dict[int, pd.DataFrame] = {}  # data commit -> the rows after it
    recorded = []
    for i in range(DAYS):
        job, _ = fg.insert(_day(i))
        assert job.commit_version is not None
        seen[job.commit_version] = _sorted(pd.concat([_day(j) for j in range(i + 1)]))
        if i == 0:  # a view needs the group's features, known from the first insert
            fv = fs.get_or_create_feature_view("v", 1, fg.select_all(), labels=["y"])
        if i in (5, 17):
            fv.train_test_split(test_size=0.3, seed=i)
            td = max(t.version for t in fv.get_training_datasets())
            recorded.append((td, fv.get_train_test_split(td)))
    fg.insert(_day(3).assign(x=42.0))  # an update rewrites a compacted file

    path = Path(project.config.table_dir("daily", 1))  # type: ignore[attr-defined]
    assert maintenance.small_files(tables.open_table(path)) < maintenance.COMPACT_AT
    versions = [h["version"] for h in table_log.history(path)]
    assert len(versions) > DAYS + 1  # compactions happened: they are commits of their own
    assert maintenance.last_checkpoint(path) is not None
    assert max(versions) - maintenance.last_checkpoint(path) < maintenance.CHECKPOINT_EVERY

    details = fg.commit_details()
    assert sorted(details) == [*sorted(seen), max(details)]  # data commits only, the update last
    assert {d["operation"] for d in details.values()} <= {"INSERT", "UPSERT"}
    assert len(fg.commit_details(limit=5)) == 5
    assert fg.commit_details(limit=0) == {}
    for bad in (-1, 2.5, True):
        with pytest.raises(InvalidArgumentError, match=f"limit {bad!r} must be a whole number"):
            fg.commit_details(limit=bad)  # type: ignore[arg-type]
    for version, rows in seen.items():  # time travel to every data commit
        page = fg.read_page(0, 100, commit=version)  # type: ignore[attr-defined]
        assert page.total_rows == len(rows)
        pd.testing.assert_frame_equal(_sorted(page.rows), rows, check_dtype=False)
    latest = fg.read()
    # oldest commit first, as without compaction: the updated row is the newest
    assert list(latest["id"]) == [i for i in range(DAYS) if i != 3] + [3]
    assert latest.loc[latest["id"] == 3, "x"].item() == 42.0
    for td, split in recorded:  # each recorded split reads exactly its rows, old values kept
        for again, before in zip(fv.get_train_test_split(td), split, strict=True):
            pd.testing.assert_frame_equal(again, before)
    # the online store followed the compactions instead of lagging (no rebuild needed)
    store = fg.online_store()  # type: ignore[attr-defined]
    assert store.synced_version() == tables.current_version(path)
    assert fs.get_feature_group("daily", 1).online_store().get([3])[1] == 42.0  # type: ignore[attr-defined]
    assert project.verify().ok, project.verify().lines()  # type: ignore[attr-defined]
    project.close()


def test_a_failed_compaction_warns_and_keeps_the_insert(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    project, fg = _daily(tmp_path)
    for i in range(maintenance.COMPACT_AT - 1):
        fg.insert(_day(i))

    def broken(table: object, target_size: int | None = None) -> tuple[int | None, int]:
        raise OSError("disk full")

    monkeypatch.setattr(maintenance, "compact", broken)
    with pytest.warns(UpkeepWarning, match=r"rows committed as version \d+.*disk full.*mlsys gc"):
        job, _ = fg.insert(_day(99))
    assert job.rows == 1 and 99 in set(fg.read()["id"])
    project.close()


def test_compacted_small_files_hold_the_commits_in_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Delta's compaction concatenates files largest first, and delta-rs lists files newest
    # first: days of unlike sizes would come out of order, and every read would sort them
    from deltalake import DeltaTable

    project, fg = _daily(tmp_path)
    path = Path(project.config.table_dir("daily", 1))  # type: ignore[attr-defined]
    sizes = [1, 40, 3, 90, 7, 60, 2, 25, 80, 5, 33, 1, 70, 4, 50]
    ids: list[int] = []
    for day, n in enumerate(sizes):
        rows = pd.concat([_day(day)] * n, ignore_index=True).assign(
            id=range(len(ids), len(ids) + n))
        ids.extend(rows["id"])
        fg.insert(rows)
        if day == 12:  # the fifth compaction: one file, sorted by ORDER within
            operations = [h["operation"] for h in table_log.history(path)]
            assert operations[0] == "OPTIMIZE" and operations.count("OPTIMIZE") == 4
            table = DeltaTable(str(path))
            assert len(table.file_uris()) == 1
            raw = table.to_pyarrow_table().column(tables.ORDER).to_pylist()
            assert raw == sorted(raw)
    assert len(DeltaTable(str(path)).file_uris()) == 3

    def no_sort(*args: object, **kwargs: object) -> None:
        raise AssertionError("the read sorted its rows")

    with monkeypatch.context() as m:  # the files are read oldest first: nothing to sort
        m.setattr(pd.DataFrame, "sort_values", no_sort)
        assert list(fg.read()["id"]) == ids
    assert tables.read_arrow(path).column("id").to_pylist() == ids
    assert project.verify().ok, project.verify().lines()  # type: ignore[attr-defined]
    project.close()


def test_a_table_with_a_large_file_compacts_only_its_small_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project, fg = _daily(tmp_path)
    fg.insert(pd.concat([_day(0)] * 2000, ignore_index=True).assign(id=range(2000)))
    path = Path(project.config.table_dir("daily", 1))  # type: ignore[attr-defined]
    monkeypatch.setattr(maintenance, "COMPACT_AT", 100)  # no compaction on insert
    for day in range(1, 5):
        fg.insert(_day(day).assign(id=5000 + day))
    adds = tables.open_table(path).get_add_actions(flatten=True)
    sizes = dict(zip(adds.column("path").to_pylist(), adds.column("size_bytes").to_pylist(),
                     strict=True))
    big = max(sizes, key=sizes.__getitem__)
    # the first file counts as large: the four small ones are merged, it is not rewritten
    done, removed = maintenance.compact(tables.open_table(path), target_size=sizes[big] - 1)
    assert done is not None and removed == 4
    files = tables.open_table(path).get_add_actions(flatten=True).column("path").to_pylist()
    assert big in files and len(files) == 2
    assert list(fg.read()["id"]) == [*range(2000), *range(5001, 5005)]
    project.close()


def test_every_write_stores_the_order_column_delta_encoded(tmp_path: Path) -> None:
    # its values rise by one: delta encoding stores them in bytes, a dictionary in megabytes
    import pyarrow as pa
    import pyarrow.parquet as pq

    project, fg = _daily(tmp_path)
    streamed = project.get_feature_store().get_or_create_feature_group(
        "streamed", 1, primary_key=["id"], event_time="t")
    day = pa.Table.from_pandas(_day(0), preserve_index=False)
    streamed.insert(pa.RecordBatchReader.from_batches(day.schema, day.to_batches()))
    for i in range(maintenance.COMPACT_AT + 1):  # a create, MERGEs, then a compaction
        fg.insert(_day(i))
    fg.insert(_day(2).assign(x=9.0))  # a MERGE that rewrites a file
    fg.insert(_day(7), overwrite=True)
    checked = 0
    for name in ("daily", "streamed"):
        root = Path(project.config.table_dir(name, 1))  # type: ignore[attr-defined]
        for file in root.glob("*.parquet"):  # every file ever written, removed ones too
            meta = pq.ParquetFile(file).metadata
            column = meta.schema.names.index(tables.ORDER)
            chunk = meta.row_group(0).column(column)
            assert "DELTA_BINARY_PACKED" in chunk.encodings, (file.name, chunk.encodings)
            assert chunk.compression == "SNAPPY", (file.name, chunk.compression)
            checked += 1
    assert checked >= maintenance.COMPACT_AT + 4
    project.close()


def test_small_files_that_fill_the_target_together_are_left_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Delta's compaction merges none of them (no two fit one file); an ordered rewrite would
    # rewrite both on every gc
    project, fg = _daily(tmp_path)
    monkeypatch.setattr(maintenance, "COMPACT_AT", 100)
    for start in (0, 1000):
        fg.insert(pd.concat([_day(0)] * 1000, ignore_index=True).assign(
            id=range(start, start + 1000)))
    path = Path(project.config.table_dir("daily", 1))  # type: ignore[attr-defined]
    sizes = tables.open_table(path).get_add_actions(flatten=True).column("size_bytes").to_pylist()
    assert len(sizes) == 2
    target = int(max(sizes) * 1.5)  # each file is under it, the two together are not
    assert max(sizes) < target < sum(sizes)
    assert maintenance.compact(tables.open_table(path), target_size=target) == (None, 0)
    project.close()
