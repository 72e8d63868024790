"""Symbolic links never lead a read or a write out of the store; linked model folders are kept.

Names are checked as text; these tests plant real links *inside* a store (``datasets/escape ->
<outside>``, a linked ``models/<name>``, a linked table folder) and assert every dataset-API
call, model save/load/delete and insert through them is refused with a message naming the link
and where it leads, while the outside folder stays exactly as it was. Uploads resolve their
source (``<dir>/..`` would copy the store into itself). A model folder with a linked
sub-folder saves every file (links followed, as MLflow's ``log_artifacts`` does); a link loop or
a dangling link is refused with the list of entries, before anything is saved.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import mlsys
from mlsys.errors import InvalidArgumentError, InvalidNameError, MlsysError
from mlsys.store.api import Project


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Project, Path, Path]]:
    """A store, its project root, and an outside folder holding one secret file."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("do not touch")
    project = mlsys.login(home=tmp_path / "store")
    root = Path(project.config.root)  # type: ignore[attr-defined]
    yield project, root, outside
    project.close()


def _refused(call: Callable[[], Any], *fragments: str) -> MlsysError:
    with pytest.raises(MlsysError) as info:
        call()
    text = str(info.value)
    for fragment in fragments:
        assert fragment in text, text
    return info.value


DATASET_CALLS: dict[str, Callable[[Any, Path], Any]] = {
    "upload into it": lambda api, src: api.upload(str(src), "escape"),
    "upload over its file": lambda api, src: api.upload(str(src), "escape", overwrite=True),
    "read_bytes": lambda api, src: api.read_bytes("escape/secret.txt"),
    "download": lambda api, src: api.download("escape/secret.txt", str(src.parent / "got")),
    "download the folder": lambda api, src: api.download("escape", str(src.parent / "got")),
    "exists": lambda api, src: api.exists("escape/secret.txt"),
    "list": lambda api, src: api.list("escape"),
    "mkdir": lambda api, src: api.mkdir("escape/new"),
    "remove": lambda api, src: api.remove("escape/secret.txt"),
    "remove the folder": lambda api, src: api.remove("escape"),
}


@pytest.mark.parametrize("call", list(DATASET_CALLS))
def test_a_link_under_datasets_leads_nowhere_outside(world: tuple[Project, Path, Path],
                                                     tmp_path: Path, call: str) -> None:
    project, root, outside = world
    (root / "datasets" / "escape").symlink_to(outside, target_is_directory=True)
    src = tmp_path / "secret.txt"
    src.write_text("overwritten!")
    before = _snapshot(outside)
    err = _refused(lambda: DATASET_CALLS[call](project.get_dataset_api(), src),
                   "escape", "outside the store", str(outside))
    assert isinstance(err, InvalidNameError)
    assert _snapshot(outside) == before and (outside / "secret.txt").exists()
    assert not (tmp_path / "got").exists()


def test_a_linked_file_in_a_downloaded_folder_is_refused(world: tuple[Project, Path, Path],
                                                         tmp_path: Path) -> None:
    project, root, outside = world
    api = project.get_dataset_api()
    api.mkdir("Resources/docs")
    (root / "datasets" / "Resources" / "docs" / "a.txt").write_text("fine")
    (root / "datasets" / "Resources" / "docs" / "leak.txt").symlink_to(outside / "secret.txt")
    _refused(lambda: api.download("Resources/docs", str(tmp_path / "got")), "leak.txt",
             "outside the store")
    assert not (tmp_path / "got").exists()


def test_the_datasets_folder_itself_linked_out_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    home = tmp_path / "store"
    mlsys.login(home=home).close()
    (root,) = [p.parent for p in home.glob("*/catalog.sqlite")]
    (root / "datasets").rmdir()
    (root / "datasets").symlink_to(outside, target_is_directory=True)
    project = mlsys.login(home=home)
    src = tmp_path / "f.txt"
    src.write_text("x")
    _refused(lambda: project.get_dataset_api().upload(str(src), "Resources"),
             "outside the store")
    assert list(outside.iterdir()) == []
    project.close()


def test_links_inside_the_store_still_work(world: tuple[Project, Path, Path],
                                           tmp_path: Path) -> None:
    project, root, _ = world
    api = project.get_dataset_api()
    api.mkdir("Resources/real")
    (root / "datasets" / "alias").symlink_to(root / "datasets" / "Resources" / "real")
    src = tmp_path / "f.txt"
    src.write_text("hello")
    assert api.upload(str(src), "alias") == "alias/f.txt"
    assert api.read_bytes("Resources/real/f.txt") == b"hello"
    folder = tmp_path / "folder"
    (folder / "empty").mkdir(parents=True)
    (folder / "sub").mkdir()
    (folder / "sub" / "g.txt").write_text("g")
    api.upload(str(folder), "Resources")  # a folder keeps its empty sub-folders
    assert api.list("Resources/folder") == ["Resources/folder/empty", "Resources/folder/sub"]
    assert api.read_bytes("Resources/folder/sub/g.txt") == b"g"


@pytest.mark.parametrize("given", ["{d}/..", "{d}/.", "", "   "])
def test_upload_refuses_a_source_without_a_name(world: tuple[Project, Path, Path],
                                                tmp_path: Path, given: str) -> None:
    project, root, _ = world
    (tmp_path / "d").mkdir(exist_ok=True)
    local = given.format(d=tmp_path / "d")
    before = _snapshot(root / "datasets")
    err = _refused(lambda: project.get_dataset_api().upload(local, "Resources"))
    assert isinstance(err, InvalidNameError)
    assert _snapshot(root / "datasets") == before
    assert not any((root / "datasets").rglob(".mlsys-staging-*"))


