"""Crash safety of files: model.save and dataset uploads killed mid-way.

Two kinds of crash. Random: a child process saving a model or uploading a file is SIGKILLed
after a random delay. Exact: the child kills itself just before its k-th file-system mutation
(rename, replace, unlink, rmdir, copyfile; see ``rel_child.py``), for every k, so every crash
point of the operation is tried. Afterwards the registry or dataset shows the old state or the
new one, never a half-written file, and the next save or upload works.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from rel_support import file_digest, line_value, spawn, tree_digest, wait_for_line

import mlsys
from mlsys.errors import ArtefactMovedWarning

MODEL = "crash_model"


def _big_file(path: Path, mib: int, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random.Random(seed).randbytes(mib << 20))
    return path


def _model_source(root: Path, seed: int, mib: int) -> Path:
    src = root / f"model-src-{seed}"
    _big_file(src / "model.pkl", mib, seed)
    (src / "meta.json").write_text(f'{{"seed": {seed}}}')
    (src / "plots").mkdir()
    (src / "plots" / "cm.png").write_bytes(random.Random(-seed).randbytes(3000))
    return src


def _finish(proc: subprocess.Popen[str], delay: float | None) -> tuple[bool, str]:
    """Kill ``proc`` after ``delay`` s (None: let it end); (killed?, stdout)."""
    if delay is not None:
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, -signal.SIGKILL), f"child failed ({proc.returncode}): {err}"
    return proc.returncode == -signal.SIGKILL, out


# --------------------------------------------------------------------------- model registry


def check_registry(home: Path, sources: dict[int, Path], context: str) -> list[int]:
    """Registered versions are a prefix of ``sources`` and each downloads as its source."""
    project = mlsys.login(home=home)
    mr = project.get_model_registry()
    versions = [m.version for m in mr.get_models(MODEL)]
    assert versions in ([1], [1, 2]), f"{context}: registered versions {versions}"
    for m in mr.get_models(MODEL):
        assert m.version is not None
        got = tree_digest(Path(m.download(str(home.parent / f"dl-{home.name}-{m.version}"))))
        assert got == tree_digest(sources[m.version]), f"{context}: v{m.version} files differ"
    # the next save gets the next version and is complete. A kill after the save's rename but
    # before its catalog commit leaves an unregistered folder of the new version; the next save
    # moves it aside (never deletes it) and warns naming it: its files must be the killed save's.
    nxt = mr.python.create_model(MODEL, metrics={"score": 3.0})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nxt.save(str(sources[1]))
    for w in caught:
        assert issubclass(w.category, ArtefactMovedWarning), f"{context}: {w.message}"
        aside = [p for p in Path(nxt.model_files_path).parent.iterdir()
                 if p.name.startswith(f"{versions[-1] + 1}.orphaned-")]
        assert len(aside) == 1 and str(aside[0]) in str(w.message), f"{context}: {w.message}"
        assert tree_digest(aside[0]) == tree_digest(sources[2]), f"{context}: aside differs"
    assert nxt.version == versions[-1] + 1, f"{context}: next save got v{nxt.version}"
    got = tree_digest(Path(nxt.download(str(home.parent / f"dl-{home.name}-next"))))
    assert got == tree_digest(sources[1]), f"{context}: the next save's files differ"
    project.close()
    return versions


def _registry_template(tmp_path: Path, mib: int) -> tuple[Path, dict[int, Path]]:
    home = tmp_path / "template"
    sources = {1: _model_source(tmp_path, 1, mib), 2: _model_source(tmp_path, 2, mib)}
    model = mlsys.login(home=home).get_model_registry().python.create_model(
        MODEL, metrics={"score": 1.0})
    model.save(str(sources[1]))
    return home, sources


def _save_in_child(template: Path, home: Path, src: Path,
                   env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    shutil.copytree(template, home)
    return spawn("save_model", env, home=str(home), name=MODEL, src=str(src))


def registry_soak(tmp_path: Path, trials: int, mib: int) -> None:
    template, sources = _registry_template(tmp_path, mib)
    killed, out = _finish(_save_in_child(template, tmp_path / "calibration", sources[2]), None)
    assert not killed
    duration = float(line_value(out, "DONE").split()[0])
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    for i in range(trials):
        home = tmp_path / f"trial-{i}"
        proc = _save_in_child(template, home, sources[2])
        wait_for_line(proc, "READY")
        delay = rng.uniform(0.0, duration * 1.2)
        killed, _ = _finish(proc, delay)
        check_registry(home, sources, f"save trial {i} (seed {seed}, killed {killed} at "
                                      f"{delay:.3f} s)")
        shutil.rmtree(home)


def test_save_killed_between_rename_and_commit_leaves_its_files_aside(tmp_path: Path) -> None:
    # The state a kill in that window leaves (the random kills below hit it only rarely): the
    # new version's folder in place, no catalog row for it.
    template, sources = _registry_template(tmp_path, 1)
    project = mlsys.login(home=template)
    folder = Path(project.get_model_registry().get_model(MODEL, 1).model_files_path)
    project.close()
    shutil.copytree(sources[2], folder.with_name("2"))
    assert check_registry(template, sources, "after a kill before the commit") == [1]


def test_killed_model_save_registers_all_or_nothing(tmp_path: Path) -> None:
    registry_soak(tmp_path, trials=2, mib=24)


@pytest.mark.slow
def test_killed_model_save_soak(tmp_path: Path) -> None:
    registry_soak(tmp_path, trials=20, mib=64)


def crash_points(tmp_path: Path, start: Callable[[Path, dict[str, str]], subprocess.Popen[str]],
                 check: Callable[[Path, str], object], limit: int = 60) -> int:
    """Run the operation once per crash point k = 1, 2, ... until it completes; check each."""
    for k in range(1, limit + 1):
        home = tmp_path / f"crash-at-{k}"
        killed, out = _finish(start(home, {"REL_CRASH_AT": str(k)}), None)
        check(home, f"crashed before file-system mutation #{k}")
        if not killed:
            return int(line_value(out, "MUTATIONS"))
    raise AssertionError(f"the operation still had crash points after {limit}")


def test_model_save_crashed_at_every_point(tmp_path: Path) -> None:
    template, sources = _registry_template(tmp_path, 1)
    points = crash_points(
        tmp_path, lambda home, env: _save_in_child(template, home, sources[2], env),
        lambda home, ctx: check_registry(home, sources, ctx))
    assert points >= 1  # at least the rename into place was a crash point


# --------------------------------------------------------------------------- dataset API


def _dataset_template(tmp_path: Path, old: Path, dest: str) -> Path:
    home = tmp_path / "template"
    mlsys.login(home=home).get_dataset_api().upload(str(old), dest)
    return home


def check_dataset(home: Path, target: str, states: dict[str, object], context: str) -> None:
    """The project path ``target`` holds exactly one of ``states`` (file sha or tree digest)."""
    project = mlsys.login(home=home)
    ds = project.get_dataset_api()
    assert ds.exists(target), f"{context}: {target} is missing (neither old nor new)"
    parent = target.rsplit("/", 1)[0]
    assert ds.list(parent) == [target], f"{context}: {parent} lists {ds.list(parent)}"
    local = home / "mlsys" / "datasets" / target
    got: object = tree_digest(local) if local.is_dir() else file_digest(local)
    assert got in states.values(), f"{context}: {target} is neither the old nor the new content"
    out = Path(ds.download(target, str(home.parent / f"dl-{home.name}"), overwrite=True))
    assert (tree_digest(out) if out.is_dir() else file_digest(out)) == got
    project.close()


def _file_case(tmp_path: Path, mib: int) -> tuple[Path, Path, dict[str, object]]:
    old = _big_file(tmp_path / "old" / "big.bin", mib, 1)
    new = _big_file(tmp_path / "new" / "big.bin", mib, 2)
    return old, new, {"old": file_digest(old), "new": file_digest(new)}


def _dir_case(tmp_path: Path) -> tuple[Path, Path, dict[str, object]]:
    old, new = tmp_path / "old" / "images", tmp_path / "new" / "images"
    _big_file(old / "a.png", 1, 3)
    _big_file(old / "b.png", 1, 4)
    _big_file(new / "a.png", 1, 5)
    _big_file(new / "c" / "d.png", 1, 6)
    return old, new, {"old": tree_digest(old), "new": tree_digest(new)}


def _upload_in_child(template: Path, home: Path, src: Path,
                     env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    shutil.copytree(template, home)
    return spawn("upload", env, home=str(home), src=str(src), dest="Resources", overwrite=True)


def upload_soak(tmp_path: Path, trials: int, mib: int) -> None:
    old, new, states = _file_case(tmp_path, mib)
    template = _dataset_template(tmp_path, old, "Resources")
    killed, out = _finish(_upload_in_child(template, tmp_path / "calibration", new), None)
    duration = float(line_value(out, "DONE").split()[0])
    check_dataset(tmp_path / "calibration", "Resources/big.bin", {"new": states["new"]},
                  "uninterrupted upload")
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    for i in range(trials):
        home = tmp_path / f"trial-{i}"
        proc = _upload_in_child(template, home, new)
        wait_for_line(proc, "READY")
        delay = rng.uniform(0.0, duration * 1.2)
        killed, _ = _finish(proc, delay)
        check_dataset(home, "Resources/big.bin", states,
                      f"upload trial {i} (seed {seed}, killed {killed} at {delay:.3f} s)")
        shutil.rmtree(home)


def test_killed_upload_leaves_old_or_new_file(tmp_path: Path) -> None:
    upload_soak(tmp_path, trials=2, mib=48)


@pytest.mark.slow
def test_killed_upload_soak(tmp_path: Path) -> None:
    upload_soak(tmp_path, trials=20, mib=128)


@pytest.mark.parametrize("case", ["file", "directory"])
def test_upload_overwrite_crashed_at_every_point(tmp_path: Path, case: str) -> None:
    old, new, states = _file_case(tmp_path, 1) if case == "file" else _dir_case(tmp_path)
    template = _dataset_template(tmp_path, old, "Resources")
    target = f"Resources/{old.name}"
    points = crash_points(
        tmp_path, lambda home, env: _upload_in_child(template, home, new, env),
        lambda home, ctx: check_dataset(home, target, states, ctx))
    assert points >= 1
