"""The feature store contract: feature groups, queries, feature views and the store itself.

Only abstract classes live here; the argument and frame rules both backends apply are in
:mod:`mlsys.store.rules`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from mlsys.errors import NotFoundError
from mlsys.names import feature_name
from mlsys.store.api.pages import check_page, page_of
from mlsys.store.api.types import (
    Feature,
    Filter,
    Job,
    Logic,
    RowPage,
    TimeLike,
    TrainingDatasetInfo,
)

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.validation.types import ExpectationSuite, ValidationReport


class Query(ABC):
    """A lazy selection of features from one feature group, optionally joined with others.

    Nothing is read until :meth:`read`. Queries are immutable: every method returns a new query.
    """

    @abstractmethod
    def read(self, online: bool = False, dataframe_type: str = "pandas",
             read_options: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run the query and return a DataFrame (one row per row of the left group).

        ``online=True`` reads the online store (latest row per primary key) where all groups are
        online-enabled. ``dataframe_type`` is "pandas" (or hsfs's "default"), "polars" or
        "pyarrow" (see :mod:`mlsys.store.rules.dataframes`).

        Raises: InvalidArgumentError (another ``dataframe_type``, e.g. "spark"),
        MissingExtraError ("polars" without Polars installed).
        """

    @abstractmethod
    def join(self, sub_query: Query, on: Sequence[str] | None = None,
             left_on: Sequence[str] | None = None, right_on: Sequence[str] | None = None,
             join_type: Literal["inner", "left", "right", "full", "outer"] = "left",
             prefix: str | None = None) -> Query:
        """Join another group's query on keys (default: the right group's primary key).

        When both sides have an event time the join is point-in-time correct, as in Hopsworks:
        each left row gets the latest right row whose event time is <= the left row's event time.
        Clashing feature names from the right get ``prefix`` (required on a clash).

        Raises: InvalidArgumentError (unknown ``join_type``, ``on`` with ``left_on``/``right_on``,
        unequal key lists: an ArgumentSchemaError), SchemaError (clashing names, no prefix).
        """

    @abstractmethod
    def filter(self, f: Filter | Logic) -> Query:
        """Keep the rows that satisfy ``f`` (applied to the group that owns the features).

        Raises: NotFoundError (a feature the query lacks), InvalidArgumentError (not a filter,
        or a value of the wrong type: an ArgumentSchemaError locally)."""

    @abstractmethod
    def as_of(self, wallclock_time: TimeLike = None, exclude_until: TimeLike = None) -> Query:
        """Read every group as it was at ``wallclock_time`` (time travel on commits).

        Raises: InvalidArgumentError (not a point in time: an ArgumentSchemaError)."""

    @property
    @abstractmethod
    def features(self) -> list[Feature]:
        """The features the query returns, in order."""

    def show(self, n: int) -> pd.DataFrame:
        """The first ``n`` rows.

        Raises: as :meth:`read`."""
        return self.read().head(n)


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


