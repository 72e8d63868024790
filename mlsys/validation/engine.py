"""Validation of DataFrames against suites, with Great Expectations' results.

It sits above ``suite_io`` because it takes a suite in any format ``parse_suite`` reads, and
``suite_io`` sits above ``ge`` because parsing checks every expectation against GE itself.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from mlsys.errors import SchemaError
from mlsys.validation.ge import expectation_result, import_ge, to_ge_suite
from mlsys.validation.native import native_result
from mlsys.validation.suite_io import parse_suite
from mlsys.validation.types import (
    Expectation,
    ExpectationResult,
    ExpectationSuite,
    ValidationReport,
)

if TYPE_CHECKING:
    import pandas as pd

PARTIAL_UNEXPECTED_COUNT = 20
"""How many unexpected values a result keeps (GE's ``partial_unexpected_count``)."""


class _Engine:
    """One ephemeral GE context with a pandas whole-dataframe batch definition, made once.

    Building a context and datasource costs milliseconds and GE keeps no per-validation state in
    an ephemeral context, so every validation in the process reuses this one. GE's validator is
    not documented as thread-safe, hence the lock around each run.
    """

    def __init__(self) -> None:
        gx = import_ge()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context = gx.get_context(mode="ephemeral")
        # tqdm bars on stderr for every insert would drown the CLI's own progress output
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        datasource = self.context.data_sources.add_pandas("mlsys")
        asset = datasource.add_dataframe_asset("frame")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole_frame")
        self.lock = threading.Lock()
        # GE suites built from our suites, keyed by their JSON; ids map GE results back to order
        self.suites: OrderedDict[str, tuple[Any, dict[str, int]]] = OrderedDict()

    def ge_suite_for(self, suite: ExpectationSuite) -> tuple[Any, dict[str, int]]:
        """A GE suite for ``suite`` whose expectations carry ids naming their position."""
        key = suite.to_json()
        cached = self.suites.get(key)
        if cached is not None:
            self.suites.move_to_end(key)
            return cached
        ge_suite = to_ge_suite(suite)
        positions: dict[str, int] = {}
        for i, exp in enumerate(ge_suite.expectations):
            exp.id = str(uuid.uuid4())
            positions[exp.id] = i
        self.suites[key] = (ge_suite, positions)
        if len(self.suites) > 64:
            self.suites.popitem(last=False)
        return ge_suite, positions


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def _engine() -> _Engine:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE


# --------------------------------------------------------------------------- validation


def validate_frame(df: pd.DataFrame, suite: ExpectationSuite | Any,
                   partial_unexpected_count: int = PARTIAL_UNEXPECTED_COUNT) -> ValidationReport:
    """Validate ``df`` against ``suite`` with Great Expectations' results; the frame is not
    copied.

    The results are those of GE's pandas engine on the whole frame with the cheap ``BASIC``
    result format: counts, observed values and up to ``partial_unexpected_count`` unexpected
    values per expectation. The common expectations ``mlsys.validation.native`` knows are
    computed there (the report's ``checked_by_mlsys`` counts them), GE runs the others. An
    expectation that cannot run (e.g. its column is missing) fails with its exception message.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise SchemaError(
            f"validate_frame needs a pandas DataFrame, got {type(df).__name__}; convert it with "
            "pd.DataFrame(...) first"
        )
    parsed = parse_suite(suite)
    if not parsed.expectations:
        return ValidationReport(success=True, results=(), suite_name=parsed.name,
                                row_count=len(df))
    cap = int(partial_unexpected_count)
    found = [native_result(df, e, cap) for e in parsed.expectations]
    rest = [i for i, r in enumerate(found) if r is None]
    if rest:
        for i, r in zip(rest, _run_ge(df, parsed, rest, cap), strict=True):
            found[i] = r
    results = tuple(r for r in found if r is not None)
    return ValidationReport(
        success=all(r.success for r in results), results=results, suite_name=parsed.name,
        row_count=len(df), meta={"great_expectations_version": _ge_version(),
                                 "checked_by_mlsys": len(parsed.expectations) - len(rest)},
    )


def _run_ge(df: pd.DataFrame, suite: ExpectationSuite, positions: list[int],
            cap: int) -> list[ExpectationResult]:
    """GE's results for the expectations of ``suite`` at ``positions``, in that order."""
    part = ExpectationSuite(suite.name, tuple(suite.expectations[i] for i in positions),
                            suite.meta)
    engine = _engine()
    result_format = {"result_format": "BASIC", "partial_unexpected_count": cap}
    with engine.lock:
        ge_suite, ids = engine.ge_suite_for(part)
        batch = engine.batch_definition.get_batch(batch_parameters={"dataframe": df})
        ge_result = batch.validate(ge_suite, result_format=result_format)
    # GE reorders results (by domain, failures to compute first); the ids restore suite order
    ordered: list[tuple[int, ExpectationResult]] = []
    for n, r in enumerate(ge_result.results):
        i = ids.get(getattr(r.expectation_config, "id", None) or "", n)
        ordered.append((i, _convert_result(r, part.expectations[i], cap)))
    return [r for _, r in sorted(ordered, key=lambda pair: pair[0])]


def _ge_version() -> str:
    """The installed GE's version, without importing it (a suite mlsys checks alone needs
    no GE at all)."""
    from importlib.metadata import version

    return version("great_expectations")


def _convert_result(r: Any, expectation: Expectation, cap: int) -> ExpectationResult:
    return expectation_result(expectation.type, expectation.kwargs, r.success, r.result,
                              r.exception_info, cap)


__all__ = ["PARTIAL_UNEXPECTED_COUNT", "validate_frame"]
