"""Expectation suites on feature groups: STRICT / ALWAYS, stored reports, validate()."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from contract_data import X_IN_RANGE, frame

from mlsys.errors import DataValidationError, ExpectationSuiteError
from mlsys.store.api import FeatureGroup, Project
from mlsys.validation.types import ExpectationSuite, IngestionResult

Name = Callable[[str], str]


@pytest.fixture
def fg(project: Project, name: Name) -> FeatureGroup:
    return project.get_feature_store().get_or_create_feature_group(
        name("checked"), 1, primary_key=["id"], event_time="ts")


def test_strict_failure_writes_nothing_and_stores_a_rejected_report(fg: FeatureGroup) -> None:
    fg.save_expectation_suite(X_IN_RANGE, validation_ingestion_policy="strict")
    assert fg.validation_ingestion_policy == "STRICT"
    fg.insert(frame([1], [5.0]))
    with pytest.raises(DataValidationError, match="expect_column_values_to_be_between") as err:
        fg.insert(frame([2, 3], [5.0, 50.0]))
    assert fg.read()["id"].tolist() == [1]
    report = err.value.report
    assert report is not None and not report.success
    assert report.ingestion_result == IngestionResult.REJECTED
    latest = fg.get_latest_validation_report()
    assert latest is not None and latest.ingestion_result == IngestionResult.REJECTED
    assert latest.failures[0].column == "x" and latest.failures[0].unexpected_count == 1


def test_always_failure_writes_and_stores_an_ingested_report(fg: FeatureGroup) -> None:
    fg.save_expectation_suite(json.dumps(X_IN_RANGE), validation_ingestion_policy="always")
    _, report = fg.insert(frame([1, 2], [5.0, 50.0]))
    assert report is not None and not report.success
    assert report.ingestion_result == IngestionResult.INGESTED
    assert sorted(fg.read()["id"]) == [1, 2]
    _, ok = fg.insert(frame([3], [1.0]))
    assert ok is not None and ok.success
    reports = fg.get_all_validation_reports()
    assert [r.success for r in reports] == [True, False]  # newest first
    assert all(r.ingestion_result == IngestionResult.INGESTED for r in reports)


def test_suite_given_at_creation_is_attached_always(project: Project, name: Name) -> None:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("checked"), 1, primary_key=["id"], event_time="ts", expectation_suite=X_IN_RANGE)
    assert fg.validation_ingestion_policy == "ALWAYS"
    suite = fg.get_expectation_suite()
    assert isinstance(suite, ExpectationSuite) and suite.name == "x_in_range"
    assert suite.expectations[0].kwargs["max_value"] == 10
    _, report = fg.insert(frame([1], [99.0]))
    assert report is not None and not report.success and len(fg.read()) == 1


def test_suite_from_a_file_path(fg: FeatureGroup, tmp_path: Path) -> None:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(X_IN_RANGE))
    fg.save_expectation_suite(str(path), validation_ingestion_policy="strict")
    with pytest.raises(DataValidationError):
        fg.insert(frame([1], [-1.0]))
    assert len(fg.read()) == 0


def test_run_validation_false_skips_the_suite(fg: FeatureGroup) -> None:
    fg.save_expectation_suite(X_IN_RANGE, validation_ingestion_policy="strict")
    _, report = fg.insert(frame([1], [99.0]), validation_options={"run_validation": False})
    assert report is None and fg.read()["x"].tolist() == [99.0]
    assert fg.get_all_validation_reports() == []


def test_deleting_the_suite_stops_validation(fg: FeatureGroup) -> None:
    fg.save_expectation_suite(X_IN_RANGE, validation_ingestion_policy="strict")
    fg.delete_expectation_suite()
    assert fg.get_expectation_suite() is None and fg.validation_ingestion_policy is None
    _, report = fg.insert(frame([1], [99.0]))
    assert report is None and len(fg.read()) == 1


def test_validate_on_demand(fg: FeatureGroup) -> None:
    fg.save_expectation_suite(X_IN_RANGE)
    report = fg.validate(frame([1, 2], [1.0, 11.0]))
    assert not report.success and report.ingestion_result == IngestionResult.UNKNOWN  # hsfs's
    tagged = fg.validate(frame([1], [1.0]), ingestion_result="EXPERIMENT")
    assert tagged.ingestion_result == IngestionResult.EXPERIMENT
    assert fg.get_all_validation_reports() == []  # not saved unless asked
    saved = fg.validate(frame([1], [1.0]), save_report=True)
    assert saved.success and fg.get_latest_validation_report() == saved


def test_unsupported_suite_formats_are_refused(fg: FeatureGroup) -> None:
    for bad in (42, {"expectations": "not a list"}, "{not json",
                {"name": "s", "expectations": [{"type": "expect_no_such_thing",
                                                "kwargs": {}}]}):
        with pytest.raises(ExpectationSuiteError):
            fg.save_expectation_suite(bad)
    assert fg.get_expectation_suite() is None
    with pytest.raises(ExpectationSuiteError, match="always"):
        fg.save_expectation_suite(X_IN_RANGE, validation_ingestion_policy="sometimes")


def test_a_suite_naming_an_unknown_column_is_refused_when_attached(fg: FeatureGroup) -> None:
    fg.insert(frame([1], [1.0]))
    typo = {"name": "typo", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "X_value"}}]}
    with pytest.raises(ExpectationSuiteError, match=r"\['X_value'\]") as err:
        fg.save_expectation_suite(typo)
    assert "'x'" in str(err.value)  # the features it does have
    assert fg.get_expectation_suite() is None  # nothing attached
    fg.insert(frame([2], [2.0]))  # and inserts still work
