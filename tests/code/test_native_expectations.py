"""The expectations mlsys checks itself give Great Expectations' own results, field by field.

Every case validates the same frame twice: once as an insert does (``validate_frame``, where
``mlsys.validation.native`` takes the expectations it knows) and once with that shortcut off,
so GE runs every expectation. A GE release that changes a result, or a shortcut that drifts
from GE, fails here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlsys.validation import engine
from mlsys.validation.engine import validate_frame
from mlsys.validation.types import Expectation, ExpectationSuite, ValidationReport


def _by_ge(df: pd.DataFrame, suite: ExpectationSuite, monkeypatch: pytest.MonkeyPatch,
           cap: int = 20) -> ValidationReport:
    with monkeypatch.context() as m:
        m.setattr(engine, "native_result", lambda *args: None)
        return validate_frame(df, suite, cap)


def _same(df: pd.DataFrame, expectations: list[Expectation],
          monkeypatch: pytest.MonkeyPatch, cap: int = 20) -> ValidationReport:
    suite = ExpectationSuite("s", tuple(expectations))
    mine = validate_frame(df, suite, cap)
    ge = _by_ge(df, suite, monkeypatch, cap)
    for a, b in zip(mine.results, ge.results, strict=True):
        assert a == b, f"{a.expectation_type} {a.kwargs} on {df.dtypes.to_dict()}"
    assert mine.success == ge.success
    return mine


def _frame() -> pd.DataFrame:
    n = 30
    rng = np.random.default_rng(7)
    floats = rng.normal(5, 3, n)
    floats[[2, 9, 17]] = np.nan
    floats[4], floats[5], floats[6] = np.inf, -np.inf, -0.0
    ints = rng.integers(-3, 12, n)
    words = np.array(["poor", "fair", "excellent", "Fair", ""], dtype=object)[ints % 5]
    words[[1, 8]] = None
    return pd.DataFrame({
        "f": floats,
        "i": ints,
        "f32": floats.astype(np.float32),
        "i32": ints.astype(np.int32),
        "nullable": pd.array([None if k % 7 == 0 else int(v) for k, v in enumerate(ints)],
                             dtype="Int64"),
        "b": ints % 2 == 0,
        "s": words,
        "strs": pd.Series(words, dtype="string"),
        "mixed": pd.Series([1, "1", 2.5, None, "x", 3] * 5, dtype=object),
        "t": pd.date_range("2026-01-01", periods=n, freq="D", tz="UTC"),
        "cat": pd.Categorical(words),
        "all_null": [np.nan] * n,
        "dup": [k // 3 for k in range(n)],
    })


COLUMNS = list(_frame().columns)

EXPECTATIONS = [
    *[Expectation("expect_column_values_to_not_be_null", {"column": c}) for c in COLUMNS],
    Expectation("expect_column_values_to_not_be_null", {"column": "f", "mostly": 0.9}),
    Expectation("expect_column_values_to_not_be_null", {"column": "f", "mostly": 0.95}),
    *[Expectation("expect_column_values_to_be_between", {"column": c, **kw})
      for c in ("f", "i", "f32", "i32", "nullable", "all_null", "dup")
      for kw in ({"min_value": 0, "max_value": 8}, {"min_value": 0.5}, {"max_value": 3},
                 {"min_value": 0, "strict_min": True}, {"max_value": 3, "strict_max": True},
                 {"min_value": 0, "max_value": 8, "strict_min": True, "strict_max": True},
                 {"min_value": 0, "max_value": 8, "strict_min": True},
                 {"max_value": 6.0, "strict_max": True},
                 {"min_value": -1, "max_value": 9, "mostly": 0.6},
                 {"min_value": -1, "max_value": 9, "mostly": 0.99},
                 {"min_value": 5, "max_value": 5})],
    Expectation("expect_column_values_to_be_between", {"column": "b", "min_value": 0,
                                                       "max_value": 1}),
    Expectation("expect_column_values_to_be_between",
                {"column": "t", "min_value": "2026-01-05", "max_value": "2026-01-20"}),
    Expectation("expect_column_values_to_be_between", {"column": "f", "min_value": 9,
                                                       "max_value": 1}),
    *[Expectation("expect_column_values_to_be_in_set", {"column": c, "value_set": vs})
      for c in ("s", "strs", "i", "f", "b", "mixed", "cat", "all_null", "dup")
      for vs in (["poor", "fair", "excellent"], [0, 1, 2, 3], [1.0, 2.5, "x"], [],
                 [True])],
    Expectation("expect_column_values_to_be_in_set",
                {"column": "s", "value_set": ["poor", "fair"], "mostly": 0.3}),
    *[Expectation("expect_column_values_to_be_unique", {"column": c}) for c in COLUMNS],
    Expectation("expect_column_values_to_be_unique", {"column": "dup", "mostly": 0.5}),
    *[Expectation("expect_table_columns_to_match_set", {"column_set": cs, **kw})
      for cs in (COLUMNS, COLUMNS[:5], [*COLUMNS, "extra"], list(reversed(COLUMNS)), [])
      for kw in ({}, {"exact_match": True}, {"exact_match": False}, {"exact_match": None})],
]


def test_each_expectation_the_reference_suites_use_matches_ge(
        monkeypatch: pytest.MonkeyPatch) -> None:
    df = _frame()
    mine = _same(df, EXPECTATIONS, monkeypatch)
    # the shortcut did take most of them (not every one left to GE), and some fail
    assert mine.meta["checked_by_mlsys"] >= 0.7 * len(EXPECTATIONS)
    assert not mine.success and any(r.success for r in mine.results)
    assert any(r.partial_unexpected_list for r in mine.results)


@pytest.mark.parametrize("cap", [0, 1, 3])
def test_the_unexpected_values_kept_match_ge_at_any_cap(monkeypatch: pytest.MonkeyPatch,
                                                        cap: int) -> None:
    df = _frame()
    _same(df, EXPECTATIONS[:40], monkeypatch, cap)


def test_empty_frames_and_frames_without_nulls_match_ge(monkeypatch: pytest.MonkeyPatch) -> None:
    df = _frame()
    _same(df.iloc[:0], EXPECTATIONS, monkeypatch)
    _same(df.iloc[:1], EXPECTATIONS, monkeypatch)
    _same(df.dropna(subset=["f"]), EXPECTATIONS, monkeypatch)


def test_a_missing_column_and_other_types_go_to_ge(monkeypatch: pytest.MonkeyPatch) -> None:
    df = _frame()
    odd = [Expectation("expect_column_values_to_not_be_null", {"column": "nope"}),
           Expectation("expect_column_values_to_be_between",
                       {"column": "f", "min_value": "0", "max_value": 8}),
           Expectation("expect_column_mean_to_be_between", {"column": "f", "min_value": 0,
                                                           "max_value": 9})]
    report = _same(df, odd, monkeypatch)
    assert report.meta["checked_by_mlsys"] == 0
    assert report.results[0].exception_message and "nope" in report.results[0].exception_message


def test_a_suite_mlsys_checks_alone_never_builds_a_ge_run(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    from mlsys.validation.suite_io import parse_suite

    def refuse(*args: Any) -> Any:
        raise AssertionError("GE ran")

    suite = parse_suite("expectations/wine.json")
    from mlsys.systems import get_system

    row = get_system("wine").synthesize(pd.Timestamp("2026-11-01").date())
    monkeypatch.setattr(engine, "_run_ge", refuse)
    report = validate_frame(row, suite)
    assert report.success and report.meta["checked_by_mlsys"] == len(suite.expectations)


_values = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True, width=64),
                    st.integers(-5, 5))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(_values, max_size=12),
       low=st.one_of(st.none(), st.integers(-3, 3), st.floats(-3, 3)),
       high=st.one_of(st.none(), st.integers(-3, 3), st.floats(-3, 3)),
       strict=st.tuples(st.booleans(), st.booleans()),
       mostly=st.sampled_from([1.0, 0.5, 0.0]))
def test_random_numeric_columns_match_ge(monkeypatch: pytest.MonkeyPatch, values: list[Any],
                                         low: Any, high: Any, strict: tuple[bool, bool],
                                         mostly: float) -> None:
    as_float = pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
    as_int = pd.Series([int(v) for v in values if isinstance(v, int)], dtype="int64")
    exps = [Expectation("expect_column_values_to_not_be_null", {"column": "x", "mostly": mostly}),
            Expectation("expect_column_values_to_be_unique", {"column": "x", "mostly": mostly}),
            Expectation("expect_column_values_to_be_in_set",
                        {"column": "x", "value_set": [0, 1, 2.5], "mostly": mostly})]
    if low is not None or high is not None:
        exps.append(Expectation("expect_column_values_to_be_between", {
            "column": "x", "min_value": low, "max_value": high, "strict_min": strict[0],
            "strict_max": strict[1], "mostly": mostly}))
    for column in (as_float, as_int):
        _same(pd.DataFrame({"x": column}), exps, monkeypatch)


def test_the_cases_an_audit_found_match_ge(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    from mlsys.errors import ExpectationSuiteError

    between = "expect_column_values_to_be_between"
    # GE makes number bounds floats: 2**53 + 1 compares as 2**53
    _same(pd.DataFrame({"x": np.array([2**53, 2**53 + 2], dtype=np.int64)}),
          [Expectation(between, {"column": "x", "min_value": 2**53 + 1}),
           Expectation(between, {"column": "x", "max_value": 2**53 + 1, "strict_max": True})],
          monkeypatch)
    # GE keeps at most 200 unexpected values; a negative cap is its own business
    nulls = pd.DataFrame({"x": [None] * 300, "y": np.zeros(300)})
    for cap in (250, -1):
        _same(nulls, [Expectation("expect_column_values_to_not_be_null", {"column": "x"}),
                      Expectation("expect_column_values_to_be_unique", {"column": "y"})],
              monkeypatch, cap)
    # a value set or column Arrow cannot compare: GE reports it as the expectation's failure
    in_set = "expect_column_values_to_be_in_set"
    report = _same(pd.DataFrame({
        "s": pd.Series(["a", "b"], dtype="str"),
        "a": pd.array([1, 2], dtype="int64[pyarrow]"),
        "l": pd.Series([[1], [2]], dtype=pd.ArrowDtype(pa.list_(pa.int64())))}),
        [Expectation(in_set, {"column": "s", "value_set": [2**63]}),
         Expectation(in_set, {"column": "a", "value_set": ["a"]}),
         Expectation("expect_column_values_to_be_unique", {"column": "l"})], monkeypatch)
    assert all(r.exception_message for r in report.results[1:])  # the Arrow ones
    # column labels of two levels: "a" is not a column for GE
    two_levels = pd.DataFrame([[1.0, 2.0], [None, 3.0]],
                              columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")]))
    assert _same(two_levels, [Expectation("expect_column_values_to_not_be_null",
                                          {"column": "a"})], monkeypatch).meta[
        "checked_by_mlsys"] == 0
    # GE refuses strict_min=None; so does a suite mlsys checks
    suite = ExpectationSuite("s", (Expectation(between, {"column": "x", "min_value": 0,
                                                         "strict_min": None}),))
    with pytest.raises(ExpectationSuiteError, match="strict_min"):
        validate_frame(pd.DataFrame({"x": [1.0, -1.0]}), suite)


def test_the_result_cap_is_ge_s() -> None:
    from great_expectations.constants import MAX_RESULT_RECORDS as GE_CAP

    from mlsys.validation.native import MAX_RESULT_RECORDS

    assert MAX_RESULT_RECORDS == GE_CAP
