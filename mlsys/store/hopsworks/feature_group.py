"""A feature group on Hopsworks: ``hsfs.feature_group.FeatureGroup`` behind the mlsys contract.

Where Hopsworks differs from the contract, this adapter closes the gap:

- ``insert`` is asynchronous in hsfs 5 (``wait=False``): a materialisation job writes the
  offline table later. mlsys sets ``write_options["wait_for_job"] = True`` (and
  ``wait_for_online_ingestion`` for online groups) unless the caller sets them, so
  read-after-write holds as on the local backend. ``MLSYS_HOPSWORKS_WAIT=0`` turns that off.
- The frame is checked before any upload with the frame rules both backends share
  (:mod:`mlsys.store.rules.frames`: normalised names, the group's exact features, no null or
  duplicate primary key + event time), so a bad frame raises the same
  :class:`~mlsys.errors.SchemaError` on both backends and nothing is written.
- A STRICT suite failure (hsfs ``DataValidationException``) becomes
  :class:`~mlsys.errors.DataValidationError` carrying the stored REJECTED report.
- Suites go to hsfs as Great Expectations objects built from :func:`parse_suite`, so every
  format mlsys accepts works; reports come back as mlsys :class:`ValidationReport`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mlsys.errors import (
    DataValidationError,
    DuplicateKeyWarning,
    ExpectationSuiteError,
    NotFoundError,
)
from mlsys.names import feature_name
from mlsys.store.api import Feature, FeatureGroup, Job, Query, TimeLike
from mlsys.store.hopsworks.query import HopsworksQuery, Recipe, feature_from_sdk
from mlsys.store.hopsworks.validation import report_from_sdk, suite_from_sdk
from mlsys.store.rules import dataframes
from mlsys.store.rules.arguments import (
    REJECT_DUPLICATE_KEYS,
    check_dataframe_type,
    check_insert_operation,
    reject_duplicate_keys,
)
from mlsys.store.rules.frames import (
    ARROW_TYPES,
    Column,
    check_columns,
    check_keys,
    duplicate_key_message,
    normalise,
    to_arrow,
)
from mlsys.store.rules.times import utc
from mlsys.validation.ge import to_ge_report, to_ge_suite
from mlsys.validation.types import IngestionPolicy, IngestionResult

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.store.hopsworks.context import Context
    from mlsys.validation.types import ExpectationSuite, ValidationReport


def sdk_columns(sdk_fg: Any) -> list[Any]:
    """The hsfs features of a group: ``columns`` in hsfs 5 (``features`` is deprecated there
    and warns), ``features`` in older releases."""
    found = sdk_fg.columns if hasattr(type(sdk_fg), "columns") else sdk_fg.features
    return list(found or [])


def insert_write_options(write_options: dict[str, Any] | None, wait: bool,
                         online_enabled: bool) -> dict[str, Any]:
    """hsfs ``write_options`` for an mlsys insert: wait for the job unless told otherwise."""
    options = dict(write_options or {})
    options.pop(REJECT_DUPLICATE_KEYS, None)  # mlsys's own option; hsfs does not know it
    if wait:
        options.setdefault("wait_for_job", True)
        if online_enabled:
            options.setdefault("wait_for_online_ingestion", True)
    return options


class HopsworksFeatureGroup(FeatureGroup):
    """See the module docstring; ``sdk`` is the wrapped hsfs object (an escape hatch)."""

    def __init__(self, sdk: Any, ctx: Context, reject_duplicate_keys: bool = False) -> None:
        self.sdk = sdk
        self._ctx = ctx
        # hsfs has no place for this mlsys setting: it holds for this object (the session)
        self.reject_duplicate_keys = reject_duplicate_keys

    # ------------------------------------------------------------------ metadata
    @property
    def name(self) -> str:  # type: ignore[override]
        return str(self.sdk.name)

    @property
    def version(self) -> int:  # type: ignore[override]
        return int(self.sdk.version)

    @property
    def primary_key(self) -> list[str]:  # type: ignore[override]
        return [str(k) for k in (self.sdk.primary_key or [])]

    @property
    def event_time(self) -> str | None:  # type: ignore[override]
        et = self.sdk.event_time
        return str(et) if et else None

    @property
    def description(self) -> str:  # type: ignore[override]
        return str(self.sdk.description or "")

    @property
    def online_enabled(self) -> bool:  # type: ignore[override]
        return bool(self.sdk.online_enabled)

    @property
    def features(self) -> list[Feature]:
        return [feature_from_sdk(f) for f in sdk_columns(self.sdk)]

    @property
    def _where(self) -> str:
        return f"feature group {self.name} v{self.version}"

    def _saved(self) -> bool:
        """hsfs creates the group on its first insert; until then it has no id."""
        return bool(getattr(self.sdk, "id", None))

    def __repr__(self) -> str:
        return f"HopsworksFeatureGroup({self.name!r}, version={self.version})"

    # ------------------------------------------------------------------ writes
    def _checked_frame(self, features: Any,
                       write_options: dict[str, Any] | None = None) -> pd.DataFrame:
        """The frame as the local backend would store it: normalised names, the group's exact
        features, non-null keys (repeated ones warned about, or refused under the strict
        check), and each column cast to its feature type (an int column for a double feature
        is cast, naive times are UTC) — or SchemaError. Arrow, Polars and Parquet input
        becomes pandas here: hsfs 5.2's Python engine writes pandas frames."""
        where = f"insert into {self.name} v{self.version}"
        df = normalise(features, where)
        known = self.features
        if known:
            check_columns(df, [f.name for f in known], where)
        strict = reject_duplicate_keys(write_options, self.reject_duplicate_keys)
        repeats = check_keys(df, self._keys(), where, reject_duplicates=strict)
        if repeats:  # hsfs stores them as given (its online copy keeps the last per key)
            warnings.warn(duplicate_key_message(where, repeats, self._keys(), self.event_time),
                          DuplicateKeyWarning, stacklevel=3)
        if df.empty:
            return df  # nothing to cast; insert() writes nothing
        if known and not all(f.type in ARROW_TYPES for f in known):
            return df  # a type mlsys does not store (e.g. a decimal made outside mlsys): hsfs
        columns = [Column(f.name, f.type) for f in known] if known else None
        table, _ = to_arrow(df, columns, self.event_time, where)
        return table.to_pandas()

    def insert(self, features: Any, overwrite: bool = False,
               write_options: dict[str, Any] | None = None,
               validation_options: dict[str, Any] | None = None,
               *, operation: str = "upsert", wait: bool = False,
               ) -> tuple[Job, ValidationReport | None]:
        check_insert_operation(operation)
        df = self._checked_frame(features, write_options)
        if df.empty:  # nothing to write: no job, no commit, no report (as locally)
            return Job(name=f"{self.name}_{self.version}_insert", rows=0), None
        # hsfs validates with the group's suite in this process: refuse one that runs code
        # (the suite hsfs holds for the group; reading it makes no request)
        held = getattr(self.sdk, "expectation_suite", None)
        if held is not None and hasattr(held, "expectation_suite_name"):
            suite_from_sdk(held)
        wait = wait or self._ctx.config.wait_for_jobs
        options = insert_write_options(write_options, wait, self.online_enabled)
        try:
            job, ge_report = self._ctx.calls.run(
                f"insert {len(df)} rows into {self.name} v{self.version}", self.sdk.insert, df,
                overwrite=overwrite, operation=operation, write_options=options,
                validation_options=dict(validation_options or {}))
        except DataValidationError:
            report = self.get_latest_validation_report()
            detail = f": {report.describe_failures()}" if report is not None else ""
            raise DataValidationError(
                f"{len(df)} rows for {self.name} v{self.version} failed the STRICT expectation "
                f"suite; nothing was written{detail}", report) from None
        report = None
        if ge_report is not None:
            report = report_from_sdk(ge_report, feature_group=self.name, version=self.version,
                                     row_count=len(df), ingestion=IngestionResult.INGESTED)
        waited = bool(options.get("wait_for_job", False))
        name = str(getattr(job, "name", None) or f"{self.name}_{self.version}_insert")
        return Job(name=name, state="FINISHED" if waited or job is None else "RUNNING",
                   rows=len(df)), report

    # ------------------------------------------------------------------ reads
    def read(self, wallclock_time: TimeLike = None, online: bool = False,
             dataframe_type: str = "pandas",
             read_options: dict[str, Any] | None = None) -> Any:
        """hsfs reads pandas and Polars itself; an Arrow result is converted from pandas."""
        kind = check_dataframe_type(dataframe_type)
        if not self._saved():
            import pandas as pd

            return dataframes.from_pandas(pd.DataFrame(), kind)
        asked = dataframe_type if kind == "pandas" else dataframes.sdk_dataframe_type(kind)
        rows = self._ctx.calls.run(f"read {self._where}", self.sdk.read,
                                   wallclock_time=utc(wallclock_time, "wallclock_time"),
                                   online=online,
                                   dataframe_type=asked, read_options=read_options)
        return dataframes.from_sdk(rows, kind)

    def _query(self, select: str, implicit: Sequence[str] = (), **args: Any) -> Query:
        recipe = Recipe(self.sdk, select, tuple(args.items()), implicit=tuple(implicit))
        with self._ctx.calls.call(f"select from {self._where}"):
            recipe.build()  # building needs no request; a failure shows here, not at read
        return HopsworksQuery(recipe, self._ctx)

    def select_all(self, include_primary_key: bool = True,
                   include_event_time: bool = True) -> Query:
        return self._query("select_all", include_primary_key=include_primary_key,
                           include_event_time=include_event_time)

    def _known(self, features: Sequence[str]) -> list[str]:
        """Normalised names, each a feature of the group (hsfs only finds out at read)."""
        names = [feature_name(f) for f in features]
        known = [f.name for f in self.features]
        for n in names:
            if known and n not in known:
                raise NotFoundError(f"feature of {self.name} v{self.version}", n, known)
        return names

    def _keys(self) -> list[str]:
        return [*self.primary_key, *([self.event_time] if self.event_time else [])]

    def select(self, features: Sequence[str]) -> Query:
        """The named features plus the primary key and event time (for joins and splits),
        selected explicitly: hsfs would return only the named columns."""
        chosen = self._known(features)
        implicit = [k for k in self._keys() if k not in chosen]
        return self._query("select", implicit=implicit,
                           features=list(dict.fromkeys([*self._keys(), *chosen])))

    def select_except(self, features: Sequence[str] | None = None) -> Query:
        """:meth:`select` of every feature but the named ones, so an excluded key or event time
        stays only as a hidden join column, exactly as after a local ``select_except``."""
        dropped = set(self._known(features or []))
        return self.select([f.name for f in self.features if f.name not in dropped])

    def commit_details(self, wallclock_time: TimeLike = None,
                       limit: int | None = None) -> dict[int, dict[str, Any]]:
        """Hopsworks keys commits by their commit time in epoch milliseconds (not 1, 2, ...)."""
        if not self._saved():
            return {}
        raw = self._ctx.calls.run(f"read the commits of {self._where}", self.sdk.commit_details,
                                  wallclock_time=utc(wallclock_time, "wallclock_time"),
                                  limit=limit)
        out: dict[int, dict[str, Any]] = {}
        for commit_id, d in sorted(raw.items(), key=lambda kv: int(kv[0]), reverse=True):
            out[int(commit_id)] = {
                "committed_on": datetime.fromtimestamp(int(commit_id) / 1000, UTC),
                "rows_inserted": int(d.get("rowsInserted") or 0),
                "rows_updated": int(d.get("rowsUpdated") or 0),
                "rows_deleted": int(d.get("rowsDeleted") or 0),
                "operation": None,  # Hopsworks does not report it
            }
        return out

    # ------------------------------------------------------------------ validation
    def save_expectation_suite(self, expectation_suite: Any, run_validation: bool = True,
                               validation_ingestion_policy: str = "always",
                               overwrite: bool = False) -> ExpectationSuite:
        from mlsys.validation.suite_io import check_suite_columns, parse_suite

        suite = parse_suite(expectation_suite)
        check_suite_columns(suite, [f.name for f in self.features], self._where)
        policy = IngestionPolicy.parse(validation_ingestion_policy)
        ge_suite = to_ge_suite(suite)
        self._ctx.calls.run(f"attach suite {suite.name!r} to {self._where}",
                            self.sdk.save_expectation_suite, ge_suite,
                            run_validation=run_validation,
                            validation_ingestion_policy=policy.value.lower(),
                            overwrite=overwrite)
        return suite

    def _sdk_suite(self) -> Any:
        return self._ctx.calls.run(f"read the suite of {self._where}",
                                   self.sdk.get_expectation_suite, ge_type=False)

    def get_expectation_suite(self, ge_type: bool = False) -> ExpectationSuite | Any | None:
        found = self._sdk_suite()
        if found is None:
            return None
        suite = suite_from_sdk(found)
        return to_ge_suite(suite) if ge_type else suite

    @property
    def validation_ingestion_policy(self) -> str | None:
        found = self._sdk_suite()
        return None if found is None else str(found.validation_ingestion_policy).upper()

    def delete_expectation_suite(self) -> None:
        self._ctx.calls.run(f"detach the suite of {self._where}",
                            self.sdk.delete_expectation_suite)

    def validate(self, dataframe: pd.DataFrame | None = None, save_report: bool = False,
                 validation_options: dict[str, Any] | None = None,
                 ingestion_result: str = "UNKNOWN") -> ValidationReport:
        found = self._sdk_suite()
        if found is None:
            raise ExpectationSuiteError(
                f"{self._where} has no expectation suite; attach one with "
                "fg.save_expectation_suite(suite) first")
        suite_from_sdk(found)  # refuses a suite with arguments GE would run as code
        result = IngestionResult.parse(ingestion_result)
        df = None if dataframe is None else normalise(dataframe, "validate")
        sdk_report = self._ctx.calls.run(
            f"validate a frame against the suite of {self._where}", self.sdk.validate,
            dataframe=df, save_report=save_report, validation_options=validation_options or {},
            ingestion_result=result.value, ge_type=False)
        return report_from_sdk(sdk_report, feature_group=self.name, version=self.version,
                               row_count=0 if df is None else len(df), ingestion=result)

    def get_latest_validation_report(self, ge_type: bool = False,
                                     ) -> ValidationReport | Any | None:
        if not self._saved():
            return None
        found = self._ctx.calls.run(f"read the latest report of {self._where}",
                                    self.sdk.get_latest_validation_report, ge_type=False)
        if not found:
            return None
        report = report_from_sdk(found, feature_group=self.name, version=self.version)
        return to_ge_report(report) if ge_type else report

    def get_all_validation_reports(self, ge_type: bool = False) -> list[Any]:
        if not self._saved():
            return []
        found = self._ctx.calls.run(f"read the reports of {self._where}",
                                    self.sdk.get_all_validation_reports, ge_type=False)
        reports = [report_from_sdk(r, feature_group=self.name, version=self.version)
                   for r in found or []]
        reports.sort(key=lambda r: r.validation_time, reverse=True)
        return [to_ge_report(r) for r in reports] if ge_type else reports

    def delete(self, force: bool = False) -> None:
        # ``force`` is the embedded store's override of its in-use check; Hopsworks keeps its
        # own rules for groups that views read, so it is accepted and has no effect here
        if self._saved():
            self._ctx.calls.run(f"delete {self._where}", self.sdk.delete)
