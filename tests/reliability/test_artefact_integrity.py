"""Artefact integrity and code-loading safety; a copied store (backup/restore) works as before.

Models are joblib pickles, and unpickling runs code. So the registry hands out, and
``mlsys.serving.load_best_model`` unpickles, only files whose sha256 matches the catalog. The
tampered pickle here writes a marker file when loaded; the tests first prove it does, then prove
that no path through the store ever loads it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import joblib
import pandas as pd
import pytest
from rel_support import tree_digest

import mlsys
from mlsys.errors import IntegrityError
from mlsys.serving import BEST_METRIC, MODEL_FILE, ModelCache, load_best_model
from mlsys.store.api import Project
from mlsys.systems import get_system

IRIS = get_system("iris")


class Payload:
    """Unpickling this object runs code that writes 'pwned' into ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (f"with open({str(self.marker)!r}, 'w') as f:\n    f.write('pwned')",)


def _register(project: Project, tmp: Path, score: float, obj: object) -> int:
    src = tmp / f"src-{score}"
    src.mkdir()
    joblib.dump(obj, src / MODEL_FILE)
    (src / "metrics.json").write_text(f'{{"{BEST_METRIC}": {score}}}')
    model = project.get_model_registry().sklearn.create_model(
        IRIS.model_name, metrics={BEST_METRIC: score})
    model.save(str(src))
    assert model.version is not None
    return model.version


@pytest.fixture
def store(tmp_path: Path) -> tuple[Project, Path, Path]:
    """A store with two honest versions (v2 is the best), an evil pickle and its marker path."""
    project = mlsys.login(home=tmp_path / "store")
    _register(project, tmp_path, 0.5, {"kind": "weak"})
    _register(project, tmp_path, 0.9, {"kind": "best"})
    marker = tmp_path / "marker.txt"
    evil = tmp_path / "evil.pkl"
    joblib.dump(Payload(marker), evil)
    joblib.load(evil)  # the payload works: loading it writes the marker ...
    assert marker.read_text() == "pwned"
    marker.unlink()  # ... so its absence below proves it was never loaded
    return project, evil, marker


def _best_file(project: Project) -> Path:
    best = project.get_model_registry().get_model(IRIS.model_name, 2)
    return Path(best.model_files_path) / MODEL_FILE  # type: ignore[attr-defined]


def _flip_a_byte(p: Path) -> None:
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))


def _symlink_to(target: Path) -> Callable[[Path], None]:
    def tamper(p: Path) -> None:
        p.unlink()
        p.symlink_to(target)
    return tamper


def tampers(evil: Path) -> dict[str, Callable[[Path], None]]:
    return {
        "replaced by the evil pickle": lambda p: shutil.copyfile(evil, p),
        "evil pickle padded to the same size": lambda p: p.write_bytes(
            evil.read_bytes().ljust(p.stat().st_size, b"\0")[:p.stat().st_size]),
        "one byte flipped": _flip_a_byte,
        "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
        "emptied": lambda p: p.write_bytes(b""),
        "deleted": lambda p: p.unlink(),
        "symlink to the evil pickle": _symlink_to(evil),
        "extra file beside it": lambda p: shutil.copyfile(evil, p.with_name("extra.pkl")),
    }


CASES = list(tampers(Path("unused")))


@pytest.mark.parametrize("case", CASES)
def test_tampered_artefact_is_refused_and_never_unpickled(
        store: tuple[Project, Path, Path], tmp_path: Path, case: str) -> None:
    project, evil, marker = store
    tampers(evil)[case](_best_file(project))
    best = project.get_model_registry().get_model(IRIS.model_name, 2)

    dest = tmp_path / "download"
    with pytest.raises(IntegrityError) as info:
        best.download(str(dest))
    assert f"{IRIS.model_name} v2" in str(info.value)
    assert not dest.exists() or not any(dest.rglob("*")), "unverified files were left behind"

    with pytest.raises(IntegrityError):
        load_best_model(project, IRIS)
    with pytest.raises(IntegrityError):
        ModelCache(project, IRIS).get()
    assert not marker.exists(), "the tampered pickle was unpickled"

    # the untouched version still loads, verified
    weak = project.get_model_registry().get_model(IRIS.model_name, 1)
    assert joblib.load(Path(weak.download()) / MODEL_FILE) == {"kind": "weak"}


def test_honest_artefacts_load(store: tuple[Project, Path, Path]) -> None:
    project, _, marker = store
    loaded = load_best_model(project, IRIS)
    assert loaded.version == 2 and loaded.estimator == {"kind": "best"}
    assert not marker.exists()


