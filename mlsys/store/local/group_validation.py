"""Expectation suites and validation reports of a local feature group: ``GroupReports``,
which a group holds as ``fg.reports`` and its contract methods delegate to."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlsys.errors import ConcurrencyError, DataValidationError, ExpectationSuiteError
from mlsys.store.local.catalog import dumps
from mlsys.store.local.catalog.records import GroupRecord
from mlsys.validation.ge import to_ge_report, to_ge_suite
from mlsys.validation.types import (
    Expectation,
    ExpectationSuite,
    IngestionPolicy,
    IngestionResult,
    ValidationReport,
)

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from mlsys.store.local.group_state import GroupState

REPORT_KEY = "mlsys_validation_report"  # commit-metadata key of an insert's INGESTED report
STORE_ATTEMPTS = 20  # tries of storing a report before it gives up to concurrent writers


def suite_from_dict(d: dict[str, Any]) -> ExpectationSuite:
    """A stored suite back as the named type (no GE import needed).

    A catalog can come from elsewhere (a copied store), so the suite is checked again for
    arguments GE would run as code before anything uses it.
    """
    from mlsys.validation.suite_safety import check_suite_safe

    suite = ExpectationSuite(
        name=d["name"],
        expectations=tuple(Expectation(e["type"], dict(e.get("kwargs", {})),
                                       dict(e.get("meta", {}))) for e in d["expectations"]),
        meta=dict(d.get("meta", {})),
    )
    try:
        check_suite_safe(suite.expectations, suite.name)
    except ExpectationSuiteError as err:
        raise ExpectationSuiteError(
            f"the stored {err} Detach it with fg.delete_expectation_suite() and attach a "
            "suite without it") from None
    return suite


class GroupReports:
    """The suite and the reports of one feature-group version, in the catalog."""

    def __init__(self, state: GroupState) -> None:
        self._state = state
        self._catalog = state.ctx.catalog
        self.group_id, self.name, self.version = state.id, state.name, state.version
        self._where = state.where

    # -- the suite
    def save_suite(self, expectation_suite: Any, run_validation: bool,
                   validation_ingestion_policy: str,
                   columns: Callable[[], Sequence[str]]) -> ExpectationSuite:
        """Attach a suite (GE object, dict, JSON text or path) checked against ``columns()``
        (the group's features, read once the suite parsed); it replaces the old one, past
        reports stay."""
        from mlsys.validation.suite_io import check_suite_columns, parse_suite

        policy = IngestionPolicy.parse(validation_ingestion_policy)
        try:
            suite = parse_suite(expectation_suite)
        except RecursionError:  # JSON nested thousands deep: no suite looks like that
            raise ExpectationSuiteError(
                "the expectation suite is nested too deeply to be a suite (JSON or dict "
                "thousands of levels deep); give {'name': ..., 'expectations': [...]}") from None
        check_suite_columns(suite, list(columns()), self._where)
        self._catalog.groups.set_suite(self.group_id, suite.to_json(), policy.value,
                                       bool(run_validation))
        return suite

    @staticmethod
    def suite(record: GroupRecord) -> ExpectationSuite | None:
        """The suite a group record holds, checked again (see ``suite_from_dict``)."""
        return suite_from_dict(json.loads(record.suite_json)) if record.suite_json else None

    def delete_suite(self) -> None:
        self._catalog.groups.clear_suite(self.group_id)

    @staticmethod
    def policy(record: GroupRecord) -> str | None:
        """The ingestion policy, with a suite attached."""
        return str(record.ingestion_policy) if record.suite_json else None

    # -- validating
    @staticmethod
    def run_suite(df: pd.DataFrame, suite: ExpectationSuite) -> ValidationReport:
        from mlsys.validation.engine import validate_frame

        return validate_frame(df, suite)

    def validate(self, record: GroupRecord, dataframe: pd.DataFrame | None,
                 read: Callable[[], pd.DataFrame], save_report: bool,
                 ingestion_result: str) -> ValidationReport:
        """``dataframe`` (default: ``read()``, the group's rows) validated against the suite of
        ``record``; stored with ``save_report``."""
        from mlsys.store.rules.frames import normalise

        suite = self.suite(record)
        if suite is None:
            raise ExpectationSuiteError(
                f"{self._where} has no expectation suite; attach one with "
                "fg.save_expectation_suite(suite) first")
        df = read() if dataframe is None else normalise(dataframe, "validate")
        report = self.run_suite(df, suite)
        result = IngestionResult.parse(ingestion_result)
        if save_report:
            return self.store(report, result)
        return report.with_ingestion(result, fg=self.name, version=self.version)

    def reject(self, report: ValidationReport) -> DataValidationError:
        """Store a STRICT failure as REJECTED; the error to raise (nothing was written)."""
        stored = self.store(report, IngestionResult.REJECTED)
        return DataValidationError(
            f"insert into feature group {self.name} v{self.version} failed its expectation "
            f"suite {report.suite_name!r} (policy STRICT), so nothing was written: "
            f"{report.describe_failures()}. Fix the data, or save the suite with "
            "validation_ingestion_policy='always' to write anyway",
            report=stored,
        )

    # -- reports
    def store(self, report: ValidationReport, result: IngestionResult,
              commit_version: int | None = None) -> ValidationReport:
        """Store ``report``; an INGESTED one names its commit, and is stored once per commit
        (a reader may have restored it from the commit already)."""
        marked = report.with_ingestion(result, fg=self.name, version=self.version)
        stored: list[ValidationReport] = []

        def body(report_id: int) -> dict[str, Any]:
            stored.append(marked.with_ingestion(result, report_id=report_id))
            return stored[-1].to_dict()

        for attempt in range(STORE_ATTEMPTS):
            try:
                with self._catalog.transaction():
                    if commit_version is not None:
                        found = self._catalog.reports.by_commit(self.group_id, commit_version)
                        if found is not None:
                            return ValidationReport.from_dict(found.body)
                    self._catalog.reports.add(self.group_id, marked.validation_time.isoformat(),
                                              result.value, bool(marked.success),
                                              commit_version, body)
                break
            except ConcurrencyError:
                # an optimistic catalog (object storage): another machine stored a report
                # meanwhile (the id this one got is taken), nothing was kept; store it again
                if attempt + 1 == STORE_ATTEMPTS:
                    raise
        return stored[-1]

    def metadata(self, report: ValidationReport | None) -> dict[str, str] | None:
        """Commit metadata carrying the INGESTED report of an insert (None without one)."""
        if report is None:
            return None
        marked = report.with_ingestion(IngestionResult.INGESTED, fg=self.name,
                                       version=self.version)
        return {REPORT_KEY: dumps(marked.to_dict())}

    def restore(self, table: DeltaTable | None) -> int:
        """Store the reports of commits newer than the newest recorded one whose writer died
        before recording them; returns how many were restored.

        Inserts are serialised and each calls this before committing, so only commits after the
        newest recorded report can lack theirs. ``table`` is the group's table at its latest
        version (the caller has it open already), None before the first commit.
        """
        if table is None:
            return 0
        newest = self._catalog.reports.newest_commit(self.group_id)
        newest = -1 if newest is None else newest
        restored = 0
        for info in table.history():
            version = int(info["version"])
            if version <= newest:
                break
            text = info.get(REPORT_KEY)
            if text:
                report = ValidationReport.from_dict(json.loads(text))
                self.store(report, IngestionResult.INGESTED, version)
                restored += 1
        return restored

    def latest(self, limit: int | None = None) -> list[ValidationReport]:
        """The stored reports, newest first (after restoring any a dead writer left)."""
        from mlsys.store.local import tables

        self.restore(tables.open_latest(self._state.path))
        return [ValidationReport.from_dict(r.body)
                for r in self._catalog.reports.latest(self.group_id, limit)]

    def latest_as(self, ge_type: bool, limit: int | None = None) -> list[Any]:
        reports = self.latest(limit)
        return [to_ge_report(r) for r in reports] if ge_type else list(reports)

    @staticmethod
    def suite_as(suite: ExpectationSuite | None, ge_type: bool) -> ExpectationSuite | Any | None:
        if suite is None:
            return None
        return to_ge_suite(suite) if ge_type else suite


__all__ = ["REPORT_KEY", "GroupReports", "suite_from_dict"]
