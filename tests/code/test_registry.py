"""One registry for backends, systems and apps: lazy, type-checked, and the only list of names.

A system is a ``systems/<name>/`` folder plus its registry entry: the CLI, the apps, the noxfile
and the workflows read the registry, and no code outside ``mlsys/systems`` names a system.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlsys.apps import APPS
from mlsys.cli import app
from mlsys.errors import ConfigurationError, MissingExtraError, NotFoundError
from mlsys.registry import LazyRegistry
from mlsys.store import BACKENDS
from mlsys.systems import SYSTEMS, get_system
from mlsys.systems.base import System

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "mlsys"


def test_names_keep_registration_order_and_import_nothing() -> None:
    registry: LazyRegistry[object] = LazyRegistry(
        "widget", {"b": "no.such.module:thing", "a": "json:dumps"}, object)
    assert registry.names() == ("b", "a") and list(registry) == ["b", "a"]
    assert registry["a"] == ("json", "dumps") and "b" in registry and len(registry) == 2
    assert "no.such.module" not in sys.modules


def test_load_imports_and_checks_the_type() -> None:
    import json

    assert LazyRegistry("codec", {"json": "json:dumps"}, object).load("json") is json.dumps
    wrong: LazyRegistry[System] = LazyRegistry("system", {"json": "json:dumps"}, System)
    with pytest.raises(ConfigurationError, match=r"system 'json': json:dumps is function, "
                                                 r"not System"):
        wrong.load("json")
    absent: LazyRegistry[object] = LazyRegistry("system", {"x": "json:nothing_here"}, object)
    with pytest.raises(ConfigurationError, match="json:nothing_here is missing"):
        absent.load("x")


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(NotFoundError, match="system 'rose' does not exist; existing: "
                                            "iris, penguins, wine"):
        get_system("rose")
    with pytest.raises(NotFoundError, match="iris-dashboard"):
        APPS.load("rose")


def test_a_missing_extra_is_named() -> None:
    registry: LazyRegistry[object] = LazyRegistry(
        "backend", {"far": "mlsys_no_such_backend:connect"}, object, extras={"far": "far"})
    with pytest.raises(MissingExtraError, match=r"pip install 'mlsys\[far\]'"):
        registry.load("far")


def test_a_malformed_target_is_refused_when_registered() -> None:
    with pytest.raises(ConfigurationError, match="'module:attribute'"):
        LazyRegistry("system", {"x": "mlsys.systems.iris"}, System)


def test_every_entry_loads_as_what_it_claims() -> None:
    for name in SYSTEMS.names():
        system = get_system(name)
        assert isinstance(system, System) and system.name == name
        assert system.inputs(), f"{name} has no app inputs"
    assert BACKENDS.names() == ("local", "hopsworks")
    assert callable(BACKENDS.load("local"))


def test_every_system_has_a_predictor_and_a_dashboard_app() -> None:
    expected = [n for s in SYSTEMS.names() for n in (s, f"{s}-dashboard")]
    assert list(APPS.names()) == expected
    for name in SYSTEMS.names():
        assert APPS[name] == (f"mlsys.systems.{name}.app", "build_app")


def test_every_system_folder_is_registered_and_every_entry_has_a_folder() -> None:
    folders = {p.parent.name for p in (PACKAGE / "systems").glob("*/__init__.py")}
    assert folders == set(SYSTEMS.names())
    for name in SYSTEMS.names():
        assert SYSTEMS[name] == (f"mlsys.systems.{name}", "SYSTEM")


def test_cli_choices_and_mlsys_systems_come_from_the_registry() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["systems"])
    assert listed.exit_code == 0 and listed.output.split() == list(SYSTEMS.names())
    refused = runner.invoke(app, ["backfill", "rose"])
    assert refused.exit_code == 2
    for name in SYSTEMS.names():
        assert repr(name) in refused.output
    serve = runner.invoke(app, ["serve", "rose"])
    assert serve.exit_code == 2 and "penguins-dashboard" in serve.output


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """String literals of a module that are not docstrings, with their line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(body[0].value.lineno)
    out = []
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    for tok in tokens:
        strings = (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1))
        if tok.type in strings and tok.start[0] not in docstrings:
            out.append((tok.start[0], tok.string))
    return out


def test_no_code_outside_systems_names_a_system() -> None:
    """Only docstrings and comments may mention a system: behaviour comes from the spec."""
    names = re.compile("|".join(SYSTEMS.names()))
    # example commands in the CLI's help texts are docstrings; the cli names none in code
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if (PACKAGE / "systems") in path.parents:
            continue
        for line, text in _code_strings(path):
            if names.search(text):
                found.append(f"{path.relative_to(ROOT)}:{line}: {text}")
    assert not found, "\n".join(found)


def test_noxfile_and_workflows_hard_code_no_system() -> None:
    names = re.compile(r"\b(" + "|".join(SYSTEMS.names()) + r")\b")
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    code = [line for line in noxfile.splitlines()
            if not line.lstrip().startswith("#") and '"""' not in line and "nox -s" not in line]
    assert not [line for line in code if names.search(line)]
    assert '"mlsys", "systems"' in noxfile  # the sessions loop over what the CLI lists
    for workflow in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        lines = [line for line in workflow.read_text(encoding="utf-8").splitlines()
                 if not line.lstrip().startswith("#")]
        hits = [line for line in lines if names.search(line)]
        assert not hits, f"{workflow.name} names systems (derive them from the registry): {hits}"


def test_nox_lists_its_sessions_without_mlsys_importable(tmp_path: Path) -> None:
    """`nox -l` reads the noxfile only; the system loops run `mlsys systems` in the session."""
    done = subprocess.run([sys.executable, "-I", "-c",
                           "import runpy, sys; sys.modules['mlsys'] = None; "
                           f"sys.argv = ['nox', '-l', '-f', {str(ROOT / 'noxfile.py')!r}]; "
                           "runpy.run_module('nox', run_name='__main__')"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "backfill" in done.stdout and "daily" in done.stdout


def test_a_system_derives_its_store_names_from_its_name() -> None:
    """A new system's spec names its group, model, predictions group and suite only when they
    differ from the convention (iris: "iris", "iris_model", "iris_predictions", "iris.json")."""
    base = get_system("iris")
    fields = {f: getattr(base, f) for f in System.__dataclass_fields__}
    derived = ("feature_group", "model_name", "predictions_group", "suite_file")
    spec = System(**{**fields, "name": "moths", **dict.fromkeys(derived, "")})
    assert (spec.feature_group, spec.model_name, spec.predictions_group, spec.suite_file,
            spec.view_name) == ("moths", "moths_model", "moths_predictions", "moths.json",
                                "moths")
    given = System(**{**fields, "name": "moths", "model_name": "moth_classifier"})
    assert given.model_name == "moth_classifier"
    for name in SYSTEMS.names():  # the shipped systems keep the names their stores have
        system = get_system(name)
        assert (system.feature_group, system.model_name, system.predictions_group) == (
            name, f"{name}_model", f"{name}_predictions")
