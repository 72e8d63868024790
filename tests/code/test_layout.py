"""The repository layout the tools rely on: unique test module names, one docstring per module."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_test_modules_have_unique_basenames() -> None:
    # pytest's default import mode puts each test folder on sys.path, so two test files with
    # the same name in different folders cannot both be collected
    names = Counter(p.name for p in (ROOT / "tests").rglob("*.py") if p.name != "conftest.py")
    assert not [n for n, c in names.items() if c > 1]


def test_every_library_module_opens_with_a_docstring() -> None:
    missing = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "mlsys").rglob("*.py"))
               if ast.get_docstring(ast.parse(p.read_text())) is None]
    assert not missing, missing


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = next(line.split("&&")[1].split("#")[0].strip() for line in readme.splitlines()
                   if line.endswith("# runs the tests"))
    assert command.startswith("python3 -m nox -s tests")
    assert command in ci.splitlines()
