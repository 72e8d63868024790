"""A local feature group: one Delta table per version, its schema and suite in the catalog.

Writers of one group serialise on an inter-process file lock held from the schema check to the
last catalog write, so concurrent inserts of distinct keys all land and a MERGE never meets a
conflicting commit. Readers take no lock: each read is one Delta snapshot.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

from mlsys.errors import (
    DuplicateKeyWarning,
    MlsysError,
    NotFoundError,
    StoreWriteError,
    UpkeepWarning,
)
from mlsys.names import feature_name
from mlsys.store.api import Feature, FeatureGroup, Job, RowPage, TimeLike
from mlsys.store.api.pages import check_page
from mlsys.store.local import (
    commits,
    maintenance,
    scan_filters,
    streaming,
    table_log,
    table_pages,
    tables,
)
from mlsys.store.local.catalog.records import GroupRecord
from mlsys.store.local.checksums import record_commits
from mlsys.store.local.context import LocalContext
from mlsys.store.local.damage import reading_table, table_damaged, writing_table
from mlsys.store.local.group_online import GroupOnline
from mlsys.store.local.group_state import GroupState
from mlsys.store.local.group_validation import GroupReports
from mlsys.store.local.locks import file_lock
from mlsys.store.local.online import OnlineStore
from mlsys.store.local.query import LocalQuery
from mlsys.store.local.reading import ReadContext, Window, empty_as, empty_frame
from mlsys.store.rules import dataframes, frames
from mlsys.store.rules.arguments import (
    check_dataframe_type,
    check_insert_operation,
    reject_duplicate_keys,
)
from mlsys.store.rules.times import to_utc
from mlsys.validation.types import (
    ExpectationSuite,
    IngestionPolicy,
    IngestionResult,
    ValidationReport,
)


class LocalFeatureGroup(FeatureGroup):
    """A feature group of the local backend (see :class:`mlsys.store.api.FeatureGroup`)."""

    def __init__(self, ctx: LocalContext, record: GroupRecord) -> None:
        self._ctx = ctx
        self._catalog = ctx.catalog
        self.id = record.id
        self.name = record.name
        self.version = record.version
        self.primary_key = list(record.primary_key)
        self.event_time = record.event_time
        self.description = record.description
        self.online_enabled = record.online_enabled
        self.reject_duplicate_keys = record.reject_duplicate_keys
        cfg = ctx.config
        self._path = cfg.table_dir(self.name, self.version)
        self._lock_path = cfg.table_lock(self.name, self.version)
        self._state = GroupState(ctx, self.id, self.name, self.version, tuple(self.primary_key),
                                 self.event_time, self._path, self._lock_path)
        self.reports = GroupReports(self._state)
        self._online = GroupOnline(self._state)

    def __repr__(self) -> str:
        return f"LocalFeatureGroup({self.name!r}, version={self.version})"

    def __getattr__(self, name: str) -> Feature:
        # hsfs lets users write fg.sepal_length for the feature; only for non-private names.
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.get_feature(name)
        except NotFoundError:
            raise AttributeError(f"{type(self).__name__} has no attribute or feature "
                                 f"{name!r}") from None

    @property
    def _where(self) -> str:
        return self._state.where

    @property
    def _key(self) -> str:
        return self._state.key

    @property
    def keys(self) -> list[str]:
        """The upsert key: primary key plus event time (when the group has one)."""
        return self._state.keys

    # -- catalog state (see ``GroupState``)
    def _record(self) -> GroupRecord:
        return self._state.record()

    def _columns(self, record: GroupRecord | None = None) -> list[frames.Column] | None:
        return self._state.columns(record)

    def _save_columns(self, columns: Sequence[frames.Column]) -> None:
        self._state.save_columns(columns)

    @property
    def features(self) -> list[Feature]:
        return [Feature(c.name, c.type, c.name in self.primary_key)
                for c in self._columns() or []]

    # -- the suite and reports: each delegates to ``self.reports``
    def save_expectation_suite(self, expectation_suite: Any, run_validation: bool = True,
                               validation_ingestion_policy: str = "always",
                               overwrite: bool = False) -> ExpectationSuite:
        """``overwrite`` is accepted for hsfs: a new suite always replaces the old one."""
        return self.reports.save_suite(expectation_suite, run_validation,
                                       validation_ingestion_policy,
                                       lambda: [f.name for f in self.features])

    def get_expectation_suite(self, ge_type: bool = False) -> ExpectationSuite | Any | None:
        return self.reports.suite_as(self.reports.suite(self._record()), ge_type)

    def delete_expectation_suite(self) -> None:
        self.reports.delete_suite()

    @property
    def validation_ingestion_policy(self) -> str | None:
        return self.reports.policy(self._record())

    def validate(self, dataframe: pd.DataFrame | None = None, save_report: bool = False,
                 validation_options: dict[str, Any] | None = None,
                 ingestion_result: str = "UNKNOWN") -> ValidationReport:
        """Validate ``dataframe`` (default: the group's rows) against the attached suite."""
        return self.reports.validate(self._record(), dataframe, self.read, save_report,
                                     ingestion_result)

    def get_latest_validation_report(self, ge_type: bool = False,
                                     ) -> ValidationReport | Any | None:
        reports = self.reports.latest_as(ge_type, limit=1)
        return reports[0] if reports else None

    def get_all_validation_reports(self, ge_type: bool = False) -> list[Any]:
        return self.reports.latest_as(ge_type)

    # -- writing
    def insert(self, features: Any, overwrite: bool = False,
               write_options: dict[str, Any] | None = None,
               validation_options: dict[str, Any] | None = None,
               *, operation: str = "upsert", wait: bool = False,
               ) -> tuple[Job, ValidationReport | None]:
        """Validate and upsert ``features``; see the contract in ``mlsys.store.api``.

        An empty frame (no rows) is a no-op: nothing is committed and the job has ``rows=0``
        (its columns are still checked when the schema is fixed). ``wait`` changes nothing:
        the write is done when this returns. Arrow, Polars and Parquet input is checked and
        written as Arrow; only a suite's validation sees it as pandas (a copy of the rows as
        they will be stored), since the suite's engine runs on pandas. A RecordBatchReader, a
        LazyFrame or Parquet files are streamed batch by batch into one commit
        (:mod:`~mlsys.store.local.streaming`), unless a suite runs or the group is online:
        then they are read whole first.
        """
        where = f"insert into {self._where}"
        check_insert_operation(operation)
        run_validation = bool((validation_options or {}).get("run_validation", True))
        source = dataframes.insert_stream(features, where)
        if source is not None:
            if not self.online_enabled and not (run_validation and self._validates()):
                try:
                    return streaming.insert(self._state, self.reports, source, overwrite,
                                            write_options, where, self._upkeep), None
                except streaming.ReplayWhole:  # warned already, in the stream
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", DuplicateKeyWarning)
                        return self.insert(source.whole(), overwrite, write_options,
                                           validation_options, operation=operation)
            features = source.whole()  # a suite or the online store needs the whole frame
        df = frames.normalise_frame(features, where)
        job = f"{self._key}_insert"
        with file_lock(self._lock_path, self._ctx.config.lock_timeout_s, self._where):
            record = self._record()
            columns = self._columns(record)
            if columns is not None:
                frames.check_columns(df, [c.name for c in columns], where)
            if len(df) == 0:
                return Job(job, rows=0), None
            strict = reject_duplicate_keys(write_options, record.reject_duplicate_keys)
            repeats = frames.check_keys(df, self.keys, where, reject_duplicates=strict)
            data, columns = frames.to_arrow(df, columns, self.event_time, where)
            suite = self.reports.suite(record)
            report = None
            if suite is not None and run_validation and record.run_validation:
                checked = df if isinstance(df, pd.DataFrame) else data.to_pandas()
                report = self.reports.run_suite(checked, suite)
                if not report.success and record.ingestion_policy == IngestionPolicy.STRICT:
                    raise self.reports.reject(report)
            with reading_table(self._path, self._where):
                table = tables.open_latest(self._path)  # opened once: a bucket's requests cost
            self.reports.restore(table)  # a writer that died after its commit left one behind
            before = None if table is None else table.version()
            ordered = tables.has_order(table)
            meta = self.reports.metadata(report)  # the report travels inside the commit
            if repeats:  # before the write: a warnings filter of "error" then writes nothing
                warnings.warn(frames.duplicate_key_message(where, repeats, self.keys,
                                                         self.event_time),
                              DuplicateKeyWarning, stacklevel=2)
            with writing_table(self._path, where):
                before, table = self._commit(data, table, overwrite, meta, ordered)
            version = table.version()
            try:
                report = self._after_commit(record, columns, data, before, table,
                                            overwrite, report)
            except Exception as err:
                raise StoreWriteError(
                    f"{where}: the rows committed as version {version}, but recording them "
                    f"afterwards failed ({type(err).__name__}: {err}); do not insert them again. "
                    "The online store will be rebuilt from the table and the validation report "
                    "restored from the commit on the next read or insert") from err
            self._upkeep(version, where, table)
        return Job(job, rows=len(df), commit_version=version), report

    def _upkeep(self, version: int, where: str, table: tables.DeltaTable | None = None) -> None:
        """Compact and checkpoint where due (see ``maintenance``); the compaction's files are
        recorded and the online store, whose rows it does not change, follows it."""
        try:
            done = maintenance.upkeep(self._path, version, table)
            if done.compacted_version is not None:
                record_commits(self._catalog, self.id, self._path, done.compacted_version)
                if self.online_enabled:
                    self.online_store().follow(version, done.compacted_version)
        except Exception as err:  # the insert itself is complete: say so, do not fail it
            warnings.warn(f"{where}: the rows committed as version {version}, but compacting "
                          f"the table afterwards failed ({type(err).__name__}: {err}); reads "
                          "are unaffected, run `mlsys gc` to compact it", UpkeepWarning,
                          stacklevel=3)

    def _validates(self) -> bool:
        """Whether an insert runs a suite (one is attached with run_validation on)."""
        record = self._record()
        return self.reports.suite(record) is not None and record.run_validation

    def _commit(self, data: pa.Table, latest: tables.DeltaTable | None, overwrite: bool,
                meta: dict[str, str] | None, ordered: bool,
                ) -> tuple[int | None, tables.DeltaTable]:
        """One Delta commit of ``data`` (create, overwrite or merge; with the ORDER column if
        ``ordered``) on ``latest`` (the table as the insert opened it; None: none yet), redone
        on a newer version when a writer on another machine committed first: the version it
        followed, the table at its own."""
        def once(before: int | None) -> tables.DeltaTable:
            stored = data
            if ordered:  # the lock (or a retry) makes the next version ours
                stored = tables.with_order(data, 0 if before is None else before + 1)
            if before is None:
                return tables.create(self._path, stored, self._key, meta)
            # the insert's snapshot on the first attempt; a retry opens the newer one
            table = latest if latest is not None and latest.version() == before else None
            if overwrite:
                return tables.overwrite(self._path, stored, meta, table)
            try:
                return tables.merge(self._path, stored, self.keys, meta, table)[0]
            except tables.RepeatedMatchError:  # only a frame with repeats gets here
                return tables.replace_keys(self._path, stored, self.keys, meta)

        before = None if latest is None else latest.version()
        return commits.retrying(self._path, self._where, before, once)

    def _after_commit(self, record: GroupRecord, columns: list[frames.Column], data: pa.Table,
                      before: int | None, table: tables.DeltaTable, overwrite: bool,
                      report: ValidationReport | None) -> ValidationReport | None:
        """What follows an insert's commit (``table``: the table at it): each step is redone
        by a later reader or writer if it fails (schema from the table, online rebuild, report
        from the commit, hashes)."""
        version = table.version()
        if record.features is None:
            self._save_columns(columns)
        record_commits(self._catalog, self.id, self._path, version, table)
        if self.online_enabled:
            self._online.after_commit(columns, data, before, version, replaced=overwrite)
        if report is not None:  # only now that the rows are committed
            report = self.reports.store(report, IngestionResult.INGESTED, version)
        return report

    # -- online store (the helper ``self._online``; see ``group_online``)
    def _check_online(self) -> None:
        if not self.online_enabled:
            raise MlsysError(f"{self._where} is not online-enabled; create it with "
                             "online_enabled=True (as a new version) to serve it online")

    def online_store(self, columns: Sequence[frames.Column] | None = None) -> OnlineStore:
        self._check_online()
        return self._online.store(columns or self._columns())

    @property
    def online_refresh_every(self) -> float | None:
        return self._ctx.config.online_refresh_every

    def ensure_online(self, look: bool = False) -> OnlineStore | None:
        """The online store, rebuilt from Delta first if it lags; None before any insert
        (see ``GroupOnline.ensure``)."""
        columns = self._columns()
        if columns is None:
            return None
        self._check_online()
        return self._online.ensure(columns, look)

    # -- reading
    def read(self, wallclock_time: TimeLike = None, online: bool = False,
             dataframe_type: str = "pandas",
             read_options: dict[str, Any] | None = None) -> Any:
        """All rows (as of ``wallclock_time``), or the online rows; empty before any insert.

        Polars and Arrow results are read as Arrow from Delta, never through pandas (online
        rows come from SQLite as pandas and are converted)."""
        kind = check_dataframe_type(dataframe_type)
        if online:
            store = self.ensure_online()
            rows = store.read_all() if store is not None else empty_frame(None)
            return dataframes.from_pandas(rows, kind)
        version = None
        when = to_utc(wallclock_time, "wallclock_time")
        with reading_table(self._path, self._where):
            if when is not None:
                version = table_log.version_at(self._path, when)
                if version is None:
                    return empty_as(self._columns(), kind)
            try:
                if kind == "pandas":
                    return tables.read(self._path, version)
                return dataframes.from_arrow(tables.read_arrow(self._path, version), kind)
            except tables.TableNotFoundError:
                if tables.exists(self._path) or self._record().features is None:
                    return empty_as(self._columns(), kind)
                raise  # rows were inserted, yet the table is gone: damage, not an empty group

    def read_page(self, offset: int = 0, limit: int = 50, commit: int | None = None) -> RowPage:
        """One page of ``read()`` at Delta version ``commit``, reading only that page's rows."""
        check_page(offset, limit)
        if commit is not None and (isinstance(commit, bool) or not isinstance(commit, int)):
            raise NotFoundError(f"commit of {self._where}", repr(commit),
                                [str(v) for v in self.commit_details(limit=10)])
        if not tables.exists(self._path):
            if commit is not None:
                raise NotFoundError(f"commit of {self._where}", str(commit), [])
            return RowPage(empty_frame(self._columns()), offset, limit, 0, None)
        try:
            rows, total, version = table_pages.read_page(self._path, commit, offset, limit)
        except (tables.DeltaError, OSError):  # no such version, or its files vacuumed (gc)
            raise NotFoundError(f"commit of {self._where}", str(commit),
                                [str(v) for v in self.commit_details(limit=10)]) from None
        return RowPage(rows, offset, limit, total, version)

    def read_columns(self, columns: Sequence[str], ctx: ReadContext,
                     window: Window = (None, None), rows: Any = None) -> pd.DataFrame:
        """``columns`` as a query run asks for them (pinned version, time travel, online);
        an offline read scans only the rows whose event time is in ``window`` and that the
        pyarrow filter ``rows`` keeps (the query filters exactly afterwards)."""
        rows = scan_filters.all_of([tables.time_window(self.event_time, *window), rows])
        if ctx.online:
            store = self.ensure_online()
            return store.read_all()[list(columns)] if store else empty_frame(None, columns)
        if ctx.versions is not None:
            if self._key not in ctx.versions:
                raise NotFoundError("recorded table version", self._key, list(ctx.versions))
            version = ctx.versions[self._key]
            if version is None:
                return empty_frame(self._columns(), columns)
            table = tables.recorded_snapshot(self._path, self._where, version,
                                             (ctx.expected_ids or {}).get(self._key))
            ctx.read[self._key] = version
            with reading_table(self._path, self._where):
                return tables.read_snapshot(table, columns, rows)
        with reading_table(self._path, self._where):
            if ctx.wallclock is not None:
                version = table_log.version_at(self._path, ctx.wallclock)
                snapshot = None if version is None else tables.open_table(self._path, version)
            else:  # the latest snapshot, opened once
                snapshot = tables.open_latest(self._path)
                version = None if snapshot is None else snapshot.version()
            ctx.read[self._key] = version
            if snapshot is None:
                return empty_frame(self._columns(), columns)
            ctx.ids[self._key] = tables.table_id(snapshot)
            df = tables.read_snapshot(snapshot, columns, rows)
            if ctx.exclude_until is not None:
                old = table_log.version_at(self._path, ctx.exclude_until)
                if old is not None:  # only rows written (inserted or changed) after it
                    before = tables.read(self._path, old, columns).drop_duplicates()
                    marked = df.merge(before.assign(__mlsys_old=True), on=list(columns),
                                      how="left")
                    df = df.loc[marked["__mlsys_old"].isna().to_numpy()]
        return df

    def select_all(self, include_primary_key: bool = True,
                   include_event_time: bool = True) -> LocalQuery:
        exclude = [] if include_primary_key else list(self.primary_key)
        if not include_event_time and self.event_time:
            exclude.append(self.event_time)
        return LocalQuery(self, None, exclude)

    def _known(self, names: Sequence[str]) -> list[str]:
        if isinstance(names, str):
            names = [names]
        wanted = [feature_name(n) for n in names]
        known = [f.name for f in self.features]
        missing = [n for n in wanted if known and n not in known]
        if missing:
            raise NotFoundError(f"feature of {self._where}", ", ".join(missing), known)
        return wanted

    def select(self, features: Sequence[str]) -> LocalQuery:
        chosen = self._known(features)
        implicit = [k for k in self.keys if k not in chosen]
        return LocalQuery(self, list(dict.fromkeys([*self.keys, *chosen])), implicit=implicit)

    def select_except(self, features: Sequence[str] | None = None) -> LocalQuery:
        dropped = set(self._known(features or []))
        return self.select([f.name for f in self.features if f.name not in dropped])

    def commit_details(self, wallclock_time: TimeLike = None,
                       limit: int | None = None) -> dict[int, dict[str, Any]]:
        if not tables.exists(self._path):
            if self._record().features is not None:  # rows were inserted: damage, not empty
                raise table_damaged(self._path, self._where,
                                    FileNotFoundError("no Delta log (_delta_log) found"))
            return {}
        return table_log.commit_details(self._path, self._where, wallclock_time, limit)

    def delete(self, force: bool = False) -> None:
        """Drop the group, its data, suite and reports, crash-safely (see ``deletes``).

        A group that feature views read is refused with an :class:`~mlsys.errors.InUseError`
        naming them (their recorded training datasets would silently stop reading), unless
        ``force=True``.
        """
        from mlsys.store.local.deletes import delete_group

        self._ctx.online.forget(self.name, self.version)  # its connection closes first
        delete_group(self._ctx.config, self._catalog, self.id, force)
