"""Plain named types for expectation suites and validation reports (no Great Expectations here)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from mlsys.errors import ExpectationSuiteError, InvalidArgumentError


class IngestionPolicy(StrEnum):
    """What an insert does when its frame fails the group's expectation suite (as in Hopsworks)."""

    ALWAYS = "ALWAYS"  # write the rows anyway; the report is stored as INGESTED with its failures
    STRICT = "STRICT"  # write nothing; raise DataValidationError; the report is stored as REJECTED

    @classmethod
    def parse(cls, value: str | IngestionPolicy) -> IngestionPolicy:
        try:
            return cls(str(value).upper())
        except ValueError:
            raise ExpectationSuiteError(
                f"validation_ingestion_policy {value!r} is not known; use 'always' or 'strict'"
            ) from None


class IngestionResult(StrEnum):
    """What happened to the frame a report was made for (hsfs's ``ingestion_result``)."""

    INGESTED = "INGESTED"
    REJECTED = "REJECTED"
    EXPERIMENT = "EXPERIMENT"  # validated on demand, not inserted
    FG_DATA = "FG_DATA"  # the group's own stored data re-validated (e.g. `mlsys validate`)
    UNKNOWN = "UNKNOWN"  # fg.validate()'s default, as in hsfs

    @classmethod
    def parse(cls, value: str | IngestionResult) -> IngestionResult:
        try:
            return cls(str(value).upper())
        except ValueError:
            raise InvalidArgumentError(
                f"ingestion_result {value!r} is not one of {[r.value for r in cls]}"
            ) from None


@dataclass(frozen=True)
class Expectation:
    """One expectation of a suite: its GE type (snake_case) and keyword arguments."""

    type: str
    kwargs: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "kwargs": dict(self.kwargs), "meta": dict(self.meta)}


@dataclass(frozen=True)
class ExpectationSuite:
    """A Great Expectations 1.x suite held as plain data (the JSON GE and Hopsworks exchange).

    ``mlsys.validation.ge.to_ge_suite`` builds the real ``great_expectations.ExpectationSuite``.
    """

    name: str
    expectations: tuple[Expectation, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expectations": [e.to_dict() for e in self.expectations],
            "meta": dict(self.meta),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str)


@dataclass(frozen=True)
class ExpectationResult:
    """The outcome of one expectation on one frame."""

    expectation_type: str
    kwargs: dict[str, Any]
    success: bool
    observed_value: Any = None
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    partial_unexpected_list: list[Any] = field(default_factory=list)
    exception_message: str | None = None

    @property
    def column(self) -> str | None:
        col = self.kwargs.get("column")
        return str(col) if col is not None else None


@dataclass(frozen=True)
class ValidationReport:
    """A validation report as Hopsworks stores it: suite outcome plus per-expectation results.

    ``mlsys.validation.ge.to_ge_report`` builds GE's own ``ExpectationSuiteValidationResult``.
    """

    success: bool
    results: tuple[ExpectationResult, ...]
    suite_name: str
    ingestion_result: IngestionResult = IngestionResult.UNKNOWN
    validation_time: datetime = field(default_factory=lambda: datetime.now(UTC))
    row_count: int = 0
    feature_group: str | None = None
    feature_group_version: int | None = None
    id: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def statistics(self) -> dict[str, float]:
        evaluated = len(self.results)
        ok = sum(r.success for r in self.results)
        return {
            "evaluated_expectations": evaluated,
            "successful_expectations": ok,
            "unsuccessful_expectations": evaluated - ok,
            "success_percent": 100.0 * ok / evaluated if evaluated else 100.0,
        }

    @property
    def failures(self) -> tuple[ExpectationResult, ...]:
        return tuple(r for r in self.results if not r.success)

    def describe_failures(self, limit: int = 5) -> str:
        """A short human sentence per failed expectation, for error messages."""
        lines = []
        for r in self.failures[:limit]:
            where = f" on column {r.column!r}" if r.column else ""
            detail = r.exception_message or (
                f"{r.unexpected_count} unexpected value(s), e.g. {r.partial_unexpected_list[:3]}"
                if r.unexpected_count
                else f"observed {r.observed_value!r}"
            )
            lines.append(f"{r.expectation_type}{where}: {detail}")
        more = len(self.failures) - limit
        if more > 0:
            lines.append(f"... and {more} more")
        return "; ".join(lines)

    def with_ingestion(
        self, result: IngestionResult, *, fg: str | None = None, version: int | None = None,
        report_id: int | None = None,
    ) -> ValidationReport:
        """The same report, marked with what happened to the frame and where it was stored."""
        return ValidationReport(
            success=self.success, results=self.results, suite_name=self.suite_name,
            ingestion_result=result, validation_time=self.validation_time,
            row_count=self.row_count, feature_group=fg or self.feature_group,
            feature_group_version=version or self.feature_group_version,
            id=report_id if report_id is not None else self.id, meta=self.meta,
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ingestion_result"] = self.ingestion_result.value
        d["validation_time"] = self.validation_time.isoformat()
        d["statistics"] = self.statistics
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ValidationReport:
        results = tuple(ExpectationResult(**r) for r in d["results"])
        return cls(
            success=bool(d["success"]), results=results, suite_name=d["suite_name"],
            ingestion_result=IngestionResult(d.get("ingestion_result", "UNKNOWN")),
            validation_time=datetime.fromisoformat(d["validation_time"]),
            row_count=int(d.get("row_count", 0)), feature_group=d.get("feature_group"),
            feature_group_version=d.get("feature_group_version"), id=d.get("id"),
            meta=d.get("meta", {}),
        )
