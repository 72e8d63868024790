"""Housekeeping: stale staging folders go, live ones stay; gc keeps what reads still need.

- A killed save or upload leaves a staging folder; the next open (or save/upload next to it)
  removes it when its maker is gone, and never one a live process is still filling.
- Loading the best model leaves no ``mlsys-*`` copy in the temporary folder.
- ``gc`` compacts a table grown one commit a day into few files and vacuums the rest, with
  retention 0 even, and every recorded training dataset still reads exactly its rows; the CLI
  runs it. ``daily --date`` on or before the real data's day is refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlsys
from mlsys.errors import InvalidArgumentError
from mlsys.store.local import maintenance
from mlsys.store.local.datasets import STAGING_PREFIX
from mlsys.store.local.registry import STAGING_PREFIX as MODEL_STAGING


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_stale_staging_is_removed_and_live_staging_kept(tmp_path: Path) -> None:
    home = tmp_path / "store"
    project = mlsys.login(home=home)
    root = Path(project.config.root)  # type: ignore[attr-defined]
    src = tmp_path / "m"
    src.mkdir()
    (src / "model.pkl").write_bytes(b"w")
    project.get_model_registry().python.create_model("m").save(str(src))
    project.get_dataset_api().mkdir("Resources/images")
    project.close()

    models = root / "models" / "m"
    images = root / "datasets" / "Resources" / "images"
    dead, live = _dead_pid(), os.getpid()
    planted = {
        "dead save": (models / f"{MODEL_STAGING}{dead}-{'a' * 32}", True),
        "old save without pid": (models / f"{MODEL_STAGING}{'b' * 32}", True),
        "live save": (models / f"{MODEL_STAGING}{live}-{'c' * 32}", False),
        "fresh save without pid": (models / f"{MODEL_STAGING}{'d' * 32}", False),
        "dead upload": (images / f"{STAGING_PREFIX}{dead}-{'e' * 32}", True),
        "live upload": (images / f"{STAGING_PREFIX}{live}-{'f' * 32}", False),
    }
    for name, (path, _) in planted.items():
        path.mkdir()
        (path / "part").write_bytes(b"x" * 10)
        if "fresh" not in name:
            _age(path, 2 * 3600)

    mlsys.login(home=home).close()  # the next open sweeps
    for name, (path, goes) in planted.items():
        assert path.exists() != goes, f"{name}: {'kept' if path.exists() else 'removed'}"
    assert (models / "1" / "model.pkl").exists()  # registered versions are never touched


def test_loading_the_best_model_leaves_no_temporary_copy(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from mlsys.pipelines.backfill import backfill
    from mlsys.pipelines.train import train
    from mlsys.serving import load_best_model
    from mlsys.systems import get_system

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    iris = get_system("iris")
    project = mlsys.login(home=tmp_path / "store")
    backfill(project, iris)
    train(project, iris)
    before = set(temp.iterdir())
    for _ in range(3):
        model = load_best_model(project, iris)
        assert model.estimator is not None
    assert set(temp.iterdir()) == before, sorted(p.name for p in set(temp.iterdir()) - before)
    project.close()


def _day(i: int) -> pd.DataFrame:
    rng = np.random.default_rng(i)
    return pd.DataFrame({"id": [i], "x": [float(rng.random())], "y": [i % 2],
                         "t": [pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(days=i)]})


def test_gc_compacts_and_vacuums_but_recorded_training_data_reads_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a table as fragmented as one written without mlsys's own compaction on insert (by an
    # older mlsys, or by another Delta writer): gc must compact it
    monkeypatch.setattr(maintenance, "COMPACT_AT", 10**9)
    project = mlsys.login(home=tmp_path / "store")
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group("daily", 1, primary_key=["id"], event_time="t")
    for i in range(12):
        fg.insert(_day(i))
    fv = fs.get_or_create_feature_view("v", 1, fg.select_all(), labels=["y"])
    x_all, _ = fv.training_data()
    split = fv.train_test_split(test_size=0.25, seed=3)
    recorded = [(td.version, fv.get_training_data(td.version)[0])
                for td in fv.get_training_datasets()]
    for i in range(12, 24):
        fg.insert(_day(i))
    fg.insert(_day(3).assign(x=42.0))  # an update: the recorded rows must keep the old value
    table = Path(project.config.table_dir("daily", 1))  # type: ignore[attr-defined]
    files_before = len(list(table.glob("*.parquet")))
    latest = fg.read().sort_values("id").reset_index(drop=True)

    result = project.gc(retention_hours=0)  # type: ignore[attr-defined]

    assert len(list(table.glob("*.parquet"))) < files_before, result.lines()
    (done,) = result.tables
    assert done.files_compacted > 1 and done.files_vacuumed > 0
    pd.testing.assert_frame_equal(fg.read().sort_values("id").reset_index(drop=True), latest)
    assert len(x_all) == 12
    for version, x in recorded:
        again = fv.get_training_data(version)[0]
        pd.testing.assert_frame_equal(again.sort_values("id").reset_index(drop=True),
                                      x.sort_values("id").reset_index(drop=True))
    x_train, x_test, _, _ = fv.get_train_test_split(2)
    assert sorted(x_train["id"]) == sorted(split[0]["id"])
    assert sorted(x_test["id"]) == sorted(split[1]["id"])
    assert 42.0 not in set(x_train["x"]) | set(x_test["x"])
    fg.insert(_day(30))  # still writable
    project.close()


def test_cli_gc_runs_and_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maintenance, "COMPACT_AT", 10**9)  # fragmented, as by another writer
    home = tmp_path / "store"
    project = mlsys.login(home=home)
    fg = project.get_feature_store().get_or_create_feature_group("daily", 1, primary_key=["id"],
                                                                 event_time="t")
    for i in range(4):
        fg.insert(_day(i))
    project.close()
    cli = Path(sys.executable).with_name("mlsys")
    run = subprocess.run([str(cli), "gc"], env={"MLSYS_HOME": str(home), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "daily_1: 4 file(s) compacted" in run.stdout, run.stdout
    bad = subprocess.run([str(cli), "gc", "--retention-hours", "-1"],
                         env={"MLSYS_HOME": str(home), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2


@pytest.mark.parametrize("day", [date(2000, 1, 1), date(1999, 12, 31), date(1970, 1, 1)])
def test_daily_before_the_real_data_is_refused(tmp_path: Path, day: date) -> None:
    from mlsys.pipelines.daily import daily
    from mlsys.systems import get_system

    project = mlsys.login(home=tmp_path / "store")
    for kwargs in ({"day": day}, {"since": day}):
        with pytest.raises(InvalidArgumentError) as info:
            daily(project, get_system("iris"), **kwargs)  # type: ignore[arg-type]
        assert "2000-01-01" in str(info.value) and "2000-01-02" in str(info.value)
    project.close()


def test_gc_runs_with_a_training_dataset_of_an_empty_group(tmp_path: Path) -> None:
    # a dataset recorded before its group had rows read no version (None); gc keeps nothing
    # for it rather than failing on it
    project = mlsys.login(home=tmp_path / "store")
    fs = project.get_feature_store()
    items = fs.get_or_create_feature_group("items", 1, primary_key=["id"])
    items.insert(pd.DataFrame({"id": [1, 2], "x": [1.0, 2.0]}))
    empty = fs.get_or_create_feature_group("empty", 1, primary_key=["id"])
    fs.get_or_create_feature_view("full", 1, items.select_all()).training_data()
    fs.get_or_create_feature_view("none", 1, empty.select_all()).training_data()
    result = project.gc(retention_hours=0)
    assert [t.table for t in result.tables] == ["items_1"]
    assert result.tables[0].kept_versions == (0,)


HOLDER = """
import sys
from pathlib import Path
from mlsys.store.local import housekeeping
parent, prefix, pid = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
# a writer on another host: the pid in its name means nothing (here: a dead one)
housekeeping.staging_name = lambda p: f"{p}{pid}-{'9' * 32}"
with housekeeping.claimed_staging(parent, prefix) as path:
    path.mkdir()
    (path / "part.parquet").write_bytes(b"x" * 10)
    print(path, flush=True)
    sys.stdin.readline()  # a slow source: the writer waits, holding its staging
