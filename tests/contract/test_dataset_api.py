"""The dataset API: project files such as Resources/images/x.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsys.errors import AlreadyExistsError, InvalidNameError, NotFoundError
from mlsys.store.api import Project

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    p = tmp_path / "x.png"
    p.write_bytes(PNG)
    return p


def test_upload_list_read_download_remove(project: Project, picture: Path,
                                          tmp_path: Path) -> None:
    ds = project.get_dataset_api()
    assert ds.upload(str(picture), "Resources/images") == "Resources/images/x.png"
    assert ds.exists("Resources/images/x.png") and not ds.exists("Resources/images/y.png")
    assert ds.list("Resources/images") == ["Resources/images/x.png"]
    assert ds.read_bytes("Resources/images/x.png") == PNG
    out = tmp_path / "out"
    out.mkdir()
    got = Path(ds.download("Resources/images/x.png", str(out)))
    assert got == (out / "x.png").resolve() and got.read_bytes() == PNG
    ds.remove("Resources/images/x.png")
    assert not ds.exists("Resources/images/x.png")
    with pytest.raises(NotFoundError):
        ds.remove("Resources/images/x.png")


def test_existing_targets_need_overwrite(project: Project, picture: Path,
                                         tmp_path: Path) -> None:
    ds = project.get_dataset_api()
    ds.upload(str(picture), "Resources")
    picture.write_bytes(PNG + b"v2")
    with pytest.raises(AlreadyExistsError, match="overwrite"):
        ds.upload(str(picture), "Resources")
    assert ds.read_bytes("Resources/x.png") == PNG
    ds.upload(str(picture), "Resources", overwrite=True)
    assert ds.read_bytes("Resources/x.png") == PNG + b"v2"
    ds.download("Resources/x.png", str(tmp_path / "copy.png"))
    with pytest.raises(AlreadyExistsError):
        ds.download("Resources/x.png", str(tmp_path / "copy.png"))
    # Hopsworks raises OSError there, so `except OSError` written for it catches ours too
    with pytest.raises(OSError, match="overwrite"):
        ds.download("Resources/x.png", str(tmp_path / "copy.png"))


def test_directories(project: Project, tmp_path: Path) -> None:
    ds = project.get_dataset_api()
    assert ds.mkdir("Resources/a/b") == "Resources/a/b"
    src = tmp_path / "report"
    src.mkdir()
    (src / "index.html").write_text("<p>hi</p>")
    assert ds.upload(str(src), "Resources") == "Resources/report"
    assert ds.list("Resources") == ["Resources/a", "Resources/report"]
    assert ds.read_bytes("Resources/report/index.html") == b"<p>hi</p>"
    (src / "index.html").write_text("<p>v2</p>")
    ds.upload(str(src), "Resources", overwrite=True)
    assert ds.read_bytes("Resources/report/index.html") == b"<p>v2</p>"
    ds.remove("Resources/report")
    assert ds.list("Resources") == ["Resources/a"]


@pytest.mark.parametrize("bad", ["", "../x", "Resources/../../etc", "/etc/passwd",
                                 "Resources/\x00x"])
def test_unsafe_paths_are_refused(project: Project, picture: Path, bad: str) -> None:
    ds = project.get_dataset_api()
    with pytest.raises(InvalidNameError):
        ds.upload(str(picture), bad)
    with pytest.raises(InvalidNameError):
        ds.read_bytes(bad)


def test_files_live_under_datasets(local_project: Project, picture: Path) -> None:
    local_project.get_dataset_api().upload(str(picture), "Resources/images")
    root = local_project.config.root  # type: ignore[attr-defined]
    assert (root / "datasets" / "Resources" / "images" / "x.png").read_bytes() == PNG
