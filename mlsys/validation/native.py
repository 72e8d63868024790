"""The expectations mlsys checks itself, with Great Expectations' own results, on pandas.

A GE suite run costs about 6 ms an expectation whatever the frame's size (GE builds and
resolves a metric graph each time), so a daily insert of one row spent 0.18 s in a 28-line
suite. The five expectation types the reference suites use are plain pandas operations; for
them, with only the arguments below, mlsys computes GE's result the way GE's pandas engine
does (the same masks, the same counts and percentages, the same first unexpected values in
row order, the same ``mostly`` rule). Anything else — another type, another argument, a
column dtype GE treats another way, a missing column — returns None here and goes to GE.
``tests/code/test_native_expectations.py`` runs both on the same frames and compares every
field, so a GE release that changes its results fails there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mlsys.validation.ge import expectation_result
from mlsys.validation.types import Expectation, ExpectationResult

if TYPE_CHECKING:
    import pandas as pd

_MAP_ARGS = frozenset({"column", "mostly"})
"""The arguments every column-map type takes here (an expectation's ``meta`` is not one)."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _map_output(total: int, considered: int, unexpected: pd.Series, mostly: float,
                cap: int) -> dict[str, Any]:
    """GE's ``_format_map_output`` (BASIC): ``unexpected`` holds the unexpected values in row
    order, ``considered`` the rows the percentages and ``mostly`` are over."""
    count = len(unexpected)
    if total == 0 or considered == 0:
        success = True  # GE: vacuously true
    else:
        success = (float(considered) - float(count)) / float(considered) >= mostly
    percent = count / considered * 100 if total > 0 and considered > 0 else None
    return {"success": success, "result": {
        "element_count": total, "unexpected_count": count, "unexpected_percent": percent,
        "partial_unexpected_list": list(unexpected[:cap])}}


def _over_nonnull(df: pd.DataFrame, kw: Mapping[str, Any], cap: int,
                  condition: Callable[[pd.Series], pd.Series | None]) -> dict[str, Any] | None:
    """A column-map expectation as GE's pandas engine runs it: nulls filtered out first, then
    ``condition`` (True where a value is expected; None: leave the column to GE)."""
    column = df[kw["column"]]
    values = column[column.notnull()]
    ok = condition(values)
    if ok is None:
        return None
    return _map_output(len(column), len(values), values[ok == False],  # noqa: E712 (GE's mask)
                       float(kw.get("mostly", 1.0)), cap)


def _not_null(df: pd.DataFrame, kw: Mapping[str, Any], cap: int) -> dict[str, Any] | None:
    column = df[kw["column"]]
    # its unexpected values are the nulls, so GE counts percentages over every row
    return _map_output(len(column), len(column), column[column.isnull()],
                       float(kw.get("mostly", 1.0)), cap)


def _between(df: pd.DataFrame, kw: Mapping[str, Any], cap: int) -> dict[str, Any] | None:
    low, high = kw.get("min_value"), kw.get("max_value")
    if (low is None and high is None) or any(b is not None and not _is_number(b)
                                            for b in (low, high)):
        return None  # GE raises, or compares with types of its own (dates, strings)
    if low is not None and high is not None and low > high:
        return None  # GE raises
    # GE's argument model makes every number bound a float (2**53 + 1 becomes 2**53), so an
    # int64 column is compared as float64 there: the same here
    low = None if low is None else float(low)
    high = None if high is None else float(high)

    def condition(values: pd.Series) -> pd.Series | None:
        import numpy as np

        # GE compares int64/float64 columns vectorised, others value by value with type
        # checks of its own (which raise for some mixes): those stay with GE
        if not (isinstance(values.dtype, np.dtype) and values.dtype in (np.int64, np.float64)):
            return None
        strict_min, strict_max = kw.get("strict_min"), kw.get("strict_max")
        if low is None:
            return values < high if strict_max else values <= high
        if high is None:
            return low < values if strict_min else low <= values
        above = (low < values) if strict_min else (low <= values)
        below = (values < high) if strict_max else (values <= high)
        return above & below

    return _over_nonnull(df, kw, cap, condition)