def test_upload_refuses_a_folder_holding_the_store(world: tuple[Project, Path, Path],
                                                   tmp_path: Path) -> None:
    project, root, _ = world
    err = _refused(lambda: project.get_dataset_api().upload(str(tmp_path), "Resources"),
                   "holds the store itself")
    assert isinstance(err, InvalidNameError)
    assert not (root / "datasets" / "Resources").exists()


def _model_dir(tmp_path: Path) -> Path:
    d = tmp_path / "model"
    d.mkdir()
    (d / "model.pkl").write_bytes(b"weights")
    return d


def test_a_linked_model_folder_in_the_store_is_refused(world: tuple[Project, Path, Path],
                                                       tmp_path: Path) -> None:
    project, root, outside = world
    mr = project.get_model_registry()
    (root / "models").mkdir(exist_ok=True)
    (root / "models" / "m").symlink_to(outside, target_is_directory=True)
    before = _snapshot(outside)
    _refused(lambda: mr.python.create_model("m").save(str(_model_dir(tmp_path))),
             "outside the store")
    assert _snapshot(outside) == before and [p.name for p in outside.iterdir()] == ["secret.txt"]


def test_delete_never_follows_a_version_folder_linked_out(world: tuple[Project, Path, Path],
                                                          tmp_path: Path) -> None:
    project, root, outside = world
    mr = project.get_model_registry()
    model = mr.python.create_model("m").save(str(_model_dir(tmp_path)))
    folder = root / "models" / "m" / "1"
    (outside / "1").mkdir()
    (outside / "1" / "keep.txt").write_text("mine")
    shutil.rmtree(folder)
    folder.symlink_to(outside / "1", target_is_directory=True)
    _refused(model.delete, "outside the store")
    assert (outside / "1" / "keep.txt").read_text() == "mine"
    assert mr.get_model("m", 1).version == 1  # still registered: nothing changed


def test_a_linked_table_folder_is_refused(world: tuple[Project, Path, Path]) -> None:
    project, root, outside = world
    (root / "feature_store" / "g_1").symlink_to(outside, target_is_directory=True)
    fs = project.get_feature_store()
    frame = pd.DataFrame({"id": [1, 2], "x": [0.5, 0.7]})
    _refused(lambda: fs.get_or_create_feature_group("g", 1, primary_key=["id"]).insert(frame),
             "outside the store")
    assert [p.name for p in outside.iterdir()] == ["secret.txt"]


def test_cli_out_inside_the_store_is_a_usage_error(tmp_path: Path) -> None:
    home = tmp_path / "store"
    mlsys.login(home=home).close()
    (root,) = [p.parent for p in home.glob("*/catalog.sqlite")]
    link = tmp_path / "reports"
    link.symlink_to(root / "feature_store", target_is_directory=True)
    cli = Path(sys.executable).with_name("mlsys")
    env = {"MLSYS_HOME": str(home), "PATH": "/usr/bin:/bin", "GX_ANALYTICS_ENABLED": "False"}
    for out in (root / "feature_store", link / "quality"):
        run = subprocess.run([str(cli), "report", "--out", str(out)], env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 2, (run.returncode, run.stderr)
        assert "inside the store" in run.stderr and "Traceback" not in run.stderr
    assert not list((root / "feature_store").glob("*.html"))


# ----------------------------------------------------------------- model folders with links


def test_a_linked_sub_folder_of_a_model_is_saved_whole(world: tuple[Project, Path, Path],
                                                       tmp_path: Path) -> None:
    project, _, _ = world
    shared = tmp_path / "shared_weights"
    (shared / "deep").mkdir(parents=True)
    (shared / "w.bin").write_bytes(b"w" * 100)
    (shared / "deep" / "v.bin").write_bytes(b"v")
    model_dir = _model_dir(tmp_path)
    (model_dir / "weights").symlink_to(shared, target_is_directory=True)
    (model_dir / "alias.pkl").symlink_to(model_dir / "model.pkl")
    mr = project.get_model_registry()
    mr.python.create_model("m").save(str(model_dir))
    got = Path(mr.get_model("m", 1).download(str(tmp_path / "loaded")))
    assert _snapshot(got) == {"alias.pkl": b"weights", "model.pkl": b"weights",
                              "weights/deep/v.bin": b"v", "weights/w.bin": b"w" * 100}
    assert not any(p.is_symlink() for p in got.rglob("*"))  # self-contained copies


@pytest.mark.parametrize("bad", ["loop", "dangling"])
def test_a_model_folder_with_a_loop_or_dangling_link_is_refused(
        world: tuple[Project, Path, Path], tmp_path: Path, bad: str) -> None:
    project, root, _ = world
    model_dir = _model_dir(tmp_path)
    (model_dir / "sub").mkdir()
    if bad == "loop":
        (model_dir / "sub" / "again").symlink_to(model_dir, target_is_directory=True)
        entry = "sub/again"
    else:
        (model_dir / "sub" / "gone.bin").symlink_to(tmp_path / "missing.bin")
        entry = "sub/gone.bin"
    mr = project.get_model_registry()
    err = _refused(lambda: mr.python.create_model("m").save(str(model_dir)), entry,
                   "Nothing was saved")
    assert isinstance(err, InvalidArgumentError)
    assert mr.get_models("m") == []
    assert not list((root / "models").rglob("*.pkl"))
