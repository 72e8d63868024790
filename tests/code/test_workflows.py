"""The GitHub workflows are valid (actionlint) and only call nox sessions that exist."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _nox_sessions() -> set[str]:
    out = subprocess.run([sys.executable, "-m", "nox", "-l", "-f", str(ROOT / "noxfile.py")],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    # `nox -l` lists sessions as "* name -> docstring" (default) or "- name -> docstring"
    return set(re.findall(r"^[*-] (\S+)", out, flags=re.MULTILINE))


def test_there_are_the_three_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "daily.yml", "train.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_accepts(workflow: Path) -> None:
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint")
    assert actionlint, "actionlint is missing: install the test extra (pip install -e '.[test]')"
    result = subprocess.run([actionlint, "-no-color", str(workflow)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_nox_session_called_exists(workflow: Path) -> None:
    sessions = _nox_sessions()
    called = set()
    for line in re.findall(r"nox -s ([^\n]+)", workflow.read_text()):
        # session names run up to the first option or the "--" that starts the posargs
        for word in line.split():
            if word.startswith("-"):
                break
            called.add(word)
    assert called, f"{workflow.name} calls no nox session"
    unknown = sorted(called - sessions)
    assert not unknown, f"unknown sessions {unknown}; have {sorted(sessions)}"
