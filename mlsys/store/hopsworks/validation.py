"""Conversions between hsfs / Great Expectations validation objects and mlsys's named types.

Hopsworks hands back three shapes: ``hsfs.validation_report.ValidationReport`` (stored reports,
``ge_type=False``), GE's ``ExpectationSuiteValidationResult`` (what ``insert`` returns) and the
REST JSON both are built from. All of them become one :class:`ValidationReport`. The conversion
reads hsfs objects field by field rather than through their ``to_ge_type()``, which drops each
expectation's type under GE 1.x.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from mlsys.validation.ge import expectation_result
from mlsys.validation.types import (
    Expectation,
    ExpectationResult,
    ExpectationSuite,
    IngestionResult,
    ValidationReport,
)

# hsfs adds its own bookkeeping to each expectation's meta; it is not part of the suite
_HSFS_META_KEYS = ("expectationId",)


def _as_dict(value: Any) -> dict[str, Any]:
    """A dict from a dict, a JSON string of one, or an object with ``to_json_dict``."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    if isinstance(value, dict):
        return value
    to_json = getattr(value, "to_json_dict", None)
    return dict(to_json()) if callable(to_json) else {}


def result_from_parts(success: Any, config: Any, result: Any,
                      exception_info: Any) -> ExpectationResult:
    """One :class:`ExpectationResult` from the four parts every shape carries."""
    cfg = _as_dict(config)
    etype = cfg.get("type") or cfg.get("expectation_type") or "unknown"
    return expectation_result(etype, _as_dict(cfg.get("kwargs")), success, _as_dict(result),
                              _as_dict(exception_info))


def _ingestion(value: Any) -> IngestionResult:
    try:
        return IngestionResult(str(value).upper())
    except ValueError:  # hsfs's FG_DATA (validate() on the stored data) has no mlsys twin
        return IngestionResult.UNKNOWN


def _time(value: Any) -> datetime:
    """hsfs keeps validation times as epoch milliseconds; GE as ISO text in its meta."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)


def report_from_sdk(report: Any, *, feature_group: str | None = None,
                    version: int | None = None, row_count: int = 0,
                    ingestion: IngestionResult | None = None) -> ValidationReport:
    """An mlsys report from an hsfs ``ValidationReport``, a GE suite result, or their dicts."""
    if hasattr(report, "results") and hasattr(report, "ingestion_result") and not isinstance(
            report, dict):  # hsfs ValidationReport
        results = tuple(
            result_from_parts(r.success, r.expectation_config, r.result, r.exception_info)
            for r in report.results)
        meta = _as_dict(report.meta)
        suite_name = str(meta.get("expectation_suite_name") or meta.get("suite_name") or "")
        when = getattr(report, "_validation_time", None) or meta.get("validation_time")
        found = _ingestion(report.ingestion_result)
        report_id = getattr(report, "id", None)
        overall = bool(report.success)
    else:  # GE ExpectationSuiteValidationResult or its JSON dict
        data = _as_dict(report)
        results = tuple(
            result_from_parts(r.get("success"), r.get("expectation_config"), r.get("result"),
                              r.get("exception_info"))
            for r in (_as_dict(x) for x in data.get("results") or []))
        meta = _as_dict(data.get("meta"))
        suite_name = str(data.get("suite_name") or meta.get("expectation_suite_name") or "")
        run_id = meta.get("run_id")
        when = meta.get("validation_time") or (
            run_id.get("run_time") if isinstance(run_id, dict) else None)
        found = IngestionResult.UNKNOWN
        report_id = None
        overall = bool(data.get("success"))
    first = next((r.element_count for r in results if r.element_count is not None), None)
    return ValidationReport(
        success=overall and all(r.success for r in results),
        results=results,
        suite_name=suite_name,
        ingestion_result=ingestion or found,
        validation_time=_time(when),
        row_count=row_count or (first or 0),
        feature_group=feature_group,
        feature_group_version=version,
        id=report_id if isinstance(report_id, int) else None,
        meta={"backend": "hopsworks"},
    )


def suite_from_sdk(suite: Any) -> ExpectationSuite:
    """An mlsys suite from an ``hsfs.expectation_suite.ExpectationSuite``.

    hsfs runs the project's suite with Great Expectations in this process on every insert, so a
    suite with arguments GE evaluates as code is refused (:func:`check_suite_safe`).
    """
    from mlsys.validation.suite_safety import check_suite_safe

    expectations = []
    for e in suite.expectations:
        meta = {k: v for k, v in _as_dict(e.meta).items() if k not in _HSFS_META_KEYS}
        expectations.append(Expectation(type=str(e.expectation_type),
                                        kwargs=dict(_as_dict(e.kwargs)), meta=meta))
    meta = {k: v for k, v in _as_dict(suite.meta).items() if k != "great_expectations_version"}
    name = str(suite.expectation_suite_name)
    check_suite_safe(expectations, name)
    return ExpectationSuite(name=name, expectations=tuple(expectations), meta=meta)
