"""``mlsys verify`` / ``Project.verify()``: damage that reads silently is found and named.

Each test damages a real store the way a disk, a sync tool or a careless hand does (bytes
flipped in a parquet file, the newest Delta commit deleted, the online store edited, a model
file changed) and checks that verify names the part and the repair, that the CLI exits 1, and
that ``--repair`` fixes what can be fixed without losing anything.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from deltalake import DeltaTable
from rel_support import child_env, make_frame

import mlsys
from mlsys.errors import IntegrityError, StoreDamagedError
from mlsys.store.local.project import LocalProject

GROUP = "checked"


def build(home: Path, tmp: Path) -> LocalProject:
    """An online group (three commits) with a recorded split, and a saved model."""
    project = mlsys.login(home=home)
    assert isinstance(project, LocalProject)
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group(GROUP, 1, primary_key=["id"], online_enabled=True)
    for gen in range(3):
        fg.insert(make_frame(gen * 20, 40, gen, seed=gen).assign(label=lambda d: d["id"] % 2))
    fv = fs.get_or_create_feature_view("checked_view", 1, fg.select_all(), labels=["label"])
    fv.train_test_split(test_size=0.25, seed=1)
    src = tmp / "model-src"
    src.mkdir(exist_ok=True)
    (src / "model.pkl").write_bytes(b"weights" * 100)
    project.get_model_registry().python.create_model("m", metrics={"a": 1.0}).save(str(src))
    return project


def cli_verify(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlsys.cli", "verify", *args],
                          capture_output=True, text=True, timeout=300,
                          env=child_env({"MLSYS_HOME": str(home)}))


def test_a_healthy_store_verifies(tmp_path: Path) -> None:
    project = build(tmp_path / "home", tmp_path)
    result = project.verify()
    assert result.ok, result.lines()
    assert f"feature group {GROUP} v1" in result.checked and "model m v1" in result.checked
    assert not result.unverified  # every file was hashed at its commit
    done = cli_verify(tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert "no damage found" in done.stdout


def test_flipped_bytes_in_a_parquet_file_are_found(tmp_path: Path) -> None:
    home = tmp_path / "home"
    project = build(home, tmp_path)
    table = project.config.table_dir(GROUP, 1)
    latest = pa.table(DeltaTable(str(table)).get_add_actions(flatten=True))["path"]
    victim = table / sorted(latest.to_pylist())[0]  # a file the latest version reads
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle of the file
    victim.write_bytes(bytes(data))
    result = project.verify()
    assert not result.ok
    damaged = [p for p in result.problems if victim.name in p.damage]
    assert damaged, result.lines()
    assert "changed after its commit" in damaged[0].damage
    assert "backup" in damaged[0].repair and not damaged[0].repairable
    done = cli_verify(home)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "DAMAGED" in done.stdout and victim.name in done.stdout
    assert "Traceback" not in done.stderr


def test_a_deleted_latest_commit_is_found(tmp_path: Path) -> None:
    home = tmp_path / "home"
    project = build(home, tmp_path)
    log = project.config.table_dir(GROUP, 1) / "_delta_log"
    newest = sorted(log.glob("*.json"))[-1]
    newest.unlink()  # the group now silently reads as of its previous version
    result = project.verify()
    assert any("log ends at version 1" in p.damage for p in result.problems), result.lines()
    assert any("training dataset 1" in p.damage for p in result.problems), result.lines()
    view = project.get_feature_store().get_feature_view("checked_view", 1)
    with pytest.raises(IntegrityError, match="version 2") as err:
        view.get_train_test_split(1)
    assert "DeltaError" in str(err.value) or "commit" in str(err.value)
    assert cli_verify(home).returncode == 1


def test_a_damaged_online_store_is_rebuilt_by_repair(tmp_path: Path) -> None:
    home = tmp_path / "home"
    project = build(home, tmp_path)
    fg = project.get_feature_store().get_feature_group(GROUP, 1)
    expected = fg.read().drop_duplicates("id", keep="last").sort_values("id")
    online = project.config.online_path(GROUP, 1)
    project.get_feature_store().forget_online_store(GROUP, 1)
    with sqlite3.connect(online) as db:  # edited behind the store's back
        db.execute(f'UPDATE "{GROUP}_1" SET x = 99.0 WHERE id = 3')
        db.execute(f'DELETE FROM "{GROUP}_1" WHERE id = 4')
    db.close()
    result = project.verify()
    problems = [p for p in result.problems if "online store" in p.what]
    assert problems and problems[0].repairable, result.lines()
    done = cli_verify(home, "--repair")
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "repaired" in done.stdout
    again = mlsys.login(home=home)
    assert again.verify().ok
    rows = again.get_feature_store().get_feature_group(GROUP, 1).read(online=True)
    pd.testing.assert_frame_equal(rows.sort_values("id").reset_index(drop=True),
                                  expected.reset_index(drop=True), check_like=True)

    online.write_bytes(b"\0" * 4096)  # and an online file that is no database at all
    for suffix in ("-wal", "-shm"):
        Path(f"{online}{suffix}").unlink(missing_ok=True)
    third = mlsys.login(home=home)
    with pytest.raises(StoreDamagedError, match="verify --repair"):
        third.get_feature_store().get_feature_group(GROUP, 1).read(online=True)
    assert any("online store" in p.what for p in third.verify().problems)
    repaired = third.verify(repair=True)
    assert repaired.ok and repaired.repaired, repaired.lines()


def test_a_changed_model_file_is_found(tmp_path: Path) -> None:
    home = tmp_path / "home"
    project = build(home, tmp_path)
    folder = project.config.model_dir("m", 1)
    (folder / "model.pkl").write_bytes(b"other weights")
    (folder / "extra.txt").write_text("not registered")
    result = project.verify()
    texts = [p.damage for p in result.problems if p.what == "model m v1"]
    assert any("model.pkl" in t for t in texts) and any("extra.txt" in t for t in texts), texts
    assert cli_verify(home).returncode == 1


def test_gc_keeps_a_store_verifiable(tmp_path: Path) -> None:
    """Compaction adds files (recorded like an insert's), vacuum removes unneeded ones."""
    project = build(tmp_path / "home", tmp_path)
    daily = project.get_feature_store().get_or_create_feature_group("daily", 1,
                                                                   primary_key=["id"])
    for day in range(5):  # one small file a day, as a daily pipeline writes them
        daily.insert(make_frame(day * 10, 10, day, seed=day))
    gc = project.gc(retention_hours=0)
    assert any(t.files_compacted > 0 for t in gc.tables), gc.lines()
    result = project.verify()
    assert result.ok and not result.unverified, result.lines()
    view = project.get_feature_store().get_feature_view("checked_view", 1)
    assert len(view.get_train_test_split(1)[0]) > 0  # the recorded split still reads
