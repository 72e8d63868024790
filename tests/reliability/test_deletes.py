"""Deleting a feature group: refused while views read it, crash-safe at every file-system step,
and a group re-created under the same name and version is never taken for the deleted one by a
recorded training dataset.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from rel_support import fingerprint, line_value, make_frame, run_child, spawn

import mlsys
from mlsys.errors import IntegrityError, InUseError, NotFoundError
from mlsys.store.local.project import LocalProject

GROUP = "doomed"


def _labelled(start: int, n: int, gen: int, seed: int) -> pd.DataFrame:
    return make_frame(start, n, gen, seed).assign(label=lambda d: (d["id"] + gen) % 2)


def test_delete_is_refused_while_views_read_the_group(tmp_path: Path) -> None:
    fs = mlsys.login(home=tmp_path).get_feature_store()
    fg = fs.get_or_create_feature_group(GROUP, 1, primary_key=["id"])
    fg.insert(_labelled(0, 20, 0, seed=1))
    other = fs.get_or_create_feature_group("other", 1, primary_key=["id"])
    other.insert(make_frame(0, 20, 0, seed=2).rename(columns={"x": "y", "s": "t", "gen": "g"}))
    fs.get_or_create_feature_view("direct", 1, fg.select_all(), labels=["label"])
    fs.get_or_create_feature_view("joined", 1, other.select_all().join(fg.select(["label"])),
                                  labels=["label"])
    with pytest.raises(InUseError) as err:
        fg.delete()
    assert "direct v1" in str(err.value) and "joined v1" in str(err.value)
    assert "force=True" in str(err.value)
    assert len(fs.get_feature_group(GROUP, 1).read()) == 20  # nothing was deleted
    fs.get_feature_view("direct", 1).delete()
    with pytest.raises(InUseError, match="joined v1"):
        fg.delete()
    with pytest.raises(InUseError, match="joined v1"):  # the joined group is read too
        other.delete()
    fs.get_feature_view("joined", 1).delete()
    fg.delete()
    other.delete()
    with pytest.raises(NotFoundError):
        fs.get_feature_group(GROUP, 1)


def test_a_recreated_group_is_not_the_recorded_one(tmp_path: Path) -> None:
    """Same name, version, keys and number of commits, other values: the recorded versions
    name other rows, so reading the recorded datasets is an IntegrityError."""
    project = mlsys.login(home=tmp_path)
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group(GROUP, 1, primary_key=["id"])
    fg.insert(_labelled(0, 40, 0, seed=1))
    fv = fs.get_or_create_feature_view("v", 1, fg.select_all(), labels=["label"])
    fv.train_test_split(test_size=0.25, seed=1)
    fv.training_data()
    fg.delete(force=True)
    again = fs.get_or_create_feature_group(GROUP, 1, primary_key=["id"])
    again.insert(_labelled(0, 40, 1, seed=9))  # the same keys, other values
    view = fs.get_feature_view("v", 1)
    with pytest.raises(IntegrityError, match="deleted and created again"):
        view.get_train_test_split(1)
    with pytest.raises(IntegrityError, match="deleted and created again"):
        view.get_training_data(2)
    # a dataset recorded from the new group reads fine
    view.training_data()
    x, _ = view.get_training_data(3)
    assert len(x) == 40


def _template(root: Path) -> tuple[Path, str, str]:
    """A store holding the online group to delete (two inserts, a suite) and one to keep."""
    home = root / "template"
    project = mlsys.login(home=home)
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group(GROUP, 1, primary_key=["id"], online_enabled=True)
    fg.insert(make_frame(0, 30, 0, seed=1))
    fg.insert(make_frame(15, 30, 1, seed=2))
    kept = fs.get_or_create_feature_group("kept", 1, primary_key=["id"], online_enabled=True)
    kept.insert(make_frame(0, 10, 0, seed=3))
    states = fingerprint(fg.read()), fingerprint(kept.read())
    project.close()  # online stores closed: no -wal/-shm files, so every copy has the same steps
    return home, *states


def _check_after_kill(home: Path, before: str, kept: str) -> str:
    """The group is whole or wholly gone; the other group untouched; the name reusable."""
    project = mlsys.login(home=home)
    assert isinstance(project, LocalProject)
    fs = project.get_feature_store()
    store = project.config.feature_store_dir
    leftovers = [p.name for p in store.iterdir() if ".deleting-" in p.name]
    assert not leftovers, leftovers  # the open finished any half-done delete
    try:
        fg = fs.get_feature_group(GROUP, 1)
    except NotFoundError:
        state = "gone"
        assert not project.config.table_dir(GROUP, 1).exists()
        assert not project.config.online_path(GROUP, 1).exists()
    else:
        state = "whole"
        assert fingerprint(fg.read()) == before
        assert fingerprint(fg.read(online=True)) == fingerprint(fg.read().drop_duplicates("id"))
    assert fingerprint(fs.get_feature_group("kept", 1).read()) == kept
    result = project.verify()
    assert result.ok, result.lines()
    fresh = fs.get_or_create_feature_group(GROUP, 1, primary_key=["id"], online_enabled=True)
    fresh.insert(make_frame(100, 5, 7, seed=4))
    assert len(fresh.read(online=True)) == (5 if state == "gone" else 50)
    project.close()
    return state


def test_a_delete_killed_at_every_step_is_finished_or_undone(tmp_path: Path) -> None:
    template, before, kept = _template(tmp_path)
    probe = tmp_path / "probe"
    shutil.copytree(template, probe)
    out, _ = run_child("delete", home=str(probe), group=GROUP)
    steps = int(line_value(out, "MUTATIONS"))
    assert steps >= 4, out  # renames, the online files, the removal of the aside folder
    assert _check_after_kill(probe, before, kept) == "gone"
    states = []
    for k in range(1, steps + 1):
        home = tmp_path / f"kill-{k}"
        shutil.copytree(template, home)
        proc = spawn("delete", env={"REL_CRASH_AT": str(k)}, home=str(home), group=GROUP)
        out, err = proc.communicate(timeout=300)
        if proc.returncode == 0:  # fewer steps this time (a file SQLite made or not): finished
            assert int(line_value(out, "MUTATIONS")) < k, out
        else:
            assert proc.returncode == -9, f"crash point {k}: {err[-2000:]}"
        states.append(_check_after_kill(home, before, kept))
    # the aside folder exists before the first step, so the next open finishes every delete
    assert set(states) == {"gone"}, states
