"""Refuse expectation arguments that Great Expectations evaluates as code, SQL or expressions.

A suite is data a user (or a copied store's catalog, or a Hopsworks project) hands us, and every
insert, ``validate`` and ``report`` runs it. Great Expectations 1.x evaluates some arguments:

- ``row_condition`` (with ``condition_parser`` "pandas", or GE's own structured conditions,
  which its pandas engine also renders to a string) goes to ``DataFrame.query``, where
  ``@name`` resolves Python objects: ``'@pd.io.common.os.system("...") == 0'`` runs a shell
  command. mlsys does not evaluate conditions itself, so every conditional expectation is
  refused rather than a "safe" subset trusted to GE's string rendering.
- ``unexpected_rows_query``, ``base_query``/``comparison_query`` and ``other_table_name`` run SQL
  or read other data sources (their expectations are refused as a whole).
- ``{"$PARAMETER": ...}`` values are parsed by GE's expression evaluator (arithmetic,
  ``now()``, metric URNs read from a data context); ``windows`` read a metric store.

The check runs where a suite is parsed, where a stored suite is rebuilt, and before any GE
object is built, so nothing reaches GE unchecked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlsys.errors import ExpectationSuiteError

CODE_ARGUMENTS: dict[str, str] = {
    "row_condition": "is evaluated by DataFrame.query (Python code, e.g. '@os.system(...)')",
    "condition_parser": "selects how row_condition is evaluated as code",
    "unexpected_rows_query": "is SQL run against the data source",
    "base_query": "is SQL run against the data source",
    "comparison_query": "is SQL run against another data source",
    "comparison_data_source_name": "reads another data source",
    "other_table_name": "reads another table of the data source",
    "windows": "reads past metrics from a metric store",
}
"""Expectation arguments refused, and why (what Great Expectations does with them)."""

CODE_EXPECTATIONS = frozenset({
    "unexpected_rows_expectation",
    "expect_query_results_to_match_comparison",
    "expect_table_row_count_to_equal_other_table",
})
"""Expectation types that exist only to run a query or read another table."""

_MAX_DEPTH = 32  # deeper kwargs than any real suite; also bounds the walk below


def check_expectation(etype: str, kwargs: Mapping[str, Any], where: str) -> None:
    """Raise :class:`ExpectationSuiteError` naming ``where`` (the expectation) and the argument
    if the expectation would run code, SQL or an expression; return quietly otherwise."""
    if etype in CODE_EXPECTATIONS:
        raise ExpectationSuiteError(
            f"{where} ({etype}) is refused: it runs a query or reads another table, which mlsys "
            "does not allow in a suite (a suite is data and runs on every insert); express the "
            "check with column expectations instead")
    if not isinstance(kwargs, Mapping):
        return  # the caller reports the wrong type itself
    for key, value in kwargs.items():
        reason = CODE_ARGUMENTS.get(str(key))
        if reason is not None and not _empty(value):
            raise ExpectationSuiteError(
                f"{where} ({etype}) is refused: argument {key!r} {reason}; mlsys does not run "
                f"code from a suite. Remove {key!r} (conditional expectations are not "
                "supported: validate the filtered frame with fg.validate(df[mask]) instead)")
        path = _parameter_path(value, str(key), 0)
        if path is not None:
            raise ExpectationSuiteError(
                f"{where} ({etype}) is refused: argument {path!r} is a '$PARAMETER' expression, "
                "which Great Expectations evaluates; mlsys passes no suite parameters, so write "
                "the literal value instead")


def check_suite_safe(expectations: Any, suite_name: str) -> None:
    """:func:`check_expectation` for every ``Expectation`` of a suite (its type and kwargs)."""
    for i, e in enumerate(expectations):
        check_expectation(str(e.type), e.kwargs, f"expectation #{i} of suite {suite_name!r}")


def _empty(value: Any) -> bool:
    """GE serialises unset arguments as None (and conditions as ""): those are not a request."""
    return value is None or value == "" or value == [] or value == {}


def _parameter_path(value: Any, path: str, depth: int) -> str | None:
    """The dotted path of the first ``{"$PARAMETER": ...}`` in ``value``, if any."""
    if depth > _MAX_DEPTH:
        raise ExpectationSuiteError(
            f"argument {path!r} is nested more than {_MAX_DEPTH} levels deep; a suite's "
            "arguments are flat values, lists and small dicts")
    if isinstance(value, Mapping):
        if "$PARAMETER" in value:
            return path
        for k, v in value.items():
            found = _parameter_path(v, f"{path}.{k}", depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            found = _parameter_path(v, f"{path}[{i}]", depth + 1)
            if found is not None:
                return found
    return None


__all__ = ["CODE_ARGUMENTS", "CODE_EXPECTATIONS", "check_expectation", "check_suite_safe"]
