"""Inputs that reached SQLite, pandas or the JSON parser raw now get an MlsysError naming them;
an exception no command expected reaches a CLI user as one line asking for a report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rel_support import child_env, make_frame

import mlsys
from mlsys.errors import ExpectationSuiteError, InvalidArgumentError


@pytest.fixture
def served(tmp_path: Path):
    fs = mlsys.login(home=tmp_path).get_feature_store()
    fg = fs.get_or_create_feature_group("served", 1, primary_key=["id"], online_enabled=True)
    fg.insert(make_frame(0, 10, 0, seed=1))
    return fg, fs.get_or_create_feature_view("served_view", 1, fg.select_all())


@pytest.mark.parametrize("key", [[1, 2], {"a": 1}, {1, 2}, 10**30, -(10**30)],
                         ids=["list", "dict", "set", "huge", "huge-negative"])
def test_online_lookups_with_unusable_keys(served, key: object) -> None:
    _, fv = served
    with pytest.raises(InvalidArgumentError, match="primary key 'id'"):
        fv.get_feature_vector({"id": key})
    with pytest.raises(InvalidArgumentError, match="primary key 'id'"):
        fv.get_feature_vectors([{"id": 1}, {"id": key}])
    assert fv.get_feature_vector({"id": 3})[0] == 3  # a good key still works


@pytest.mark.parametrize("when", [10**20, -(10**20), 2**63])
def test_time_travel_outside_the_representable_range(served, when: object) -> None:
    fg, fv = served
    with pytest.raises(InvalidArgumentError) as err:
        fg.read(wallclock_time=when)
    assert str(when)[:10] in str(err.value)
    with pytest.raises(mlsys.errors.MlsysError):
        fg.commit_details(wallclock_time=when)
    with pytest.raises(mlsys.errors.MlsysError):
        fv.get_batch_data(start_time=when)


def test_deeply_nested_suite_json(served) -> None:
    fg, _ = served
    depth = 100_000
    nested = '{"name": "s", "expectations": [], "meta": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(ExpectationSuiteError, match="nested too deeply"):
        fg.save_expectation_suite(nested)
    assert fg.get_expectation_suite() is None  # nothing was attached


def test_the_cli_never_shows_a_traceback(tmp_path: Path) -> None:
    """An exception no command expected (here a command that fails with a bare RuntimeError,
    registered on the real app and run through the real entry point) is one line, exit 1."""
    script = ("from mlsys import cli\n"
              "@cli.app.command('boom')\n"
              "def boom() -> None:\n"
              "    raise RuntimeError('the unexpected')\n"
              "cli.main()\n")
    proc = subprocess.run([sys.executable, "-c", script, "boom"], capture_output=True,
                          text=True, timeout=300, env=child_env({"MLSYS_HOME": str(tmp_path)}))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "RuntimeError: the unexpected" in lines[0] and "please report" in lines[0]
