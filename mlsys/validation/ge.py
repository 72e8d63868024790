"""Great Expectations at the edge: its quiet offline import, and GE objects from plain types.

Everything that builds a GE object lives here (and the engine in ``engine`` runs them), so the
plain types below never import GE and GE is imported on first use only.
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from types import ModuleType
from typing import Any

from mlsys.config import apply_offline_defaults
from mlsys.errors import ExpectationSuiteError
from mlsys.validation.suite_safety import check_expectation
from mlsys.validation.types import ExpectationResult, ExpectationSuite, ValidationReport

# great_expectations imports the deprecated ``sre_*`` modules at import time (GE 1.24, Python
# 3.11); that DeprecationWarning is GE's, not ours, and would fail every caller run with -W error.
_GE_IMPORT_NOISE = r"module 'sre_(constants|parse|compile)' is deprecated"


_GX: ModuleType | None = None


def import_ge() -> ModuleType:
    """``great_expectations``, imported offline (no analytics) and without its import noise."""
    global _GX
    if _GX is None:
        apply_offline_defaults()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_GE_IMPORT_NOISE,
                                    category=DeprecationWarning)
            import great_expectations as gx
            import great_expectations.expectations  # registers the core expectations
        _GX = gx
    return _GX


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: numpy/pandas scalars unwrapped, NaN/NaT/NA to None."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    import numpy as np
    import pandas as pd

    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.timedelta64):
        value = pd.Timedelta(value)
    if value is pd.NA or value is pd.NaT:  # NaT is a datetime too: test it first
        return None
    if isinstance(value, datetime | date | time | pd.Timedelta):
        return value.isoformat()
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, Decimal):
        return jsonable(float(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def expectation_result(expectation_type: str, kwargs: Mapping[str, Any], success: Any,
                       result: Mapping[str, Any] | None, exception_info: Any,
                       cap: int | None = None) -> ExpectationResult:
    """One :class:`ExpectationResult` from the parts of a GE result, wherever it came from.

    The engine's GE run and a Hopsworks report (GE objects, hsfs objects or their REST JSON)
    both carry these parts; reading them in one place keeps their results the same. ``cap``
    keeps at most that many unexpected values (``None``: all of them).
    """
    result = result or {}
    partial = list(result.get("partial_unexpected_list") or [])
    return ExpectationResult(
        expectation_type=str(expectation_type),
        kwargs={str(k): jsonable(v) for k, v in kwargs.items()},
        success=bool(success),
        observed_value=jsonable(result.get("observed_value")),
        element_count=_int_or_none(result.get("element_count")),
        unexpected_count=_int_or_none(result.get("unexpected_count")),
        unexpected_percent=_float_or_none(result.get("unexpected_percent")),
        partial_unexpected_list=[jsonable(v) for v in partial[:cap]],
        exception_message=exception_message(exception_info),
    )


def exception_message(info: Any) -> str | None:
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


def ge_expectation(etype: str, kwargs: dict[str, Any], meta: dict[str, Any],
                   where: str) -> Any:
    """The GE expectation object; unknown types and bad arguments become ExpectationSuiteError.

    Arguments GE would evaluate as code are refused first (every GE object is built here).
    """
    check_expectation(etype, kwargs, where)
    import_ge()
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )
    from great_expectations.expectations.registry import (
        list_registered_expectation_implementations,
    )

    known = list_registered_expectation_implementations()
    if etype not in known:
        close = difflib.get_close_matches(etype, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else (
            "; see the Great Expectations 1.x expectation gallery for the names"
        )
        raise ExpectationSuiteError(
            f"{where}: {etype!r} is not a Great Expectations {import_ge().__version__} "
            f"expectation{hint}"
        )
    try:
        return ExpectationConfiguration(type=etype, kwargs=dict(kwargs), meta=dict(meta)
                                        ).to_domain_obj()
    except Exception as err:  # pydantic and GE raise several unrelated types here
        raise ExpectationSuiteError(
            f"{where} ({etype}) has invalid arguments {kwargs!r}: {_short_error(err)}"
        ) from None


def _short_error(err: Exception) -> str:
    """One line per bad field of a pydantic error (GE's unions repeat each field many times)."""
    errors = getattr(err, "errors", None)
    if callable(errors):
        seen: dict[str, str] = {}
        try:
            for e in errors():
                field = ".".join(str(p) for p in e.get("loc", ())) or "suite"
                seen.setdefault(field, str(e.get("msg", "")))
        except Exception:  # not a pydantic error after all
            seen = {}
        if seen:
            return "; ".join(f"{f}: {m}" for f, m in seen.items())
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def to_ge_suite(suite: ExpectationSuite) -> Any:
    """A new ``great_expectations.ExpectationSuite`` for ``suite`` (what hsfs returns with
    ``ge_type=True``); other formats go through ``suite_io.parse_suite`` first."""
    if not isinstance(suite, ExpectationSuite):
        raise ExpectationSuiteError(
            f"to_ge_suite needs an mlsys ExpectationSuite, got {type(suite).__name__}; read "
            "other formats with mlsys.validation.suite_io.parse_suite(...) first")
    gx = import_ge()
    expectations = [
        ge_expectation(e.type, e.kwargs, e.meta, f"expectation #{i} of {suite.name!r}")
        for i, e in enumerate(suite.expectations)
    ]
    return gx.ExpectationSuite(name=suite.name, expectations=expectations,
                               meta=dict(suite.meta))


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


__all__ = ["ge_expectation", "import_ge", "jsonable", "to_ge_report", "to_ge_suite"]
