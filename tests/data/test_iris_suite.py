"""The Great Expectations suite of feature group iris v1 on real, generated and wrong flowers."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from mlsys.systems.base import REFERENCE_TIME
from mlsys.systems.iris import SYSTEM
from mlsys.systems.iris.data import BOUNDS, CLASSES, FEATURES, generate, with_keys
from mlsys.validation.engine import validate_frame
from mlsys.validation.suite_io import load_suite_file
from mlsys.validation.types import ExpectationSuite, ValidationReport


@pytest.fixture(scope="module")
def suite() -> ExpectationSuite:
    return load_suite_file(SYSTEM.suite_file)


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return SYSTEM.load()


def _failed(report: ValidationReport) -> set[tuple[str, str | None]]:
    return {(r.expectation_type, r.column) for r in report.failures}


def test_suite_is_named_and_covers_every_column(suite: ExpectationSuite) -> None:
    assert suite.name == "iris"
    not_null = {e.kwargs["column"] for e in suite.expectations
                if e.type == "expect_column_values_to_not_be_null"}
    assert not_null == {"flower_id", *FEATURES, "variety", "event_time"}
    sets = [e.kwargs["value_set"] for e in suite.expectations
            if e.type == "expect_column_values_to_be_in_set"]
    assert sets == [list(CLASSES)]
    assert "twice the largest" in suite.meta["notes"]  # the margin is stated


def test_suite_bounds_equal_the_schema_bounds(suite: ExpectationSuite) -> None:
    bounds = {e.kwargs["column"]: e.kwargs for e in suite.expectations
              if e.type == "expect_column_values_to_be_between"}
    for name in FEATURES:
        assert bounds[name]["min_value"] == 0 and bounds[name]["strict_min"] is True
        assert bounds[name]["max_value"] == BOUNDS[name]


def test_suite_accepts_all_150_real_flowers(suite: ExpectationSuite, real: pd.DataFrame) -> None:
    report = validate_frame(real, suite)
    assert report.success, report.describe_failures()
    assert report.row_count == 150
    assert len(report.results) == len(suite.expectations)


def test_suite_accepts_10000_generated_flowers(suite: ExpectationSuite) -> None:
    flowers = generate(10_000, seed=11)
    keyed = with_keys(flowers, range(1000, 11_000), [REFERENCE_TIME] * 10_000)
    report = validate_frame(keyed, suite)
    assert report.success, report.describe_failures()
    assert report.row_count == 10_000


def test_suite_accepts_daily_flowers(suite: ExpectationSuite) -> None:
    days = pd.concat([SYSTEM.synthesize(date(2024, 1, 1) + timedelta(days=k))
                      for k in range(60)], ignore_index=True)
    report = validate_frame(days, suite)
    assert report.success, report.describe_failures()


@pytest.mark.parametrize(
    ("column", "value", "expectation"),
    [
        ("petal_length", -0.5, "expect_column_values_to_be_between"),
        ("sepal_width", 0.0, "expect_column_values_to_be_between"),
        ("sepal_length", 100.0, "expect_column_values_to_be_between"),
        ("petal_width", 30.0, "expect_column_values_to_be_between"),
        ("variety", "Daisy", "expect_column_values_to_be_in_set"),
        ("variety", "setosa", "expect_column_values_to_be_in_set"),  # wrong case is unknown too
        ("petal_width", np.nan, "expect_column_values_to_not_be_null"),
        ("variety", None, "expect_column_values_to_not_be_null"),
        ("flower_id", -1, "expect_column_values_to_be_between"),
        ("flower_id", 7, "expect_column_values_to_be_unique"),
    ],
)
def test_suite_rejects_wrong_flowers(suite: ExpectationSuite, real: pd.DataFrame, column: str,
                                     value: object, expectation: str) -> None:
    bad = real.copy()
    if column == "variety":
        bad[column] = bad[column].astype(object)
    bad.loc[3, column] = value
    report = validate_frame(bad, suite)
    assert not report.success
    assert (expectation, column) in _failed(report)


def test_suite_rejects_a_flower_missing_a_measurement(suite: ExpectationSuite,
                                                      real: pd.DataFrame) -> None:
    report = validate_frame(real.drop(columns="sepal_width"), suite)
    assert not report.success
    assert {column for _, column in _failed(report)} == {"sepal_width"}