def _in_set(df: pd.DataFrame, kw: Mapping[str, Any], cap: int) -> dict[str, Any] | None:
    value_set = kw.get("value_set")
    if not isinstance(value_set, list) or any(not isinstance(v, str | int | float)
                                              for v in value_set):
        return None
    return _over_nonnull(df, kw, cap, lambda values: values.isin(value_set))


def _unique(df: pd.DataFrame, kw: Mapping[str, Any], cap: int) -> dict[str, Any] | None:
    return _over_nonnull(df, kw, cap, lambda values: ~values.duplicated(keep=False))


def _columns_match(df: pd.DataFrame, kw: Mapping[str, Any], cap: int) -> dict[str, Any] | None:
    column_set = kw.get("column_set")
    if not isinstance(column_set, list | tuple) or not all(isinstance(c, str) for c in column_set):
        return None
    if not all(isinstance(c, str) for c in df.columns):
        return None
    exact = kw.get("exact_match", True)  # None counts as False in GE, as here
    actual = set(df.columns)
    expected = set(column_set)
    observed = sorted(actual)
    if not (actual - expected or expected - actual):
        return {"success": True, "result": {"observed_value": observed}}
    return {"success": not exact and not (expected - actual),
            "result": {"observed_value": observed}}


_Check = Callable[["pd.DataFrame", Mapping[str, Any], int], "dict[str, Any] | None"]
CHECKS: dict[str, tuple[frozenset[str], _Check]] = {
    "expect_column_values_to_not_be_null": (_MAP_ARGS, _not_null),
    "expect_column_values_to_be_between": (
        _MAP_ARGS | {"min_value", "max_value", "strict_min", "strict_max"}, _between),
    "expect_column_values_to_be_in_set": (_MAP_ARGS | {"value_set"}, _in_set),
    "expect_column_values_to_be_unique": (_MAP_ARGS, _unique),
    "expect_table_columns_to_match_set": (frozenset({"column_set", "exact_match"}),
                                          _columns_match),
}
"""Each type mlsys checks itself: the arguments it takes, and its check."""


MAX_RESULT_RECORDS = 200
"""GE keeps at most this many unexpected values whatever ``partial_unexpected_count`` asks
(``great_expectations.constants.MAX_RESULT_RECORDS``; a test compares the two)."""


def native_result(df: pd.DataFrame, expectation: Expectation,
                  cap: int) -> ExpectationResult | None:
    """GE's result for ``expectation`` on ``df``, computed here; None when GE must run it."""
    import pandas as pd

    entry = CHECKS.get(expectation.type)
    if entry is None or cap < 0:  # GE slices a negative cap its own way
        return None
    allowed, check = entry
    kw = expectation.kwargs
    if (not set(kw) <= allowed or not df.columns.is_unique
            or isinstance(df.columns, pd.MultiIndex)):
        return None
    if "column" in allowed and (not isinstance(kw.get("column"), str)
                                or kw["column"] not in df.columns):
        return None  # GE's own message names the missing column
    mostly = kw.get("mostly", 1.0)
    if not _is_number(mostly) or not 0 <= mostly <= 1:
        return None
    if any(flag in kw and not isinstance(kw[flag], bool) for flag in ("strict_min", "strict_max")):
        return None  # GE refuses None there (it allows it for exact_match only)
    if kw.get("exact_match") is not None and not isinstance(kw["exact_match"], bool):
        return None
    cap = min(cap, MAX_RESULT_RECORDS)
    try:
        out = check(df, kw, cap)
    except Exception:  # e.g. an Arrow column refusing the value set's type
        return None  # GE runs it and reports the failure as that expectation's exception
    if out is None:
        return None
    return expectation_result(expectation.type, kw, out["success"], out["result"], None, cap)


__all__ = ["CHECKS", "MAX_RESULT_RECORDS", "native_result"]
