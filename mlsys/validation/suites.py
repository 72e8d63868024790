"""Great Expectations validation of DataFrames against suites (the engine every insert runs).

The suite formats themselves (parsing, conversion, shipped files) live in ``suite_formats``;
their public names are re-exported here so ``mlsys.validation.suites`` is the one entry point.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from mlsys.errors import SchemaError
from mlsys.validation.gx import import_ge, jsonable
from mlsys.validation.report import (
    Expectation,
    ExpectationResult,
    ExpectationSuite,
    ValidationReport,
)
from mlsys.validation.suite_formats import (
    ACCEPTED_FORMATS,
    load_suite_file,
    parse_suite,
    suite_directories,
    to_ge_suite,
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
    """Validate ``df`` with Great Expectations against ``suite``; the frame is not copied.

    Runs GE's pandas engine on the whole frame with the cheap ``BASIC`` result format: counts,
    observed values and up to ``partial_unexpected_count`` unexpected values per expectation.
    An expectation that cannot run (e.g. its column is missing) fails with its exception message.
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
    engine = _engine()
    result_format = {"result_format": "BASIC",
                     "partial_unexpected_count": int(partial_unexpected_count)}
    with engine.lock:
        ge_suite, positions = engine.ge_suite_for(parsed)
        batch = engine.batch_definition.get_batch(batch_parameters={"dataframe": df})
        ge_result = batch.validate(ge_suite, result_format=result_format)
    # GE reorders results (by domain, failures to compute first); the ids restore suite order
    ordered: list[tuple[int, ExpectationResult]] = []
    for n, r in enumerate(ge_result.results):
        i = positions.get(getattr(r.expectation_config, "id", None) or "", n)
        ordered.append((i, _convert_result(r, parsed.expectations[i], partial_unexpected_count)))
    results = tuple(r for _, r in sorted(ordered, key=lambda pair: pair[0]))
    return ValidationReport(
        success=all(r.success for r in results), results=results, suite_name=parsed.name,
        row_count=len(df), meta={"great_expectations_version": import_ge().__version__},
    )


def _convert_result(r: Any, expectation: Expectation, cap: int) -> ExpectationResult:
    result = r.result or {}
    partial = result.get("partial_unexpected_list") or []
    return ExpectationResult(
        expectation_type=expectation.type,
        kwargs=dict(expectation.kwargs),
        success=bool(r.success),
        observed_value=jsonable(result.get("observed_value")),
        element_count=_int_or_none(result.get("element_count")),
        unexpected_count=_int_or_none(result.get("unexpected_count")),
        unexpected_percent=_float_or_none(result.get("unexpected_percent")),
        partial_unexpected_list=[jsonable(v) for v in list(partial)[:cap]],
        exception_message=_exception_message(r.exception_info),
    )


def to_ge_report(report: ValidationReport) -> Any:
    """The report as GE's own ``ExpectationSuiteValidationResult`` (what hsfs returns with
    ``ge_type=True``), rebuilt from the stored plain data."""
    import_ge()  # GE itself first, without its Python 3.11 deprecation noise
    from great_expectations.core import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    results = []
    for r in report.results:
        result = {k: v for k, v in (("observed_value", r.observed_value),
                                    ("element_count", r.element_count),
                                    ("unexpected_count", r.unexpected_count),
                                    ("unexpected_percent", r.unexpected_percent),
                                    ("partial_unexpected_list", r.partial_unexpected_list))
                  if v is not None}
        exception = {"raised_exception": r.exception_message is not None,
                     "exception_message": r.exception_message, "exception_traceback": None}
        results.append(ExpectationValidationResult(
            success=r.success, result=result, exception_info=exception,
            expectation_config=ExpectationConfiguration(type=r.expectation_type,
                                                        kwargs=dict(r.kwargs))))
    return ExpectationSuiteValidationResult(
        success=report.success, results=results, suite_name=report.suite_name,
        statistics=dict(report.statistics),
        meta={**report.meta, "ingestion_result": report.ingestion_result.value,
              "validation_time": report.validation_time.isoformat()})


def _exception_message(info: Any) -> str | None:
    """GE gives one ``{raised_exception, exception_message}`` dict, or a dict of them per metric."""
    if not isinstance(info, dict) or not info:
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info.get("raised_exception") else None
    messages = [
        str(v.get("exception_message")) for v in info.values()
        if isinstance(v, dict) and v.get("raised_exception")
    ]
    return "; ".join(dict.fromkeys(messages)) or None  # metrics often repeat one cause


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    f = float(value)
    return None if math.isnan(f) else f


__all__ = [
    "ACCEPTED_FORMATS",
    "PARTIAL_UNEXPECTED_COUNT",
    "import_ge",
    "load_suite_file",
    "parse_suite",
    "suite_directories",
    "to_ge_report",
    "to_ge_suite",
    "validate_frame",
]
