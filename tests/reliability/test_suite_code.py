"""A suite is data: no expectation argument that Great Expectations evaluates as code gets in.

The attack: ``row_condition`` with ``condition_parser: "pandas"`` reaches ``DataFrame.query``,
where ``@pd.io.common.os.system(...)`` runs a shell command. Each payload would create a marker
file (from the shell it would start) and a folder (from Python in the process); the tests
assert the refusal names the expectation and the argument, and that neither marker appears:
via JSON text, a dict, a suite object built by hand, and a suite written straight into a
store's catalog (as a copied store would carry it), on insert, ``validate`` and ``report``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import mlsys
from mlsys.errors import ExpectationSuiteError
from mlsys.validation.engine import validate_frame
from mlsys.validation.suite_io import parse_suite
from mlsys.validation.types import Expectation, ExpectationSuite


def _payload(marker: Path) -> str:
    # touch via a shell (a process starts) and os.mkdir in this process: both checked
    return (f'@pd.io.common.os.system("touch {marker}") == 0 or '
            f'@pd.io.common.os.mkdir("{marker}.py") == 0')


def _suite(marker: Path, **extra: Any) -> dict[str, Any]:
    kwargs = {"column": "x", "min_value": 0, "max_value": 1,
              "row_condition": _payload(marker), "condition_parser": "pandas", **extra}
    return {"name": "hostile", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}},
        {"type": "expect_column_values_to_be_between", "kwargs": kwargs}]}


def _nothing_ran(marker: Path) -> None:
    assert not marker.exists(), "the suite ran a shell command"
    assert not Path(f"{marker}.py").exists(), "the suite ran Python code"


def _names_it(err: ExpectationSuiteError, argument: str = "row_condition") -> None:
    text = str(err)
    # "refused" tells this refusal from GE's own errors (e.g. a warning turned into an error)
    assert "is refused" in text, text
    assert "expectation #1" in text and "expect_column_values_to_be_between" in text, text
    assert repr(argument) in text, text


FRAME = pd.DataFrame({"id": [1, 2, 3], "x": [0.1, 0.5, 0.9]})


def test_the_payload_is_real(tmp_path: Path) -> None:
    """The payload does run when pandas evaluates it (so the refusals below mean something)."""
    marker = tmp_path / "proof"
    with contextlib.suppress(KeyError):  # the scalar result fails the query after it ran
        FRAME.query(_payload(marker), local_dict={"pd": pd})
    assert marker.exists() and Path(f"{marker}.py").exists()


@pytest.mark.parametrize("form", ["json", "dict", "file", "mlsys object"])
def test_a_code_condition_is_refused_at_parse_time(tmp_path: Path, form: str) -> None:
    marker = tmp_path / "marker"
    data = _suite(marker)
    obj: Any
    if form == "json":
        obj = json.dumps(data)
    elif form == "dict":
        obj = data
    elif form == "file":
        obj = tmp_path / "suite.json"
        obj.write_text(json.dumps(data))
    else:
        obj = ExpectationSuite("hostile", tuple(
            Expectation(e["type"], e["kwargs"]) for e in data["expectations"]))
    with pytest.raises(ExpectationSuiteError) as info:
        parse_suite(obj)
    _names_it(info.value)
    with pytest.raises(ExpectationSuiteError):
        validate_frame(FRAME, obj)
    _nothing_ran(marker)


def test_save_expectation_suite_refuses_it_and_keeps_the_old_suite(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    project = mlsys.login(home=tmp_path / "store")
    fg = project.get_feature_store().create_feature_group("g", 1, primary_key=["id"])
    fg.insert(FRAME)
    for obj in (_suite(marker), json.dumps(_suite(marker))):
        with pytest.raises(ExpectationSuiteError) as info:
            fg.save_expectation_suite(obj)
        _names_it(info.value)
    assert fg.get_expectation_suite() is None
    fg.insert(FRAME.assign(x=[0.2, 0.3, 0.4]))
    _nothing_ran(marker)
    project.close()


@pytest.mark.parametrize("kwargs,argument", [
    ({"row_condition": {"type": "comparison", "column": {"name": "x"}, "operator": ">",
                        "parameter": 0}}, "row_condition"),
    ({"row_condition": 'x > 0', "condition_parser": "great_expectations"}, "row_condition"),
    ({"condition_parser": "pandas"}, "condition_parser"),
    ({"min_value": {"$PARAMETER": "upstream_max * 2"}}, "min_value"),
    ({"windows": [{"constraint_fn": "mean", "parameter_name": "p", "range": 1,
                   "offset": {"positive": 0.1, "negative": 0.1}}]}, "windows"),
])
def test_every_evaluated_argument_is_refused(kwargs: dict[str, Any], argument: str) -> None:
    base = {"column": "x", "min_value": 0, "max_value": 1}
    suite = {"name": "s", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {**base, **kwargs}}]}
    with pytest.raises(ExpectationSuiteError) as info:
        parse_suite(suite)
    _names_it(info.value, argument)


@pytest.mark.parametrize("etype,kwargs", [
    ("unexpected_rows_expectation", {"unexpected_rows_query": "SELECT * FROM {batch}"}),
    ("expect_table_row_count_to_equal_other_table", {"other_table_name": "secrets"}),
])
def test_query_expectations_are_refused(etype: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ExpectationSuiteError) as info:
        parse_suite({"name": "s", "expectations": [{"type": etype, "kwargs": kwargs}]})
    assert etype in str(info.value) and "expectation #0" in str(info.value)


def test_legacy_hopsworks_form_is_refused_too(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    legacy = {"expectation_suite_name": "hostile", "expectations": [{
        "expectation_type": "expect_column_values_to_be_between",
        "kwargs": json.dumps({"column": "x", "min_value": 0, "row_condition": _payload(marker),
                              "condition_parser": "pandas"})}]}
    with pytest.raises(ExpectationSuiteError) as info:
        parse_suite(legacy)
    assert "'row_condition'" in str(info.value) and "is refused" in str(info.value)
    _nothing_ran(marker)


def test_a_suite_planted_in_the_catalog_is_refused_on_every_use(tmp_path: Path) -> None:
    """A copied store's catalog may already hold the suite: insert, validate, reads of the
    suite and the CLI refuse it; nothing runs and nothing is written."""
    marker = tmp_path / "marker"
    home = tmp_path / "store"
    project = mlsys.login(home=home)
    fg = project.get_feature_store().create_feature_group("g", 1, primary_key=["id"])
    fg.insert(FRAME)
    fg.save_expectation_suite({"name": "ok", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}}]})
    commits = len(fg.commit_details())
    project.close()
    planted = json.dumps({**_suite(marker), "meta": {}})
    (catalog,) = home.glob("*/catalog.sqlite")  # <home>/<project>/catalog.sqlite
    with sqlite3.connect(catalog) as db:
        db.execute("UPDATE feature_groups SET suite = ? WHERE name = 'g'", (planted,))
    db.close()

    project = mlsys.login(home=home)
    fg = project.get_feature_store().get_feature_group("g", 1)
    for call in (lambda: fg.insert(FRAME.assign(id=[7, 8, 9])), lambda: fg.validate(),
                 lambda: fg.validate(FRAME), lambda: fg.get_expectation_suite()):
        with pytest.raises(ExpectationSuiteError) as info:
            call()
        _names_it(info.value)
        assert "delete_expectation_suite" in str(info.value)
    assert len(fg.commit_details()) == commits, "a refused insert wrote rows"
    project.close()

    cli = Path(sys.executable).with_name("mlsys")
    out = tmp_path / "out"
    run = subprocess.run([str(cli), "report", "--out", str(out)],
                         env={"MLSYS_HOME": str(home), "PATH": "/usr/bin:/bin",
                              "GX_ANALYTICS_ENABLED": "False"},
                         capture_output=True, text=True, timeout=300)
    _nothing_ran(marker)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    pages = " ".join(p.read_text() for p in out.rglob("*.html"))
    assert "row_condition" in pages  # the report says why the suite is not shown

    project = mlsys.login(home=home)  # the way out the message names works
    fg = project.get_feature_store().get_feature_group("g", 1)
    fg.delete_expectation_suite()
    fg.insert(FRAME.assign(id=[7, 8, 9]))
    project.close()
    _nothing_ran(marker)


def test_hopsworks_suites_are_checked_when_read() -> None:
    """The Hopsworks adapter turns a project's suite into an mlsys one before hsfs runs it."""
    from types import SimpleNamespace

    from mlsys.store.hopsworks.validation import suite_from_sdk

    hostile = SimpleNamespace(expectation_suite_name="s", meta={}, expectations=[
        SimpleNamespace(expectation_type="expect_column_values_to_be_between", meta={},
                        kwargs={"column": "x", "row_condition": "@pd.io.common.os.getpid()",
                                "condition_parser": "pandas"})])
    with pytest.raises(ExpectationSuiteError) as info:
        suite_from_sdk(hostile)
    assert "'row_condition'" in str(info.value) and "expectation #0" in str(info.value)
