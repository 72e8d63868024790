"""Model registry: versions, metrics, best model, sha256-verified downloads."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from mlsys.errors import AlreadyExistsError, IntegrityError, NotFoundError, SchemaError
from mlsys.store.api import ModelSchema, Project, Schema

Name = Callable[[str], str]


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    d = tmp_path / "model"
    (d / "sub").mkdir(parents=True)
    (d / "model.pkl").write_bytes(b"\x80pickle bytes" * 100)
    (d / "sub" / "notes.txt").write_text("trained on 40 rows")
    return d


def test_versions_increment_and_metadata_round_trips(project: Project, name: Name,
                                                     model_dir: Path) -> None:
    mr = project.get_model_registry()
    example = pd.DataFrame({"x": [1.5], "y": [2]})
    schema = ModelSchema(Schema.from_frame(example), Schema.from_frame(pd.Series(["a"],
                                                                                name="label")))
    m1 = mr.sklearn.create_model(name("clf"), metrics={"acc": 1, "f1": 0.5},
                                 description="first", input_example=example,
                                 model_schema=schema, training_dataset_version=3)
    m1.save(str(model_dir))
    m2 = mr.python.create_model(name("clf"), metrics={"acc": 0.9})
    m2.save(str(model_dir / "model.pkl"))
    assert (m1.version, m2.version) == (1, 2)
    got = mr.get_model(name("clf"), 1)
    assert got.training_metrics == {"acc": 1.0, "f1": 0.5}
    assert all(type(v) is float for v in got.training_metrics.values())
    assert got.description == "first" and got.training_dataset_version == 3
    assert got.model_schema == schema.to_dict() and got.input_example is not None
    assert [m.version for m in mr.get_models(name("clf"))] == [1, 2]
    assert mr.get_model(name("clf")).version == 1  # None means version 1, as in hsml
    assert mr.get_models(name("none")) == []


def test_download_returns_the_saved_files(project: Project, name: Name,
                                          model_dir: Path, tmp_path: Path) -> None:
    mr = project.get_model_registry()
    mr.python.create_model(name("clf")).save(str(model_dir))
    mr.python.create_model(name("clf")).save(str(model_dir / "model.pkl"))
    d1 = Path(mr.get_model(name("clf"), 1).download(str(tmp_path / "out")))
    assert (d1 / "model.pkl").read_bytes() == (model_dir / "model.pkl").read_bytes()
    assert (d1 / "sub" / "notes.txt").read_text() == "trained on 40 rows"
    d2 = Path(mr.get_model(name("clf"), 2).download())
    assert sorted(p.name for p in d2.iterdir()) == ["model.pkl"]


def test_unknown_model_or_version_lists_what_exists(project: Project, name: Name,
                                                    model_dir: Path) -> None:
    mr = project.get_model_registry()
    mr.python.create_model(name("clf")).save(str(model_dir))
    with pytest.raises(NotFoundError) as err:
        mr.get_model(name("clf"), 5)
    assert f"{name('clf')} v1" in err.value.existing


def test_metrics_must_be_numbers(project: Project, name: Name) -> None:
    mr = project.get_model_registry()
    for bad in ({"acc": True}, {"acc": "0.9"}, {"acc": None}, {"acc": float("nan")}):
        with pytest.raises(SchemaError, match="acc"):
            mr.python.create_model(name("clf"), metrics=bad)


def test_feature_view_must_be_a_view_object(project: Project, name: Name) -> None:
    with pytest.raises(SchemaError, match="feature_view must"):
        project.get_model_registry().sklearn.create_model(name("clf"), feature_view="iris")


def test_best_model_by_metric_with_ties_to_the_newest(project: Project, name: Name,
                                                      model_dir: Path) -> None:
    mr = project.get_model_registry()
    for acc, loss in ((0.8, 0.3), (0.9, 0.2), (0.9, 0.5), (0.7, 0.1)):
        mr.python.create_model(name("clf"), metrics={"acc": acc, "loss": loss}).save(
            str(model_dir))
    mr.python.create_model(name("clf"), metrics={"other": 1.0}).save(str(model_dir))
    best = mr.get_best_model(name("clf"), "acc", "max")
    assert best is not None and best.version == 3  # 2 and 3 tie at 0.9
    low = mr.get_best_model(name("clf"), "loss", "min")
    assert low is not None and low.version == 4
    assert mr.get_best_model(name("clf"), "nope", "max") is None
    assert mr.get_best_model(name("none"), "acc", "max") is None


def test_explicit_version_cannot_be_saved_twice(project: Project, name: Name,
                                                model_dir: Path) -> None:
    mr = project.get_model_registry()
    mr.python.create_model(name("clf"), version=4).save(str(model_dir))
    with pytest.raises(AlreadyExistsError):
        mr.python.create_model(name("clf"), version=4).save(str(model_dir))
    assert [m.version for m in mr.get_models(name("clf"))] == [4]


def test_missing_model_path_registers_nothing(project: Project, name: Name,
                                              tmp_path: Path) -> None:
    mr = project.get_model_registry()
    with pytest.raises(NotFoundError):
        mr.python.create_model(name("clf")).save(str(tmp_path / "nope"))
    assert mr.get_models(name("clf")) == []


def test_delete_removes_the_version(project: Project, name: Name, model_dir: Path) -> None:
    mr = project.get_model_registry()
    mr.python.create_model(name("clf")).save(str(model_dir))
    mr.get_model(name("clf"), 1).delete()
    assert mr.get_models(name("clf")) == []


# --------------------------------------------------------------------------- local files

def _stored(project: Project, model: str, version: int) -> Path:
    return project.config.model_dir(model, version)  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("damage", ["change", "truncate", "remove", "add"])
def test_tampered_files_are_refused(local_project: Project, model_dir: Path, tmp_path: Path,
                                    damage: str) -> None:
    mr = local_project.get_model_registry()
    mr.python.create_model("clf").save(str(model_dir))
    stored = _stored(local_project, "clf", 1)
    target = stored / "model.pkl"
    if damage == "change":
        data = bytearray(target.read_bytes())
        data[0] ^= 1
        target.write_bytes(bytes(data))
    elif damage == "truncate":
        target.write_bytes(target.read_bytes()[:10])
    elif damage == "remove":
        target.unlink()
    else:
        (stored / "evil.py").write_text("print('hi')")
    out = tmp_path / "download"
    with pytest.raises(IntegrityError, match=r"model\.pkl|evil\.py"):
        mr.get_model("clf", 1).download(str(out))
    assert not out.exists()  # nothing unverified is handed out


def test_files_live_under_models_name_version(local_project: Project,
                                              model_dir: Path) -> None:
    local_project.get_model_registry().python.create_model("clf").save(str(model_dir))
    stored = _stored(local_project, "clf", 1)
    assert (stored / "model.pkl").is_file() and (stored / "sub" / "notes.txt").is_file()
    assert not [p for p in stored.parent.iterdir() if p.name.startswith(".staging")]


def test_concurrent_saves_get_distinct_versions(local_project: Project,
                                                model_dir: Path) -> None:
    mr = local_project.get_model_registry()

    def save(i: int) -> int:
        m = mr.python.create_model("clf", metrics={"i": i})
        m.save(str(model_dir))
        assert m.version is not None
        return m.version

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        versions = sorted(pool.map(save, range(8)))
    assert versions == list(range(1, 9))
    stored = _stored(local_project, "clf", 1).parent
    assert sorted(p.name for p in stored.iterdir()) == sorted(str(v) for v in versions)
