"""Expectation suites and validation reports of a local feature group (a mixin of it)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlsys.errors import DataValidationError, ExpectationSuiteError
from mlsys.store.local.catalog import dumps
from mlsys.validation.ge import to_ge_report, to_ge_suite
from mlsys.validation.types import (
    Expectation,
    ExpectationSuite,
    IngestionPolicy,
    IngestionResult,
    ValidationReport,
)

if TYPE_CHECKING:
    import sqlite3
    from pathlib import Path

    from mlsys.store.api import Feature
    from mlsys.store.local.catalog.sqlite import SqliteCatalog as Catalog


REPORT_KEY = "mlsys_validation_report"  # commit-metadata key of an insert's INGESTED report


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


class GroupValidation:
    """Suite and report methods; the host class provides ``id``, ``name``, ``version``,
    ``_catalog``, ``features``, ``_row()`` and ``read()``."""

    id: int
    name: str
    version: int
    _catalog: Catalog

    if TYPE_CHECKING:
        def _row(self) -> sqlite3.Row: ...

        def read(self, *args: Any, **kwargs: Any) -> pd.DataFrame: ...

        def _table_path(self) -> Path: ...

        @property
        def features(self) -> list[Feature]: ...

    # -- the suite
    def save_expectation_suite(self, expectation_suite: Any, run_validation: bool = True,
                               validation_ingestion_policy: str = "always",
                               overwrite: bool = False) -> ExpectationSuite:
        """Attach a suite (GE object, dict, JSON text or path). ``overwrite`` is accepted for
        hsfs compatibility: the new suite always replaces the old one; past reports stay."""
        from mlsys.validation.suite_io import check_suite_columns, parse_suite

        policy = IngestionPolicy.parse(validation_ingestion_policy)
        try:
            suite = parse_suite(expectation_suite)
        except RecursionError:  # JSON nested thousands deep: no suite looks like that
            raise ExpectationSuiteError(
                "the expectation suite is nested too deeply to be a suite (JSON or dict "
                "thousands of levels deep); give {'name': ..., 'expectations': [...]}") from None
        check_suite_columns(suite, [f.name for f in self.features],
                            f"feature group {self.name} v{self.version}")
        with self._catalog.write() as db:
            db.execute("UPDATE feature_groups SET suite = ?, ingestion_policy = ?, "
                       "run_validation = ? WHERE id = ?",
                       (suite.to_json(), policy.value, int(bool(run_validation)), self.id))
        return suite

    def _suite(self, row: sqlite3.Row) -> ExpectationSuite | None:
        return suite_from_dict(json.loads(row["suite"])) if row["suite"] else None

    def get_expectation_suite(self, ge_type: bool = False) -> ExpectationSuite | Any | None:
        suite = self._suite(self._row())
        if suite is None:
            return None
        return to_ge_suite(suite) if ge_type else suite

    def delete_expectation_suite(self) -> None:
        with self._catalog.write() as db:
            db.execute("UPDATE feature_groups SET suite = NULL, ingestion_policy = NULL "
                       "WHERE id = ?", (self.id,))

    @property
    def validation_ingestion_policy(self) -> str | None:
        row = self._row()
        return str(row["ingestion_policy"]) if row["suite"] else None

    # -- validating
    def _run_suite(self, df: pd.DataFrame, suite: ExpectationSuite) -> ValidationReport:
        from mlsys.validation.engine import validate_frame

        return validate_frame(df, suite)

    def validate(self, dataframe: pd.DataFrame | None = None, save_report: bool = False,
                 validation_options: dict[str, Any] | None = None,
                 ingestion_result: str = "UNKNOWN") -> ValidationReport:
        """Validate ``dataframe`` (default: the group's rows) against the attached suite."""
        from mlsys.store.rules.frames import normalise

        suite = self._suite(self._row())
        if suite is None:
            raise ExpectationSuiteError(
                f"feature group {self.name} v{self.version} has no expectation suite; attach "
                "one with fg.save_expectation_suite(suite) first"
            )
        df = self.read() if dataframe is None else normalise(dataframe, "validate")
        report = self._run_suite(df, suite)
        result = IngestionResult.parse(ingestion_result)
        if save_report:
            return self._store_report(report, result)
        return report.with_ingestion(result, fg=self.name, version=self.version)

    def _reject(self, report: ValidationReport) -> DataValidationError:
        """Store a STRICT failure as REJECTED; the error to raise (nothing was written)."""
        stored = self._store_report(report, IngestionResult.REJECTED)
        return DataValidationError(
            f"insert into feature group {self.name} v{self.version} failed its expectation "
            f"suite {report.suite_name!r} (policy STRICT), so nothing was written: "
            f"{report.describe_failures()}. Fix the data, or save the suite with "
            "validation_ingestion_policy='always' to write anyway",
            report=stored,
        )

    # -- reports
    def _store_report(self, report: ValidationReport, result: IngestionResult,
                      commit_version: int | None = None) -> ValidationReport:
        """Store ``report``; an INGESTED one names its commit, and is stored once per commit
        (a reader may have restored it from the commit already)."""
        marked = report.with_ingestion(result, fg=self.name, version=self.version)
        with self._catalog.write() as db:
            if commit_version is not None:
                found = db.execute(
                    "SELECT report FROM validation_reports WHERE feature_group_id = ? AND "
                    "commit_version = ?", (self.id, commit_version)).fetchone()
                if found is not None:
                    return ValidationReport.from_dict(json.loads(found["report"]))
            cur = db.execute(
                "INSERT INTO validation_reports (feature_group_id, validation_time, "
                "ingestion_result, success, report, commit_version) "
                "VALUES (?, ?, ?, ?, '{}', ?)",
                (self.id, marked.validation_time.isoformat(), result.value,
                 int(marked.success), commit_version))
            report_id = int(cur.lastrowid or 0)
            stored = marked.with_ingestion(result, report_id=report_id)
            db.execute("UPDATE validation_reports SET report = ? WHERE id = ?",
                       (dumps(stored.to_dict()), report_id))
        return stored

    def report_metadata(self, report: ValidationReport | None) -> dict[str, str] | None:
        """Commit metadata carrying the INGESTED report of an insert (None without one)."""
        if report is None:
            return None
        marked = report.with_ingestion(IngestionResult.INGESTED, fg=self.name,
                                       version=self.version)
        return {REPORT_KEY: dumps(marked.to_dict())}

    def restore_reports(self) -> int:
        """Store the reports of commits newer than the newest recorded one whose writer died
        before recording them; returns how many were restored.

        Inserts are serialised and each calls this before committing, so only commits after the
        newest recorded report can lack theirs.
        """
        from mlsys.store.local import tables

        path = self._table_path()
        if not tables.exists(path):
            return 0
        row = self._catalog.query(
            "SELECT MAX(commit_version) AS v FROM validation_reports WHERE feature_group_id = ?",
            (self.id,))
        newest = row[0]["v"] if row and row[0]["v"] is not None else -1
        restored = 0
        for info in tables.history(path):
            version = int(info["version"])
            if version <= newest:
                break
            text = info.get(REPORT_KEY)
            if text:
                report = ValidationReport.from_dict(json.loads(text))
                self._store_report(report, IngestionResult.INGESTED, version)
                restored += 1
        return restored

    def get_latest_validation_report(self, ge_type: bool = False,
                                     ) -> ValidationReport | Any | None:
        reports = self._reports(limit=1)
        if not reports:
            return None
        return to_ge_report(reports[0]) if ge_type else reports[0]

    def get_all_validation_reports(self, ge_type: bool = False) -> list[Any]:
        reports = self._reports()
        return [to_ge_report(r) for r in reports] if ge_type else list(reports)

    def _reports(self, limit: int | None = None) -> list[ValidationReport]:
        self.restore_reports()
        rows = self._catalog.query(
            "SELECT report FROM validation_reports WHERE feature_group_id = ? "
            "ORDER BY id DESC LIMIT ?", (self.id, -1 if limit is None else limit))
        return [ValidationReport.from_dict(json.loads(r["report"])) for r in rows]
