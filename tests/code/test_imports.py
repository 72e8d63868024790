"""``import mlsys`` and ``mlsys --help`` stay light: no gradio, great_expectations or hopsworks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("gradio", "great_expectations", "hopsworks", "hsfs", "sklearn", "matplotlib", "polars")

PROBE = """
import json, sys
{setup}
print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))
"""


def _modules_after(setup: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(setup=setup)], capture_output=True,
                         text=True, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


@pytest.mark.parametrize("setup", [
    "import mlsys",
    "import mlsys.cli",
    "from mlsys.cli import app\nfrom typer.testing import CliRunner\n"
    "assert CliRunner().invoke(app, ['--help']).exit_code == 0",
    # the pytest plugin loads with every pytest run of a checkout that installed mlsys
    "import mlsys.compat.pytest_plugin",
    "import mlsys.compat.hook",
])
def test_heavy_libraries_are_not_imported(setup: str) -> None:
    loaded = _modules_after(setup)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_help_of_every_verb_has_an_example() -> None:
    from typer.testing import CliRunner

    from mlsys.cli import app

    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    verbs = ["backfill", "daily", "train", "infer", "eda", "report", "validate", "demo", "serve",
             "space", "status", "run"]
    for verb in verbs:
        assert verb in top.output
        result = runner.invoke(app, [verb, "--help"])
        assert result.exit_code == 0, result.output
        assert "Example: mlsys " + verb in result.output, result.output


def test_bad_usage_exits_2() -> None:
    from typer.testing import CliRunner

    from mlsys.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["backfill", "tulip"]).exit_code == 2
    assert runner.invoke(app, ["daily", "iris", "--date", "yesterday"]).exit_code == 2
    assert runner.invoke(app, ["frobnicate"]).exit_code == 2
