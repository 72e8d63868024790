"""A damaged store says so and loses nothing: catalogs zeroed, emptied or lost; data files
overwritten; a table's log removed; a full catalog disk; an unregistered model folder in a
save's way. Every failure is an ``MlsysError`` naming the file and the fix; the CLI prints one
line and exits 1.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from rel_support import child_env, make_frame, tree_digest

import mlsys
from mlsys.errors import ArtefactMovedWarning, StoreDamagedError, StoreWriteError
from mlsys.store.local.project import LocalProject


def build(home: Path, tmp: Path) -> tuple[Path, Path]:
    """A store with an online group (two inserts) and a saved model; (catalog, model folder)."""
    project = mlsys.login(home=home)
    assert isinstance(project, LocalProject)
    fg = project.get_feature_store().get_or_create_feature_group(
        "damaged", 1, primary_key=["id"], online_enabled=True)
    fg.insert(make_frame(0, 50, 0, seed=1))
    fg.insert(make_frame(25, 50, 1, seed=2))
    src = tmp / "model-src"
    src.mkdir(exist_ok=True)
    (src / "model.pkl").write_bytes(b"weights" * 100)
    project.get_model_registry().python.create_model("keep", metrics={"a": 1.0}).save(str(src))
    catalog, folder = project.config.catalog_path, project.config.model_dir("keep", 1)
    project.close()
    return catalog, folder


def _drop_wal(catalog: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{catalog}{suffix}").unlink(missing_ok=True)


@pytest.mark.parametrize("damage", ["zeroed", "emptied", "deleted", "garbage", "folder"])
def test_a_lost_catalog_is_not_an_empty_store(tmp_path: Path, damage: str) -> None:
    home = tmp_path / "home"
    catalog, model_dir = build(home, tmp_path)
    before = tree_digest(model_dir)
    size = catalog.stat().st_size
    _drop_wal(catalog)
    if damage == "zeroed":
        catalog.write_bytes(b"\0" * size)
    elif damage == "emptied":
        catalog.write_bytes(b"")
    elif damage == "deleted":
        catalog.unlink()
    elif damage == "garbage":
        catalog.write_bytes(b"not a database at all" * 100)
    else:
        catalog.unlink()
        catalog.mkdir()
    with pytest.raises(StoreDamagedError) as err:
        mlsys.login(home=home)
    message = str(err.value)
    assert str(catalog) in message
    assert "backup" in message
    if damage in ("emptied", "deleted"):
        assert "damaged_1" in message and "keep" in message  # names what exists
    # nothing was changed: the model's files are still there, and no new catalog appeared
    assert tree_digest(model_dir) == before
    if damage == "deleted":
        assert not catalog.exists()

    # the CLI: one line, exit 1, no traceback
    proc = subprocess.run([sys.executable, "-m", "mlsys.cli", "status"], capture_output=True,
                          text=True, env=child_env({"MLSYS_HOME": str(home)}), timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Error" not in proc.stderr.split(":")[0]
    assert str(catalog) in proc.stderr and proc.stderr.strip().startswith("error:")


def test_an_unregistered_model_folder_is_moved_aside_not_deleted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    catalog, folder = build(home, tmp_path)
    before = tree_digest(folder)
    # the catalog no longer lists v1 (restored from an older backup; a saver died mid-commit)
    with sqlite3.connect(catalog) as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM models WHERE name = 'keep'")
    db.close()
    project = mlsys.login(home=home)
    src = tmp_path / "new-src"
    src.mkdir()
    (src / "model.pkl").write_bytes(b"new weights")
    model = project.get_model_registry().python.create_model("keep", metrics={"a": 2.0})
    with pytest.warns(ArtefactMovedWarning, match="orphaned") as caught:
        model.save(str(src))
    assert model.version == 1
    aside = [p for p in folder.parent.iterdir() if p.name.startswith("1.orphaned-")]
    assert len(aside) == 1, list(folder.parent.iterdir())
    assert tree_digest(aside[0]) == before  # the old files, all of them, untouched
    assert str(aside[0]) in str(caught[0].message)
    assert (folder / "model.pkl").read_bytes() == b"new weights"
    assert project.verify().ok, project.verify().lines()


def test_damaged_table_files_raise_store_damaged(tmp_path: Path) -> None:
    home = tmp_path / "home"
    build(home, tmp_path)
    project = mlsys.login(home=home)
    fg = project.get_feature_store().get_feature_group("damaged", 1)
    table = project.config.table_dir("damaged", 1)
    parquet = sorted(table.glob("*.parquet"))
    for p in parquet:
        p.write_bytes(b"garbage" * 50)
    with pytest.raises(StoreDamagedError, match="cannot be read") as err:
        fg.read()
    assert str(table) in str(err.value) and "backup" in str(err.value)
    log = table / "_delta_log"
    for p in log.iterdir():
        p.unlink()
    log.rmdir()
    # rows were inserted, so a table without its log is damage, not an empty group
    with pytest.raises(StoreDamagedError):
        fg.read()
    with pytest.raises(StoreDamagedError):
        fg.commit_details()


def test_a_full_catalog_disk_says_what_committed(tmp_path: Path) -> None:
    """SQLite's own size limit (``max_page_count``) refuses writes exactly as a full disk does
    (SQLITE_FULL), with the store's real code running."""
    home = tmp_path / "home"
    project = mlsys.login(home=home)
    assert isinstance(project, LocalProject)
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group("full", 1, primary_key=["id"], online_enabled=True)
    # a suite whose reports need several pages of the catalog each
    fg.save_expectation_suite({"name": "wide", "expectations": [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "x", "min_value": -i / 10, "max_value": 1 + i / 10}}
        for i in range(60)]})
    fg.insert(make_frame(0, 10, 0, seed=1))
    conn = project.catalog.db._connection()  # the SQLite catalog's connection (sqlite_db)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    for size in (2000, 200, 0):  # fill the catalog to its last byte
        with pytest.raises(StoreWriteError) as err:  # a catalog write that grows the file
            for i in range(400):
                fs.get_or_create_feature_group(f"filler{size}_{i}", 1, primary_key=["id"],
                                               description="x" * size)
        assert "no transaction is active" not in str(err.value)
        assert str(project.catalog.path) in str(err.value) and "disk space" in str(err.value)
    # an insert whose Delta commit lands, but whose recording in the catalog does not
    big = make_frame(10, 5000, 1, seed=3)
    with pytest.raises(StoreWriteError, match="committed as version 1") as err:
        fg.insert(big)
    assert "online store will be rebuilt" in str(err.value)
    conn.execute("PRAGMA max_page_count = 1073741823")
    again = mlsys.login(home=home).get_feature_store().get_feature_group("full", 1)
    assert len(again.read()) == 5010  # the committed rows, once
    online = again.read(online=True)
    assert len(online) == 5010  # rebuilt from the table on the first read
    fg.insert(make_frame(0, 1, 2, seed=4))  # and the group takes inserts again
    assert mlsys.login(home=home).verify().ok


