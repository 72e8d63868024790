"""A store that course code also wrote into: groups under a system's names but another schema."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

import mlsys
from mlsys.cli import app


def _course_iris(home: Path) -> None:
    """The group the course's iris notebook makes: its own columns, no event time or key."""
    project = mlsys.login(backend="local", home=home)
    try:
        fg = project.get_feature_store().get_or_create_feature_group(
            name="iris", version=1, primary_key=["sepal_length", "sepal_width", "petal_length",
                                                 "petal_width"], description="course iris")
        fg.insert(pd.DataFrame({"sepal_length": [5.1, 6.2], "sepal_width": [3.5, 2.9],
                                "petal_length": [1.4, 4.3], "petal_width": [0.2, 1.3],
                                "variety": ["Setosa", "Versicolor"]}))
    finally:
        project.close()


def test_status_names_a_foreign_group_instead_of_failing(tmp_path: Path) -> None:
    _course_iris(tmp_path)
    env = {"MLSYS_HOME": str(tmp_path), "MLSYS_BACKEND": "local"}
    result = CliRunner().invoke(app, ["status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    iris = next(s for s in status["systems"] if s["system"] == "iris")
    assert iris["model"] is None
    table = CliRunner().invoke(app, ["status"], env=env)
    assert table.exit_code == 0, table.output


def test_the_dashboard_says_why_it_shows_nothing(tmp_path: Path) -> None:
    from mlsys.apps.dashboard_data import read_dashboard
    from mlsys.systems import get_system

    _course_iris(tmp_path)
    project = mlsys.login(backend="local", home=tmp_path, create=False)
    try:
        data = read_dashboard(project, get_system("iris"))
    finally:
        project.close()
    assert not data.has_group
    assert len(data.missing) == 1
    assert "`iris` v1 was not written by mlsys" in data.missing[0]
    assert "event_time" in data.missing[0] and "another MLSYS_HOME" in data.missing[0]
