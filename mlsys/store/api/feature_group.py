"""The feature group contract: versioned, validated, upserted rows with time travel."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlsys.errors import NotFoundError
from mlsys.names import feature_name
from mlsys.store.api.pages import check_page, page_of
from mlsys.store.api.query import Query
from mlsys.store.api.types import (
    Feature,
    Filter,
    Job,
    Logic,
    RowPage,
    TimeLike,
)

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.validation.types import ExpectationSuite, ValidationReport


class FeatureGroup(ABC):
    """A versioned table of features keyed by a primary key (and event time).

    Contract (both backends):

    - Feature names are normalised as Hopsworks does: stripped, lower-cased, spaces to ``_``.
    - ``insert`` upserts on primary key + event time (as Hopsworks' MERGE does): a row whose key
      already exists replaces it; others are appended. It is synchronous on the local backend, so
      read-after-write holds; the Hopsworks backend waits for the job for the same effect.
    - The first insert fixes the schema. Later frames must carry exactly the same features, with
      compatible types; a missing or extra feature, a wrong dtype, or a null primary key
      raises :class:`~mlsys.errors.SchemaError` and writes nothing.
    - Rows of one frame that share a primary key (+ event time) are stored as given, as
      Hopsworks 5.2 does, with one :class:`~mlsys.errors.DuplicateKeyWarning` naming the count;
      online reads keep the last of them. The strict check (opt-in: write option
      ``{"reject_duplicate_keys": True}``, or ``reject_duplicate_keys=True`` when the group is
      created) raises SchemaError instead and writes nothing. mlsys never drops rows silently.
    - Offline reads of the local backend return the oldest commit first and the rows of one
      insert in insert order; that order is a convenience, not a Hopsworks guarantee.
    - With an expectation suite attached, every insert is validated with Great Expectations.
      STRICT: a failing frame raises :class:`~mlsys.errors.DataValidationError`, nothing is
      written, and the report is stored as REJECTED. ALWAYS: the rows land and the report is
      stored as INGESTED with its failures.
    - A write is atomic: readers see the table before or after it, never half of it, and a
      crashed write leaves no trace.
    """

    name: str
    version: int
    primary_key: list[str]
    event_time: str | None
    description: str
    online_enabled: bool
    reject_duplicate_keys: bool  # the strict duplicate-key check (opt-in, see above)

    @property
    @abstractmethod
    def features(self) -> list[Feature]:
        """The schema, or ``[]`` before the first insert."""

    def get_feature(self, name: str) -> Feature:
        """The feature called ``name`` (normalised); unknown names list the known ones.

        Raises: NotFoundError (unknown feature), InvalidNameError (not a name)."""
        wanted = feature_name(name)
        for f in self.features:
            if f.name == wanted:
                return f
        raise NotFoundError(f"feature of {self.name} v{self.version}", wanted,
                            [f.name for f in self.features])

    def __getitem__(self, name: str) -> Feature:
        return self.get_feature(name)

    @abstractmethod
    def insert(self, features: Any, overwrite: bool = False,
               write_options: dict[str, Any] | None = None,
               validation_options: dict[str, Any] | None = None,
               *, operation: str = "upsert", wait: bool = False,
               ) -> tuple[Job, ValidationReport | None]:
        """Validate and upsert ``features``; return ``(job, report)`` (report None without suite).

        ``features`` is a pandas DataFrame, a ``pyarrow.Table`` / ``RecordBatchReader``, a Polars
        ``DataFrame`` / ``LazyFrame``, or the path (or a list of paths) of Parquet files; all are
        checked by the same rules. A suite runs on pandas (non-pandas input is converted for the
        suite only; every expectation runs).

        ``overwrite=True`` replaces the whole table with the frame (one atomic commit).
        ``validation_options={"run_validation": False}`` skips the suite, as in hsfs.
        ``operation`` is hsfs's ``"upsert"`` or ``"insert"``; groups are keyed, so both upsert.
        ``wait=True`` waits for the write to finish (local writes always have).

        Raises: SchemaError (columns, dtypes or keys do not fit; not a frame, or a Parquet path
        that is missing or not Parquet), InvalidArgumentError (unknown ``operation`` or write
        option value), DataValidationError (a STRICT suite failed).
        """

    @abstractmethod
    def read(self, wallclock_time: TimeLike = None, online: bool = False,
             dataframe_type: str = "pandas",
             read_options: dict[str, Any] | None = None) -> pd.DataFrame:
        """All rows, as of ``wallclock_time`` if given (time travel), else the latest commit,
        as ``dataframe_type`` "pandas" ("default"), "polars" or "pyarrow".

        Raises: InvalidArgumentError (another ``dataframe_type``, or a ``wallclock_time`` that
        is not a point in time), MissingExtraError ("polars" without Polars installed)."""

    @abstractmethod
    def select_all(self, include_primary_key: bool = True,
                   include_event_time: bool = True) -> Query:
        """A query over every feature.

        Raises: no error of its own."""

    @abstractmethod
    def select(self, features: Sequence[str]) -> Query:
        """A query over the named features (primary key and event time are kept for joins).

        Raises: NotFoundError (a feature the group lacks), InvalidNameError (not a name)."""

    @abstractmethod
    def select_except(self, features: Sequence[str] | None = None) -> Query:
        """``select`` of every feature except the named ones: an excluded primary key or event
        time is not returned (nor a model input in a feature view) but still joins and keys
        the rows, as in hsfs.

        Raises: NotFoundError (a feature the group lacks), InvalidNameError (not a name)."""

    def filter(self, f: Filter | Logic) -> Query:
        """``select_all().filter(f)``.

        Raises: as :meth:`Query.filter`."""
        return self.select_all().filter(f)

    def as_of(self, wallclock_time: TimeLike = None, exclude_until: TimeLike = None) -> Query:
        """``select_all().as_of(...)``.

        Raises: as :meth:`Query.as_of`."""
        return self.select_all().as_of(wallclock_time, exclude_until)

    @abstractmethod
    def commit_details(self, wallclock_time: TimeLike = None,
                       limit: int | None = None) -> dict[int, dict[str, Any]]:
        """Commit history: ``{commit_version: {"committed_on", "rows_inserted", "rows_updated",
        "rows_deleted", "operation"}}``, newest first.

        Raises: InvalidArgumentError (a ``wallclock_time`` that is not a point in time)."""

    def read_page(self, offset: int = 0, limit: int = 50, commit: int | None = None) -> RowPage:
        """Rows ``offset`` .. ``offset + limit`` of ``read()`` as of ``commit`` (a key of
        ``commit_details()``; None: the latest), for paging through a large group (an mlsys
        addition). ``limit=0`` only counts the rows (``total_rows``). This default reads the
        group at the commit's time and slices it; the local backend overrides it to read only
        the page.

        Raises: InvalidArgumentError (a negative offset, a limit outside 0..PAGE_LIMIT_MAX),
        NotFoundError (an unknown commit)."""
        check_page(offset, limit)
        if commit is None:
            return page_of(self.read(), offset, limit, next(iter(self.commit_details(limit=1)),
                                                            None))
        when = self.commit_time(commit)
        return page_of(self.read(wallclock_time=when), offset, limit, commit)

    def commit_time(self, commit: int) -> Any:
        """When ``commit`` (a key of ``commit_details()``) was made, a UTC datetime to give
        ``read(wallclock_time=...)``; an unknown commit is a NotFoundError listing recent ones
        (an mlsys addition).

        Raises: NotFoundError (an unknown commit)."""
        from mlsys.errors import NotFoundError

        commits = self.commit_details()
        if commit not in commits:
            raise NotFoundError(f"commit of {self.name} v{self.version}", str(commit),
                                [str(c) for c in list(commits)[:10]])
        return commits[commit]["committed_on"]

    # -- data validation
    @abstractmethod
    def save_expectation_suite(self, expectation_suite: Any, run_validation: bool = True,
                               validation_ingestion_policy: str = "always",
                               overwrite: bool = False) -> ExpectationSuite:
        """Attach a suite: a GE 1.x ``ExpectationSuite``, its dict, its JSON text or a path to it.

        An unsupported format or unknown expectation raises ExpectationSuiteError.

        Raises: ExpectationSuiteError (bad suite), InvalidArgumentError (unknown policy).
        """

    @abstractmethod
    def get_expectation_suite(self, ge_type: bool = False) -> ExpectationSuite | Any | None:
        """The attached suite (a GE object when ``ge_type``), or None.

        Raises: ExpectationSuiteError (a stored suite mlsys cannot read)."""

    @abstractmethod
    def delete_expectation_suite(self) -> None:
        """Detach the suite; later inserts are not validated.

        Raises: no error of its own (no suite is a no-op)."""

    @abstractmethod
    def validate(self, dataframe: pd.DataFrame | None = None, save_report: bool = False,
                 validation_options: dict[str, Any] | None = None,
                 ingestion_result: str = "UNKNOWN") -> ValidationReport:
        """Validate ``dataframe`` (default: the group's data) against the attached suite.

        Raises: ExpectationSuiteError (no suite attached), SchemaError (not a frame)."""

    @abstractmethod
    def get_latest_validation_report(self, ge_type: bool = False,
                                     ) -> ValidationReport | Any | None:
        """The newest stored report, or None; with ``ge_type``, as GE's own result object.

        Raises: no error of its own."""

    @abstractmethod
    def get_all_validation_reports(self, ge_type: bool = False) -> list[Any]:
        """Every stored report, newest first; with ``ge_type``, as GE's own result objects.

        Raises: no error of its own."""

    @property
    def validation_ingestion_policy(self) -> str | None:
        """"ALWAYS" / "STRICT", or None when no suite is attached."""
        return None

    @abstractmethod
    def delete(self, force: bool = False) -> None:
        """Drop the group, its data, suite and reports.

        The local backend refuses while feature views read the group (``InUseError`` naming
        them) unless called as ``delete(force=True)``, and is crash-safe: a delete killed
        mid-way is finished when the store is next opened.

        Raises: InUseError (local, views read the group); otherwise no error of its own (a
        group never written is a no-op on Hopsworks)."""


__all__ = ["FeatureGroup"]