class FeatureView(ABC):
    """A named selection of features (a query) with labels, for training and serving.

    Training datasets are recorded: ``train_test_split`` stores which primary keys went to which
    side, so ``get_train_test_split(version)`` returns exactly the same frames later.
    """

    name: str
    version: int
    labels: list[str]
    description: str

    @property
    @abstractmethod
    def query(self) -> Query:
        """The query the view was created from."""

    @property
    @abstractmethod
    def features(self) -> list[Feature]:
        """The features the view returns (labels included)."""

    @property
    @abstractmethod
    def primary_keys(self) -> list[str]:
        """The primary key of the view's left feature group."""

    @abstractmethod
    def train_test_split(self, test_size: float | None = None, description: str = "",
                         extra_filter: Filter | Logic | None = None,
                         read_options: dict[str, Any] | None = None,
                         primary_key: bool = False, event_time: bool = False,
                         seed: int | None = None, stratify: bool = False, **kwargs: Any,
                         ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Split the view's data at random into ``X_train, X_test, y_train, y_test`` and record it
        as a new training-dataset version (see :meth:`get_last_accessed_training_dataset`).

        mlsys extensions: ``seed`` makes the split reproducible; ``stratify=True`` keeps the label
        proportions on both sides. ``primary_key`` / ``event_time`` add those columns to X.
        The same seed on the same rows picks the same rows on every backend (one canonical row
        order, :mod:`mlsys.store.rules.splits`).

        Raises: InvalidArgumentError (``test_size`` not in (0, 1), an unknown keyword, a
        ``dataframe_type`` other than pandas, polars or pyarrow: an ArgumentSchemaError where
        mlsys used to raise SchemaError), MissingExtraError ("polars" without Polars),
        SchemaError (no labels, fewer than 2 rows, a class too small to stratify).
        """

    @abstractmethod
    def get_train_test_split(self, training_dataset_version: int,
                             read_options: dict[str, Any] | None = None,
                             primary_key: bool = False, event_time: bool = False,
                             dataframe_type: str = "default",
                             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Exactly the split recorded as ``training_dataset_version`` (same rows, same order).

        Raises: NotFoundError (no such version), InvalidArgumentError (a ``training_data``
        version, or a bad ``dataframe_type``), IntegrityError (recorded rows are gone)."""

    @abstractmethod
    def training_data(self, start_time: TimeLike = None, end_time: TimeLike = None,
                      description: str = "", extra_filter: Filter | Logic | None = None,
                      read_options: dict[str, Any] | None = None,
                      primary_key: bool = False, event_time: bool = False,
                      dataframe_type: str = "default",
                      ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """All the view's data as ``X, y`` (y None without labels), recorded as a new version.

        This and the view's other reads return ``dataframe_type`` "pandas" ("default"),
        "polars" or "pyarrow"; a view's rows are joined in pandas, then converted.

        Raises: InvalidArgumentError (bad ``dataframe_type`` or times)."""

    @abstractmethod
    def get_last_accessed_training_dataset(self) -> int | None:
        """The training-dataset version last created or read through this object.

        Raises: no error of its own."""

    @abstractmethod
    def get_training_datasets(self) -> list[TrainingDatasetInfo]:
        """Every recorded training-dataset version.

        Raises: no error of its own."""

    @abstractmethod
    def get_batch_data(self, start_time: TimeLike = None, end_time: TimeLike = None,
                       read_options: dict[str, Any] | None = None,
                       primary_key: bool = False, event_time: bool = False,
                       dataframe_type: str = "default",
                       ) -> pd.DataFrame:
        """The view's features (labels excluded) for rows whose event time is in
        ``[start_time, end_time)``; for batch inference.

        Raises: InvalidArgumentError (bad ``dataframe_type`` or times; times on a view without
        an event time)."""

    @abstractmethod
    def init_serving(self, training_dataset_version: int | None = None,
                     **kwargs: Any) -> None:
        """Prepare online lookups (``get_feature_vector``); needs online-enabled groups.

        Raises: NotFoundError (nothing online yet), MlsysError (a group is not online)."""

    @abstractmethod
    def get_feature_vector(self, serving_keys: dict[str, Any] | None = None,
                           return_type: str = "list", *, entry: dict[str, Any] | None = None,
                           **kwargs: Any) -> list[Any] | pd.DataFrame:
        """The latest features (labels excluded) for one primary key, ``{"id": 3}``.

        The key is ``serving_keys`` (hsfs 5's name) or ``entry`` (its earlier name). An unknown
        key raises NotFoundError (hsfs raises too unless ``allow_missing``).

        Raises: NotFoundError (unknown key), InvalidArgumentError (no key, both names, a key
        lacking a primary-key column, an unknown ``return_type``).
        """

    @abstractmethod
    def get_feature_vectors(self, serving_keys: list[dict[str, Any]] | None = None,
                            return_type: str = "list", *,
                            entry: list[dict[str, Any]] | None = None,
                            **kwargs: Any) -> list[list[Any]] | pd.DataFrame:
        """``get_feature_vector`` for many keys, in the same order.

        Raises: as :meth:`get_feature_vector`."""

    @abstractmethod
    def delete(self) -> None:
        """Drop the view and its recorded training datasets.

        Raises: no error of its own."""


class FeatureStore(ABC):
    """The project's feature store: creates and finds feature groups and views."""

    name: str

    @abstractmethod
    def get_or_create_feature_group(self, name: str, version: int,
                                    primary_key: Sequence[str] | None = None,
                                    event_time: str | None = None, description: str = "",
                                    online_enabled: bool = False,
                                    expectation_suite: Any = None,
                                    **kwargs: Any) -> FeatureGroup:
        """The group ``name`` v``version``, created on first use.

        ``version`` is required (an int >= 1). Creating needs a non-empty ``primary_key``.
        A suite given here is attached with the ALWAYS policy (as in hsfs); call
        ``save_expectation_suite(..., "strict")`` for STRICT. ``reject_duplicate_keys=True``
        (an mlsys addition) turns on the strict duplicate-key check for every insert; the local
        backend stores it with the group (given for an existing group, it replaces the stored
        setting), the Hopsworks backend keeps it on the returned object.

        Raises: InvalidNameError (bad name or version), SchemaError (no primary key for a new
        group, event time inside the key, keys that differ from an existing group's).
        """

    @abstractmethod
    def get_feature_group(self, name: str, version: int | None = None) -> FeatureGroup:
        """An existing group; unknown names or versions raise NotFoundError listing what exists.
        ``version=None`` means version 1, as in hsfs.

        Raises: InvalidNameError (bad name or version), NotFoundError (unknown group)."""

    @abstractmethod
    def get_feature_groups(self, name: str | None = None) -> list[FeatureGroup]:
        """Every version of ``name`` (or every group when None).

        Raises: InvalidNameError (bad name)."""

    @abstractmethod
    def get_or_create_feature_view(self, name: str, version: int, query: Query,
                                   labels: Sequence[str] | None = None,
                                   description: str = "", **kwargs: Any) -> FeatureView:
        """The view ``name`` v``version``, created from ``query`` on first use.

        Raises: InvalidNameError (bad name or version), InvalidArgumentError (a query of
        another store), NotFoundError (a label the query lacks)."""

    @abstractmethod
    def get_feature_view(self, name: str, version: int | None = None) -> FeatureView:
        """An existing view; unknown ones raise NotFoundError listing what exists.

        Raises: InvalidNameError (bad name or version), NotFoundError (unknown view)."""

    @abstractmethod
    def get_feature_views(self, name: str | None = None) -> list[FeatureView]:
        """Every version of ``name`` (or every view when None).

        Raises: InvalidNameError (bad name)."""


