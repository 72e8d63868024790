"""Hostile names: feature groups, feature views, features, models and dataset paths.

Every name either follows the documented rule and works, or is refused with an ``MlsysError``
(``InvalidNameError`` for a bad name) whose message shows the value; never another exception,
and never a file written outside the store's own directories.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
import pytest
from hostile import BUDGETS, names, names_the_value, paths, refused, run_property, snapshot

import mlsys
from mlsys.errors import InvalidNameError, NotFoundError, SchemaError

ENTITY = re.compile(r"[a-z0-9_]{1,63}")  # README / mlsys.names: group and view names
MODEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,62}")  # model names (hsml allows '-')


def entity_ok(name: Any) -> bool:
    return isinstance(name, str) and ENTITY.fullmatch(name) is not None


def normalised_feature(name: Any) -> str | None:
    """The feature a column name becomes (hsfs: stripped, lower case, spaces to '_')."""
    if not isinstance(name, str):
        return None
    norm = name.strip().lower().replace(" ", "_")
    return norm if ENTITY.fullmatch(norm) else None


@pytest.mark.parametrize("budget", BUDGETS)
def test_feature_group_and_view_names(tmp_path: Path, budget: int) -> None:
    home = tmp_path / "store"
    fs = mlsys.login(home=home).get_feature_store()
    base = fs.get_or_create_feature_group("base", 1, primary_key=["id"])
    base.insert(pd.DataFrame({"id": [1, 2], "x": [0.5, 1.5]}))
    outside = snapshot(tmp_path, skip=(home / "mlsys",))

    def check(name: Any) -> None:
        groups = {(g.name, g.version) for g in fs.get_feature_groups()}
        err = refused(lambda: fs.get_or_create_feature_group(name, 1, primary_key=["id"]))
        if entity_ok(name):
            assert err is None, f"valid name {name!r} refused: {err}"
        else:
            assert isinstance(err, InvalidNameError), f"{name!r}: {err!r}"
            assert names_the_value(err, name), str(err)
            assert {(g.name, g.version) for g in fs.get_feature_groups()} == groups
        err = refused(lambda: fs.get_feature_group(name, 1))
        assert err is None or isinstance(err, InvalidNameError | NotFoundError)
        err = refused(lambda: fs.get_or_create_feature_view(name, 1, base.select_all()))
        if entity_ok(name):
            assert err is None, f"valid view name {name!r} refused: {err}"
        else:
            assert isinstance(err, InvalidNameError), f"view {name!r}: {err!r}"
        assert snapshot(tmp_path, skip=(home / "mlsys",)) == outside

    run_property(budget, names(), check)
    # the store still works, and every group lives in its own directory under feature_store/
    assert len(base.read()) == 2
    for g in fs.get_feature_groups():
        assert entity_ok(g.name)


@pytest.mark.parametrize("budget", BUDGETS)
def test_feature_names(tmp_path: Path, budget: int) -> None:
    """Column names on a first insert (fixing the schema) and on a group with a schema."""
    home = tmp_path / "store"
    fs = mlsys.login(home=home).get_feature_store()
    fixed = fs.get_or_create_feature_group("fixed", 1, primary_key=["id"])
    fixed.insert(pd.DataFrame({"id": [0], "x": [0.0]}))
    counter = iter(range(10**6))

    def check(name: Any) -> None:
        norm = normalised_feature(name)
        columns = pd.Index(["id", name], dtype=object)  # any label, even an unencodable one
        frame = pd.DataFrame([[1, 0.25], [2, 0.75]], columns=columns)
        fg = fs.get_or_create_feature_group(f"g{next(counter)}", 1, primary_key=["id"])
        err = refused(lambda: fg.insert(frame))
        if norm is not None and norm != "id":
            assert err is None, f"valid feature name {name!r} refused: {err}"
            assert [f.name for f in fg.features] == ["id", norm]
            assert list(fg.read().columns) == ["id", norm]
        else:
            assert isinstance(err, InvalidNameError | SchemaError), f"{name!r}: {err!r}"
            assert names_the_value(err, name) or not isinstance(name, str) or norm == "id", \
                str(err)
            assert fg.features == [] and fg.commit_details() == {}
        version = len(fixed.commit_details())
        err = refused(lambda: fixed.insert(pd.DataFrame([[5, 0.5], [6, 1.5]], columns=columns)))
        assert (err is None) == (norm == "x"), f"{name!r} on a fixed schema: {err!r}"
        assert len(fixed.commit_details()) == version + (err is None)

    run_property(budget, names(), check)
    assert (home / "mlsys" / "feature_store").is_dir()


@pytest.mark.parametrize("budget", BUDGETS)
def test_model_names(tmp_path: Path, budget: int) -> None:
    home = tmp_path / "store"
    mr = mlsys.login(home=home).get_model_registry()
    artefact = tmp_path / "artefact.bin"
    artefact.write_bytes(b"model bytes")
    models_dir = home / "mlsys" / "models"
    outside = snapshot(tmp_path, skip=(models_dir,))

    def check(name: Any) -> None:
        ok = isinstance(name, str) and MODEL.fullmatch(name) is not None
        before = snapshot(models_dir)
        err = refused(lambda: mr.python.create_model(name, metrics={"score": 1.0})
                      .save(str(artefact)))
        if ok:
            assert err is None, f"valid model name {name!r} refused: {err}"
            assert mr.get_models(name)[-1].download()
        else:
            assert isinstance(err, InvalidNameError), f"{name!r}: {err!r}"
            assert names_the_value(err, name), str(err)
            assert snapshot(models_dir) == before
        err = refused(lambda: mr.get_model(name, 99))
        assert isinstance(err, NotFoundError if ok else InvalidNameError), f"{name!r}: {err!r}"
        err = refused(lambda: mr.get_best_model(name, "score", "max"))
        assert (err is None) if ok else isinstance(err, InvalidNameError)
        assert snapshot(tmp_path, skip=(models_dir,)) == outside

    run_property(budget, names(), check)
    for p in models_dir.iterdir():  # one directory per valid name, nothing else
        assert MODEL.fullmatch(p.name), p


# --------------------------------------------------------------------------- dataset paths


def _touches_keep(path: Any) -> bool:
    """Whether ``path`` names the guarded file or a directory above it (never the root)."""
    if not isinstance(path, str):
        return False
    parts = tuple(q for q in PurePosixPath(path.strip()).parts if q != ".")
    return bool(parts) and ("keep", "sentinel.txt")[:len(parts)] == parts


@pytest.mark.parametrize("budget", BUDGETS)
def test_dataset_paths(tmp_path: Path, budget: int) -> None:
    home = tmp_path / "store"
    ds = mlsys.login(home=home).get_dataset_api()
    local = tmp_path / "upload.txt"
    local.write_text("payload")
    ds.upload(str(local), "keep")
    (tmp_path / "dl").mkdir()
    datasets = home / "mlsys" / "datasets"
    guarded = datasets / "keep" / "upload.txt"
    outside = snapshot(tmp_path, skip=(datasets, tmp_path / "dl"))

    def check(path: Any) -> None:
        calls = {
            "upload": lambda: ds.upload(str(local), path, overwrite=True),
            "mkdir": lambda: ds.mkdir(path),
            "exists": lambda: ds.exists(path),
            "list": lambda: ds.list(path),
            "read_bytes": lambda: ds.read_bytes(path),
            "download": lambda: ds.download(path, str(tmp_path / "dl"), overwrite=True),
            "remove": lambda: ds.remove(path),
        }
        for what, call in calls.items():
            err = refused(call)
            if err is not None and not isinstance(err, NotFoundError | SchemaError):
                assert isinstance(err, InvalidNameError), f"{what}({path!r}): {err!r}"
                assert names_the_value(err, path), f"{what}: {err}"
            assert snapshot(tmp_path, skip=(datasets, tmp_path / "dl")) == outside, \
                f"{what}({path!r}) wrote outside the project's datasets"
            if not _touches_keep(path):
                assert guarded.read_text() == "payload", f"{what}({path!r}) removed keep/"

    run_property(budget, paths(), check)


@pytest.mark.parametrize("root", [".", "./", " . ", "./.", "Resources/.."])
def test_removing_the_dataset_root_is_refused(tmp_path: Path, root: str) -> None:
    ds = mlsys.login(home=tmp_path).get_dataset_api()
    local = tmp_path / "image.png"
    local.write_bytes(b"png")
    ds.upload(str(local), "Resources/images")
    err = refused(lambda: ds.remove(root))
    assert isinstance(err, InvalidNameError), f"remove({root!r}) gave {err!r}"
    assert ds.read_bytes("Resources/images/image.png") == b"png"


@pytest.mark.parametrize("path", ["x" * 256, "Resources/" + "é" * 200, "a/\ud800"],
                         ids=["256-chars", "400-utf8-bytes", "surrogate"])
@pytest.mark.parametrize("op", ["upload", "mkdir", "exists", "remove"])
def test_unstorable_dataset_paths_are_refused_as_names(tmp_path: Path, op: str,
                                                       path: str) -> None:
    """Paths no file system can hold are bad names, not OSError / UnicodeEncodeError."""
    ds = mlsys.login(home=tmp_path / "store").get_dataset_api()
    local = tmp_path / "upload.txt"
    local.write_text("payload")
    call = {"upload": lambda: ds.upload(str(local), path)}.get(op, lambda: getattr(ds, op)(path))
    err = refused(call)  # an OSError or UnicodeEncodeError fails the test here
    assert err is None or isinstance(err, InvalidNameError | NotFoundError), f"{op}: {err!r}"
    if op in ("upload", "mkdir"):
        assert isinstance(err, InvalidNameError), f"{op} accepted {path[:20]!r}"