def test_download_into_an_existing_directory_removes_what_it_copied(
        store: tuple[Project, Path, Path], tmp_path: Path) -> None:
    project, evil, marker = store
    shutil.copyfile(evil, _best_file(project))
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "keep.txt").write_text("the user's own file")
    with pytest.raises(IntegrityError):
        project.get_model_registry().get_model(IRIS.model_name, 2).download(str(dest))
    assert sorted(p.name for p in dest.iterdir()) == ["keep.txt"]
    assert not marker.exists()


# --------------------------------------------------------------------------- backup / restore


def build_store(home: Path, tmp: Path) -> Project:
    """A store with every kind of state: group (suite, online), view, split, model, file."""
    project = mlsys.login(home=home)
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group("things", 1, primary_key=["id"], event_time="ts",
                                        online_enabled=True)
    fg.save_expectation_suite({"name": "s", "expectations": [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "x", "min_value": 0, "max_value": 100}}]},
        validation_ingestion_policy="strict")
    fg.insert(pd.DataFrame({"id": range(40), "ts": pd.Timestamp("2026-01-01", tz="UTC"),
                            "x": [float(i) for i in range(40)],
                            "label": ["a", "b"] * 20}))
    fv = fs.get_or_create_feature_view("things", 1, fg.select_all(), labels=["label"])
    fv.train_test_split(test_size=0.25, seed=3)
    src = tmp / "model"
    src.mkdir()
    joblib.dump({"weights": [1, 2, 3]}, src / MODEL_FILE)
    project.get_model_registry().sklearn.create_model("things_model",
                                                      metrics={"acc": 0.7}).save(str(src))
    (tmp / "plot.png").write_bytes(b"\x89PNG fake")
    project.get_dataset_api().upload(str(tmp / "plot.png"), "Resources/images")
    return project


def snapshot(project: Project) -> dict[str, object]:
    fs = project.get_feature_store()
    fg = fs.get_feature_group("things", 1)
    split = fs.get_feature_view("things", 1).get_train_test_split(1)
    model = project.get_model_registry().get_model("things_model", 1)
    return {
        "rows": fg.read().sort_values("id").reset_index(drop=True).to_dict("list"),
        "online": fg.read(online=True).sort_values("id").reset_index(drop=True).to_dict("list"),
        "features": fg.features,
        "commits": len(fg.commit_details()),
        "reports": [(r.ingestion_result, r.success) for r in fg.get_all_validation_reports()],
        "policy": fg.validation_ingestion_policy,
        "split": [part.to_dict("list") for part in split],
        "model": tree_digest(Path(model.download())),
        "metrics": model.training_metrics,
        "file": project.get_dataset_api().read_bytes("Resources/images/plot.png"),
    }


def test_copied_store_works_from_its_new_place(tmp_path: Path) -> None:
    original = tmp_path / "original"
    project = build_store(original, tmp_path)
    before = snapshot(project)
    project.close()
    copy = tmp_path / "elsewhere" / "restored"
    shutil.copytree(original, copy)
    moved = tmp_path / "moved-away"
    original.rename(moved)  # nothing may still point at the old place
    untouched = tree_digest(moved)

    restored = mlsys.login(home=copy)
    assert snapshot(restored) == before
    fg = restored.get_feature_store().get_feature_group("things", 1)
    fg.insert(pd.DataFrame({"id": [99], "ts": pd.Timestamp("2026-02-01", tz="UTC"),
                            "x": [1.0], "label": ["a"]}))
    assert 99 in set(fg.read()["id"]) and 99 in set(fg.read(online=True)["id"])
    with pytest.raises(mlsys.DataValidationError):  # the suite came along, STRICT
        fg.insert(pd.DataFrame({"id": [100], "ts": pd.Timestamp("2026-02-01", tz="UTC"),
                                "x": [1000.0], "label": ["a"]}))
    assert tree_digest(moved) == untouched, "working on the copy changed the original"


def test_restoring_a_backup_brings_back_its_state(tmp_path: Path) -> None:
    home = tmp_path / "store"
    project = build_store(home, tmp_path)
    before = snapshot(project)
    project.close()
    backup = tmp_path / "backup"
    shutil.copytree(home, backup)

    later = mlsys.login(home=home)  # changes made after the backup ...
    fg = later.get_feature_store().get_feature_group("things", 1)
    fg.insert(pd.DataFrame({"id": [500], "ts": pd.Timestamp("2026-03-01", tz="UTC"),
                            "x": [5.0], "label": ["b"]}))
    later.get_model_registry().get_model("things_model", 1).delete()
    later.close()

    shutil.rmtree(home)  # ... are gone after the restore
    shutil.copytree(backup, home)
    assert snapshot(mlsys.login(home=home)) == before