"""


def test_a_held_staging_folder_is_kept_whatever_its_name_and_age_say(tmp_path: Path) -> None:
    """The sweep judges a folder by its lock, not by a pid (meaningless across hosts) or age."""
    home = tmp_path / "store"
    project = mlsys.login(home=home)
    parent = Path(project.config.root) / "feature_store"  # type: ignore[attr-defined]
    project.close()
    assert parent.is_dir()
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(parent), STAGING_PREFIX,
                           str(_dead_pid())], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True) as holder:
        try:
            assert holder.stdout is not None
            staging = Path(holder.stdout.readline().strip())
            lock = staging.with_name(staging.name + ".lock")
            assert staging.is_dir() and lock.is_file()
            _age(staging, 2 * 3600)
            _age(lock, 2 * 3600)
            mlsys.login(home=home).close()  # a dead pid, two hours old, but held: kept
            assert (staging / "part.parquet").exists() and lock.exists()
        finally:
            holder.kill()  # a crash: the kernel drops the lock, the files stay
            holder.wait()
    assert staging.is_dir() and lock.is_file()
    lone = parent / f"{STAGING_PREFIX}{_dead_pid()}-{'8' * 32}.lock"  # its folder already gone
    lone.write_bytes(b"")
    _age(lone, 2 * 3600)
    mlsys.login(home=home).close()
    assert not staging.exists() and not lock.exists() and not lone.exists()


def test_a_sweep_in_the_writers_own_process_leaves_its_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On NFS flock is a POSIX lock, owned by the process: a sweep in the writer's process would
    take the writer's own lock (and drop it on close). lockf has those semantics here."""
    import fcntl

    from mlsys.store.local import housekeeping

    monkeypatch.setattr(housekeeping.fcntl, "flock", lambda fd, op: fcntl.lockf(fd, op))
    dead = _dead_pid()
    monkeypatch.setattr(housekeeping, "staging_name", lambda p: f"{p}{dead}-{'7' * 32}")
    with housekeeping.claimed_staging(tmp_path, STAGING_PREFIX) as staging:
        staging.mkdir()
        lock = housekeeping.lock_file(staging)
        _age(staging, 2 * 3600)
        _age(lock, 2 * 3600)
        assert housekeeping.remove_stale(tmp_path, STAGING_PREFIX) == []
        assert staging.is_dir() and lock.is_file()
    assert not lock.exists()
    assert housekeeping.remove_stale(tmp_path, STAGING_PREFIX) == [staging]  # now it is gone


def test_a_filesystem_without_locks_still_stages(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from mlsys.store.local import housekeeping

    def no_locks(fd: int, op: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(housekeeping.fcntl, "flock", no_locks)
    with housekeeping.claimed_staging(tmp_path, STAGING_PREFIX) as staging:
        staging.mkdir()
        assert not housekeeping.lock_file(staging).exists()  # no lock file: the pid protects
        _age(staging, 2 * 3600)
        assert housekeeping.remove_stale(tmp_path, STAGING_PREFIX) == []  # a live pid
    assert [p.name for p in tmp_path.iterdir()] == [staging.name]


def test_a_staging_lock_that_cannot_be_made_is_not_kept_as_held(tmp_path: Path) -> None:
    from mlsys.store.local import housekeeping

    before = set(housekeeping._HELD)
    with pytest.raises(FileNotFoundError), housekeeping.claimed_staging(tmp_path / "gone",
                                                                        STAGING_PREFIX):
        pass
    assert set(housekeeping._HELD) == before  # nothing left behind as if held
