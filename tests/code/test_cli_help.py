"""``mlsys --help`` as the console script answers it: Typer's own text, without importing Typer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlsys import command
from mlsys.cli.helptext import render

SCRIPT = Path(sys.executable).with_name("mlsys")  # what `pip install` put beside python


def _script(*args: str, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    assert SCRIPT.exists(), f"the mlsys console script is not installed at {SCRIPT}"
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run([sys.executable, "-X", "importtime", str(SCRIPT), *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def _imported(importtime: str) -> set[str]:
    """Top-level packages a ``-X importtime`` log shows imported."""
    return {line.rsplit("|", 1)[1].strip().split(".")[0]
            for line in importtime.splitlines() if line.startswith("import time:")}


def test_the_stored_help_is_what_typer_renders() -> None:
    stored = Path(command.HELP_FILE).read_text(encoding="utf-8")
    assert stored == render(), ("mlsys/cli/help.txt is stale (a verb or its first sentence "
                                "changed): run `python -m mlsys.cli.helptext` and commit it")


@pytest.mark.parametrize("columns", [None, 80, 200])
def test_the_console_script_answers_help_without_importing_typer(columns: int | None) -> None:
    done = _script("--help", columns=columns)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == render()
    loaded = _imported(done.stderr)
    assert "mlsys" in loaded  # the log is real: the script's own import is in it
    assert not loaded & {"typer", "click", "pyarrow", "pandas", "deltalake"}, sorted(loaded)


def test_a_narrow_terminal_gets_typers_wrapping() -> None:
    done = _script("--help", columns=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == render(60) != render()
    assert max(len(line) for line in done.stdout.splitlines()) <= 60
    assert "typer" in _imported(done.stderr)


def test_every_other_command_line_goes_to_typer() -> None:
    verb = _script("status", "--help")
    assert verb.returncode == 0, verb.stderr[-2000:]
    assert verb.stdout.startswith("Usage: mlsys status")
    assert "typer" in _imported(verb.stderr)
    wrong = _script("--help", "--nonsense")
    assert wrong.returncode == 2 and "No such option" in wrong.stderr


def test_a_copy_without_the_file_lets_typer_render(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert command.stored_help(["/venv/bin/mlsys", "--help"]) == render()
    assert command.stored_help(["python -m mlsys", "--help"]) is None  # Usage names the program
    monkeypatch.setattr(command, "HELP_FILE", str(tmp_path / "absent.txt"))
    assert command.stored_help(["/venv/bin/mlsys", "--help"]) is None


def _run_with(stdout: object, columns: int, **kwargs: object) -> tuple[int, str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    with subprocess.Popen([str(SCRIPT), "--help"], stdout=stdout, stderr=subprocess.PIPE,  # type: ignore[call-overload]
                          env=env, text=True, **kwargs) as child:
        if child.stdout is not None:
            child.stdout.close()  # a reader that stopped before the first line
        _, err = child.communicate(timeout=120)
        return child.returncode, err


@pytest.mark.parametrize("columns", [100, 60], ids=["stored text", "typer"])
def test_an_output_that_fails_ends_as_typer_ends_it(columns: int) -> None:
    """The stored-text path and Typer's answer a broken pipe, a full disk and no stdout alike:
    exit 1 silently, exit 1 with the disk's reason, exit 0; never a traceback."""
    code, err = _run_with(subprocess.PIPE, columns)
    assert (code, err) == (1, ""), err
    with open("/dev/full", "w") as full:  # noqa: PTH123
        code, err = _run_with(full, columns)
    assert code == 1 and err.startswith("error: the system refused a write (No space left on "
                                        "device); free disk space"), err
    code, err = _run_with(None, columns, preexec_fn=lambda: os.close(1))  # `mlsys --help >&-`
    assert (code, err) == (0, ""), err
