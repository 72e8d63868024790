"""A new group created from a stream (issue 18): Parquet files of mlsys's own, one commit, in
bounded memory, and all or nothing (``mlsys/store/local/stream_files.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

import mlsys
from mlsys.errors import SchemaError
from mlsys.store.api import FeatureGroup, Project
from mlsys.store.local import stream_files, tables
from mlsys.store.rules.paths import STAGING_PREFIX


def _table(n: int, start: int = 0, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    ts = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.arange(start, start + n), "s")
    return pa.table({"id": np.arange(start, start + n), "ts": pa.array(ts),
                     "x": rng.normal(size=n), "label": [f"c{i % 7}" for i in range(n)],
                     "ok": rng.random(n) > 0.5})


def _reader(table: pa.Table, last: pa.Table | None = None,
            rows: int = 1000) -> pa.RecordBatchReader:
    def batches() -> Iterator[pa.RecordBatch]:
        yield from table.to_batches(max_chunksize=rows)
        if last is not None:
            yield from last.to_batches()
    return pa.RecordBatchReader.from_batches(table.schema, batches())


def _group(project: Project, name: str) -> FeatureGroup:
    return project.get_feature_store().get_or_create_feature_group(
        name, version=1, primary_key=["id"], event_time="ts")


def _log(path: Path) -> list[dict[str, object]]:
    text = (path / "_delta_log" / f"{0:020d}.json").read_text()
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def _expected(data: pa.Table) -> pd.DataFrame:
    """``data`` as a group read returns it (times in microseconds, whatever pandas' default)."""
    frame = data.to_pandas()
    frame["ts"] = frame["ts"].astype("datetime64[us, UTC]")
    return frame


def _no_table(path: Path) -> bool:
    """Nothing committed at ``path`` and no file there (an older deltalake's failed open can
    leave the empty folder itself)."""
    return not tables.exists(path) and not (path.exists() and any(path.rglob("*")))


def _staging(project_root: Path) -> list[Path]:
    """Staging entries beside the tables: folders and their lock files."""
    return sorted((project_root / "feature_store").glob(f"{STAGING_PREFIX}*"))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return mlsys.login(backend="local", home=tmp_path / "home", project="p")


def test_the_commit_is_what_write_deltalake_records(project: Project, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    data = _table(50_000)
    fg = _group(project, "streamed")
    job, _ = fg.insert(_reader(data))
    path = Path(str(fg._path))  # type: ignore[attr-defined]
    assert (job.rows, job.commit_version) == (50_000, 0)
    # the same stored rows (with the ORDER column) written by deltalake itself
    stored = DeltaTable(str(path)).to_pyarrow_table()
    write_deltalake(str(tmp_path / "ref"), stored, name=fg._key)  # type: ignore[attr-defined]
    ours, ref = _log(path), _log(tmp_path / "ref")
    meta = [next(a["metaData"] for a in log if "metaData" in a) for log in (ours, ref)]
    assert meta[0]["schemaString"] == meta[1]["schemaString"]
    assert meta[0]["name"] == meta[1]["name"]
    stats = [[json.loads(a["add"]["stats"]) for a in log if "add" in a] for log in (ours, ref)]
    assert stats[0] == stats[1] and stats[0][0]["numRecords"] == 50_000
    assert set(stats[0][0]["minValues"]) == {"id", "ts", "x", "label", "ok", tables.ORDER}
    details = fg.commit_details()
    assert [(d["operation"], d["rows_inserted"]) for d in details.values()] == [("INSERT", 50_000)]
    pd.testing.assert_frame_equal(fg.read(), _expected(data))  # in insert order
    assert _staging(path.parent.parent) == []


def test_a_long_stream_is_split_into_files_whose_statistics_skip(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_files, "FILE_BYTES", 200_000)  # a new file every ~200 kB
    monkeypatch.setattr(stream_files, "ROW_GROUP_ROWS", 10_000)  # checked after each group
    data = _table(200_000)
    fg = _group(project, "split")
    fg.insert(_reader(data, rows=10_000))
    # version 0, the insert's own files (upkeep may compact small files in a later commit)
    table = DeltaTable(str(fg._path), version=0)  # type: ignore[attr-defined]
    files = pa.table(table.get_add_actions(flatten=True)).to_pydict()
    assert len(files["path"]) > 5 and sum(files["num_records"]) == 200_000
    for rel, low, high in zip(files["path"], files["min.id"], files["max.id"], strict=True):
        ids = pq.read_table(Path(str(fg._path)) / rel, columns=["id"]).column("id")  # type: ignore[attr-defined]
        assert (low, high) == (pa.compute.min(ids).as_py(), pa.compute.max(ids).as_py())
    # a filter on the key reads one file's worth, through the recorded statistics
    wanted = pa.compute.field("id") == 123_456
    dataset = table.to_pyarrow_dataset()
    assert dataset.filter(wanted).count_rows() == 1
    assert len(list(dataset.get_fragments(filter=wanted))) == 1
    pd.testing.assert_frame_equal(fg.read(), _expected(data))


def test_a_refused_batch_leaves_no_table_and_no_files(project: Project) -> None:
    data = _table(20_000)
    null_key = data.slice(0, 3).set_column(0, "id", pa.array([1, None, 2], pa.int64()))
    fg = _group(project, "refused")
    path = Path(str(fg._path))  # type: ignore[attr-defined]
    with pytest.raises(SchemaError) as info:
        fg.insert(_reader(data, null_key))
    assert info.value.reason == SchemaError.NULL_KEY
    assert _no_table(path) and _staging(path.parent.parent) == []
    assert fg.commit_details() == {}
    fg.insert(_reader(data))  # the group takes a good stream afterwards
    assert len(fg.read()) == 20_000


KILLED = """
import os, sys
import numpy as np, pyarrow as pa
import mlsys
from mlsys.store.local import stream_files
stream_files.ROW_GROUP_ROWS = 10_000  # write each batch as it comes, so files are half written
fg = mlsys.login(backend="local", home=sys.argv[1], project="p").get_feature_store() \\
    .get_or_create_feature_group("killed", version=1, primary_key=["id"])
schema = pa.schema([("id", pa.int64()), ("x", pa.float64())])
def batches():
    for i in range(20):
        if i == 12:
            print("KILLING", flush=True)
            os._exit(9)  # a crash in the middle of the stream, files half written
        yield pa.record_batch([pa.array(np.arange(i * 10_000, (i + 1) * 10_000)),
                               pa.array(np.random.rand(10_000))], schema=schema)
fg.insert(pa.RecordBatchReader.from_batches(schema, batches()))
"""


def test_a_crash_mid_stream_leaves_no_table_and_its_files_are_swept(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = subprocess.run([sys.executable, "-c", KILLED, str(home)], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 9 and "KILLING" in done.stdout, done.stderr[-2000:]
    root = home / "p"
    left = _staging(root)
    folder, lock = left  # the dead writer's files, and the lock file it held (now free)
    assert any(folder.glob("*.parquet")) and lock.name == folder.name + ".lock"
    assert _no_table(root / "feature_store" / "killed_1")
    project = mlsys.login(backend="local", home=home, project="p")
    fg = project.get_feature_store().get_feature_group("killed", version=1)
    assert fg.commit_details() == {}
    assert _staging(root) == left  # the dead writer's folder is young: left alone a while
    old = time.time() - 3600
    os.utime(folder, (old, old))
    mlsys.login(backend="local", home=home, project="p")
    assert _staging(root) == []  # opening the project removed it


MEMORY = """
import resource, sys
from pathlib import Path
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
import mlsys
home, n_files, rows = Path(sys.argv[1]), int(sys.argv[2]), 1_000_000
files = []
for i in range(n_files):  # one batch in memory at a time
    files.append(home.parent / f"{home.name}-part-{i}.parquet")
    pq.write_table(pa.table({"id": np.arange(i * rows, (i + 1) * rows),
                             "x": np.random.rand(rows), "y": np.random.rand(rows)}), files[-1])
fg = mlsys.login(backend="local", home=home, project="p").get_feature_store() \\
    .get_or_create_feature_group("big", version=1, primary_key=["id"])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
job, _ = fg.insert(files)
assert job.rows == n_files * rows
print("GROWTH_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_memory_does_not_grow_with_the_stream(tmp_path: Path) -> None:
    """Parquet files of 24 MB: 4 of them against 24 (480 MB more data) need about the same
    memory. (A one-shot reader also keeps 8 bytes per row for the key check: stream_keys.)"""
    growth = {}
    for n in (4, 24):
        done = subprocess.run([sys.executable, "-c", MEMORY, str(tmp_path / f"h{n}"), str(n)],
                              capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        growth[n] = int(done.stdout.split("GROWTH_KB")[1]) / 1024
    assert growth[24] - growth[4] < 100, growth  # write_deltalake: ~+430 MB here


def test_small_batches_are_gathered_into_few_row_groups(project: Project) -> None:
    data = _table(10_000)
    fg = _group(project, "small_batches")
    fg.insert(_reader(data, rows=10))  # 1,000 batches of 10 rows
    table = DeltaTable(str(fg._path), version=0)  # type: ignore[attr-defined]
    (rel,) = pa.table(table.get_add_actions(flatten=True)).column("path").to_pylist()
    meta = pq.ParquetFile(Path(str(fg._path)) / rel).metadata  # type: ignore[attr-defined]
    assert (meta.num_rows, meta.num_row_groups) == (10_000, 1)
    pd.testing.assert_frame_equal(fg.read(), _expected(data))


def test_wide_batches_are_cut_into_row_groups_by_size(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_files, "ROW_GROUP_BYTES", 100_000)
    data = _table(20_000)
    rows = stream_files.write_parts(tmp_path, data.schema, data.to_batches(max_chunksize=500))
    (part,) = tmp_path.glob("*.parquet")
    meta = pq.ParquetFile(part).metadata
    assert rows == meta.num_rows == 20_000
    assert meta.num_row_groups > 5  # ~100 kB each, not one group of 20,000 rows
    assert pq.read_table(part).equals(data)


def test_only_a_missing_path_or_an_empty_plain_folder_is_streamed(tmp_path: Path) -> None:
    assert stream_files.can_stream_create(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    assert stream_files.can_stream_create(tmp_path / "empty")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_bytes(b"")
    (tmp_path / "file").write_bytes(b"")
    (tmp_path / "to_empty").symlink_to(tmp_path / "empty")  # a rename would replace the link
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    for name in ("full", "file", "to_empty", "dangling"):
        assert not stream_files.can_stream_create(tmp_path / name), name


def test_an_empty_mount_point_is_not_streamed_into(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mounted").mkdir()
    assert stream_files.can_stream_create(tmp_path / "mounted")
    real = Path.is_mount
    monkeypatch.setattr(Path, "is_mount",
                        lambda self: self.name == "mounted" or real(self))  # as if mounted
    assert not stream_files.can_stream_create(tmp_path / "mounted")  # rmdir would fail


def test_a_group_whose_folder_is_a_link_to_an_empty_folder_goes_to_deltalake(
        project: Project, tmp_path: Path) -> None:
    fg = _group(project, "linked")
    path = Path(str(fg._path))  # type: ignore[attr-defined]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(elsewhere)
    data = _table(1_000)
    job, _ = fg.insert(_reader(data))  # the stream path would rmdir the link: NotADirectory
    assert job.rows == 1_000 and path.is_symlink() and (elsewhere / "_delta_log").is_dir()
    assert _staging(path.parent.parent) == []
    pd.testing.assert_frame_equal(fg.read(), _expected(data))


SMALL_BATCHES = """
import resource, sys
from pathlib import Path
import numpy as np, pyarrow as pa
from mlsys.store.local import stream_files
folder, rows = Path(sys.argv[1]), int(sys.argv[2])
folder.mkdir()
schema = pa.schema([(f"c{i}", pa.float64()) for i in range(10)])
def batches():
    values = np.random.rand(10)
    for _ in range(rows):  # a row at a time: each batch costs far more than its 80 bytes
        yield pa.record_batch([pa.array(values[i:i + 1]) for i in range(10)], schema=schema)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert stream_files.write_parts(folder, schema, batches()) == rows
print("GROWTH_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_a_row_by_row_stream_is_gathered_in_bounded_memory(tmp_path: Path) -> None:
    """50,000 one-row batches (4 MB of data) gathered into one row group: kept as batches
    they would need ~330 MB; merged every MERGE_BATCHES they need a few MB."""
    done = subprocess.run([sys.executable, "-c", SMALL_BATCHES, str(tmp_path / "parts"),
                           "50000"], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    growth_mb = int(done.stdout.split("GROWTH_KB")[1]) / 1024
    assert growth_mb < 60, growth_mb
    (part,) = (tmp_path / "parts").glob("*.parquet")
    meta = pq.ParquetFile(part).metadata
    assert (meta.num_rows, meta.num_row_groups) == (50_000, 1)