def test_old_catalog_files_still_open(tmp_path: Path) -> None:
    """A store written before file hashes and table ids were recorded (schema 3) opens,
    migrates, reads its training datasets, and verifies without false damage."""
    home = tmp_path / "home"
    project = mlsys.login(home=home)
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group("old", 1, primary_key=["id"])
    fg.insert(make_frame(0, 40, 0, seed=1).assign(label=lambda d: d["id"] % 2))
    fv = fs.get_or_create_feature_view("old_view", 1, fg.select_all(), labels=["label"])
    x_train, _, _, _ = fv.train_test_split(test_size=0.25, seed=3)
    catalog = project.config.catalog_path
    project.close()
    with sqlite3.connect(catalog) as db:  # back to what migration 3 left
        db.execute("DROP TABLE table_files")
        db.execute("ALTER TABLE feature_groups DROP COLUMN table_id")
        db.execute("ALTER TABLE training_datasets DROP COLUMN table_ids")
        db.execute("PRAGMA user_version = 3")
    db.close()
    reopened = mlsys.login(home=home)
    view = reopened.get_feature_store().get_feature_view("old_view", 1)
    x2, _, _, _ = view.get_train_test_split(1)
    pd.testing.assert_frame_equal(x2, x_train.reset_index(drop=True))
    result = reopened.verify()
    assert result.ok, result.lines()
    assert result.unverified  # the files written before hashes were recorded are named
    fg2 = reopened.get_feature_store().get_feature_group("old", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fg2.insert(make_frame(100, 5, 1, seed=2).assign(label=1))
    assert reopened.verify().ok


LOCK_PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:  # an exclusive lock on SQLite's SHARED range: refused while any reader holds it
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 510, 0x40000002, 0)
    print("free")
except OSError:
    print("held")
"""


def test_opening_a_store_keeps_the_locks_of_this_process_readers(tmp_path: Path) -> None:
    """A login checks the catalog file without a descriptor of its own: closing one would drop
    every POSIX lock this process holds on the file (a reader's included), and another process
    could write under that reader (the daily soak's "database disk image is malformed")."""
    mlsys.login(home=tmp_path / "store").close()
    catalog = tmp_path / "store" / "mlsys" / "catalog.sqlite"
    reader = sqlite3.connect(catalog, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM sqlite_master").fetchone()

    def probe() -> str:
        return subprocess.run([sys.executable, "-c", LOCK_PROBE, str(catalog)],
                              capture_output=True, text=True, timeout=60).stdout.strip()

    assert probe() == "held"  # the probe sees a reader's lock
    project = mlsys.login(home=tmp_path / "store")
    assert probe() == "held"  # and the login left it in place
    project.close()
    reader.execute("COMMIT")
    reader.close()
