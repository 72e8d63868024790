"""Hostile command lines and environments: exit code 2 and a one-line message, no traceback.

Bad arguments (unknown system, malformed or contradictory dates, out-of-range options) and a bad
configuration (MLSYS_PROJECT, MLSYS_BACKEND, MLSYS_HOME) are usage errors. A backend that cannot
be used (the Hopsworks SDK is not installed here) may exit 1, but also with a message only.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hostile import BUDGETS, names, run_property
from hypothesis import assume
from rel_support import child_env
from typer.testing import CliRunner

from mlsys.cli import app

USAGE = 2


def invoke(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, env=env)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args}: {type(result.exception).__name__} escaped the CLI: "
                             f"{result.exception}")
    return result.exit_code, output


def assert_usage_error(args: list[str], env: dict[str, str] | None = None,
                       mentions: str = "", codes: tuple[int, ...] = (USAGE,)) -> None:
    code, output = invoke(args, env)
    assert code in codes, f"{args} {env}: exit code {code}, expected {codes}: {output}"
    assert "Traceback" not in output, output
    assert output.strip(), f"{args}: no message"
    assert mentions in output, f"{args}: message does not mention {mentions!r}: {output}"


ARGUMENT_ERRORS = {
    "unknown system": (["daily", "rose"], "rose"),
    "unknown command": (["explode"], "explode"),
    "malformed date": (["daily", "iris", "--date", "2026-13-45"], "2026-13-45"),
    "since after date": (["daily", "iris", "--since", "2026-02-01", "--date", "2026-01-01"],
                         "--since"),
    "since with catch-up": (["daily", "iris", "--since", "2026-01-01", "--catch-up"],
                            "--catch-up"),
    "ten thousand days": (["daily", "iris", "--since", "1000-01-01", "--date", "2026-01-01"],
                          "--since"),
    "future date": (["daily", "iris", "--date", "2999-01-01"], "2999-01-01"),
    "seed not a number": (["train", "iris", "--seed", "abc"], "seed"),
    "port out of range": (["serve", "iris", "--port", "70000"], "port"),
    "zero days": (["demo", "--days", "0"], "--days"),
    "eda of iris": (["eda", "iris"], "wine"),
    "unknown app": (["serve", "rose-dashboard"], "rose-dashboard"),
}


@pytest.mark.parametrize("case", sorted(ARGUMENT_ERRORS))
def test_bad_arguments_are_usage_errors(store_home: Path, case: str) -> None:
    args, mentions = ARGUMENT_ERRORS[case]
    assert_usage_error(args, mentions=mentions)


@pytest.mark.parametrize("budget", BUDGETS)
def test_any_date_text_is_parsed_or_refused(store_home: Path, budget: int) -> None:
    def check(text: object) -> None:
        assume(isinstance(text, str) and not text.startswith("-") and "\x00" not in text)
        assert isinstance(text, str)
        try:
            date.fromisoformat(text)
            assume(False)  # a real date would run the pipeline; not what this test is about
        except ValueError:
            pass
        for option in ("--date", "--since"):
            assert_usage_error(["daily", "iris", option, text], mentions=option)

    run_property(budget, names(), check)


@pytest.mark.parametrize("budget", BUDGETS)
def test_any_system_name_is_known_or_refused(store_home: Path, budget: int) -> None:
    def check(text: object) -> None:
        assume(isinstance(text, str) and text not in ("iris", "wine") and "\x00" not in text)
        assume(not str(text).startswith("-"))
        assert isinstance(text, str)
        for command in ("backfill", "daily", "train", "infer"):
            assert_usage_error([command, text])

    run_property(budget, names(), check)


CONFIG_ERRORS = {
    "project with a path": ({"MLSYS_PROJECT": "../evil"}, "../evil"),
    "project with spaces": ({"MLSYS_PROJECT": "my project"}, "my project"),
    "unknown backend": ({"MLSYS_BACKEND": "floppy"}, "floppy"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_ERRORS))
def test_bad_configuration_is_a_usage_error(store_home: Path, case: str) -> None:
    env, mentions = CONFIG_ERRORS[case]
    assert_usage_error(["status"], env=env, mentions=mentions)
    assert not (store_home.parent / "evil").exists()


def test_store_home_under_a_file_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert_usage_error(["status"], env={"MLSYS_HOME": str(blocker / "store")},
                       mentions=str(blocker))


def test_missing_backend_sdk_is_a_message(store_home: Path) -> None:
    assert_usage_error(["status"], env={"MLSYS_BACKEND": "hopsworks"}, mentions="hopsworks",
                       codes=(1, USAGE))


def test_the_installed_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    """The real process (not CliRunner): bad input ends with exit 2 and an ``error:`` line."""
    env = child_env({"MLSYS_HOME": str(tmp_path / "store"), "MLSYS_PROJECT": "../evil"})
    done = subprocess.run([sys.executable, "-m", "mlsys.cli", "status"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == USAGE, done.stderr
    assert "Traceback" not in done.stderr and "error:" in done.stderr
    done = subprocess.run([sys.executable, "-m", "mlsys.cli", "daily", "iris", "--date", "x"],
                          env=child_env({"MLSYS_HOME": str(tmp_path / "store")}),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == USAGE and "Traceback" not in done.stderr
