"""The store contract: Hopsworks-shaped abstract classes that every backend implements.

The docstrings here are the contract. Names, arguments and semantics follow the Hopsworks SDK
(``hopsworks`` / ``hsfs`` / ``hsml``) so that pipeline code written for Hopsworks runs on any
backend after changing only the login line. Where mlsys deliberately differs, the docstring says so.
Backends live in ``mlsys.store.<name>`` and are chosen by short name (see ``mlsys.store``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.validation.report import ExpectationSuite, ValidationReport

FilterOp = Literal["<", "<=", ">", ">=", "==", "!=", "in", "like"]

TimeLike = str | int | datetime | date | None
"""A point in time as Hopsworks accepts it: datetime, date, epoch milliseconds, or
``"%Y-%m-%d"`` / ``"%Y-%m-%d %H:%M:%S"`` strings (UTC when no zone is given)."""


# --------------------------------------------------------------------------- small named types


@dataclass(frozen=True)
class Feature:
    """A feature (column) of a feature group: its normalised name and type.

    Comparison operators build :class:`Filter` objects, as in hsfs:
    ``fg.filter(fg.sepal_length > 5)`` or ``fg.filter((fg["a"] >= 1) & (fg["b"] == "x"))``.
    """

    name: str
    type: str  # an Arrow/Delta type name, e.g. "double", "bigint", "string", "timestamp"
    primary: bool = False
    description: str = ""

    def _cmp(self, op: FilterOp, value: Any) -> Filter:
        return Filter(self.name, op, value)

    def __lt__(self, v: Any) -> Filter:
        return self._cmp("<", v)

    def __le__(self, v: Any) -> Filter:
        return self._cmp("<=", v)

    def __gt__(self, v: Any) -> Filter:
        return self._cmp(">", v)

    def __ge__(self, v: Any) -> Filter:
        return self._cmp(">=", v)

    def __eq__(self, v: Any) -> Filter:  # type: ignore[override]
        return self._cmp("==", v)

    def __ne__(self, v: Any) -> Filter:  # type: ignore[override]
        return self._cmp("!=", v)

    def isin(self, values: Sequence[Any]) -> Filter:
        return Filter(self.name, "in", tuple(values))

    def like(self, pattern: str) -> Filter:
        return Filter(self.name, "like", pattern)

    __hash__ = object.__hash__


@dataclass(frozen=True)
class Filter:
    """``feature <op> value``; combine with ``&`` and ``|`` into a :class:`Logic`."""

    feature: str
    op: FilterOp
    value: Any

    def __and__(self, other: Filter | Logic) -> Logic:
        return Logic("AND", self, other)

    def __or__(self, other: Filter | Logic) -> Logic:
        return Logic("OR", self, other)


@dataclass(frozen=True)
class Logic:
    """Two filters joined by AND / OR."""

    type: Literal["AND", "OR"]
    left: Filter | Logic
    right: Filter | Logic

    def __and__(self, other: Filter | Logic) -> Logic:
        return Logic("AND", self, other)

    def __or__(self, other: Filter | Logic) -> Logic:
        return Logic("OR", self, other)


@dataclass(frozen=True)
class Job:
    """What ``insert`` returns first (hsfs returns a materialisation job).

    Local inserts are synchronous, so the job is already ``FINISHED`` when returned.
    """

    name: str
    state: Literal["FINISHED", "FAILED", "RUNNING"] = "FINISHED"
    rows: int = 0
    commit_version: int | None = None  # the table version the insert created, if any

    def wait_for_completion(self, **_: Any) -> Job:  # hsfs name; a no-op for finished jobs
        return self


@dataclass(frozen=True)
class ColumnSchema:
    """One column of a model schema."""

    name: str
    type: str


@dataclass(frozen=True)
class Schema:
    """A columnar schema as in ``hsml.schema.Schema``; build it with :meth:`from_frame`."""

    columns: tuple[ColumnSchema, ...]

    @classmethod
    def from_frame(cls, obj: Any) -> Schema:
        """A schema from a DataFrame, Series (one column) or a list of names."""
        import pandas as pd

        if isinstance(obj, pd.Series):
            return cls((ColumnSchema(str(obj.name), str(obj.dtype)),))
        if isinstance(obj, pd.DataFrame):
            return cls(tuple(ColumnSchema(str(c), str(t)) for c, t in obj.dtypes.items()))
        return cls(tuple(ColumnSchema(str(c), "unknown") for c in obj))

    def to_dict(self) -> dict[str, Any]:
        return {"columnar_schema": [{"name": c.name, "type": c.type} for c in self.columns]}


@dataclass(frozen=True)
class ModelSchema:
    """Inputs and outputs of a model, as ``hsml.model_schema.ModelSchema``."""

    input_schema: Schema | None = None
    output_schema: Schema | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_schema": self.input_schema.to_dict() if self.input_schema else None,
            "output_schema": self.output_schema.to_dict() if self.output_schema else None,
        }


@dataclass(frozen=True)
class TrainingDatasetInfo:
    """A recorded training dataset version of a feature view (what made a split reproducible)."""

    version: int
    description: str
    test_size: float | None
    seed: int | None
    stratify: bool
    row_count: int
    created: datetime
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- feature store


class Query(ABC):
    """A lazy selection of features from one feature group, optionally joined with others.

    Nothing is read until :meth:`read`. Queries are immutable: every method returns a new query.
    """

    @abstractmethod
    def read(self, online: bool = False, dataframe_type: str = "pandas",
             read_options: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run the query and return a pandas DataFrame (one row per row of the left group).

        ``online=True`` reads the online store (latest row per primary key) where all groups are
        online-enabled.
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
        """

    @abstractmethod
    def filter(self, f: Filter | Logic) -> Query:
        """Keep the rows that satisfy ``f`` (applied to the group that owns the features)."""

    @abstractmethod
    def as_of(self, wallclock_time: TimeLike = None, exclude_until: TimeLike = None) -> Query:
        """Read every group as it was at ``wallclock_time`` (time travel on commits)."""

    @property
    @abstractmethod
    def features(self) -> list[Feature]:
        """The features the query returns, in order."""

    def show(self, n: int) -> pd.DataFrame:
        """The first ``n`` rows."""
        return self.read().head(n)


class FeatureGroup(ABC):
    """A versioned table of features keyed by a primary key (and event time).

    Contract (both backends):

    - Feature names are normalised as Hopsworks does: stripped, lower-cased, spaces to ``_``.
    - ``insert`` upserts on primary key + event time (as Hopsworks' MERGE does): a row whose key
      already exists replaces it; others are appended. It is synchronous on the local backend, so
      read-after-write holds; the Hopsworks backend waits for the job for the same effect.
    - The first insert fixes the schema. Later frames must carry exactly the same features, with
      compatible types; a missing or extra feature, a wrong dtype, or a null / duplicate primary
      key within one frame raises :class:`~mlsys.errors.SchemaError` and writes nothing.
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

    @property
    @abstractmethod
    def features(self) -> list[Feature]:
        """The schema, or ``[]`` before the first insert."""

    def get_feature(self, name: str) -> Feature:
        """The feature called ``name`` (normalised); unknown names list the known ones."""
        from mlsys.errors import NotFoundError
        from mlsys.names import feature_name

        wanted = feature_name(name)
        for f in self.features:
            if f.name == wanted:
                return f
        raise NotFoundError(f"feature of {self.name} v{self.version}", wanted,
                            [f.name for f in self.features])

    def __getitem__(self, name: str) -> Feature:
        return self.get_feature(name)

    @abstractmethod
    def insert(self, features: pd.DataFrame, overwrite: bool = False,
               write_options: dict[str, Any] | None = None,
               validation_options: dict[str, Any] | None = None,
               ) -> tuple[Job, ValidationReport | None]:
        """Validate and upsert ``features``; return ``(job, report)`` (report None without suite).

        ``overwrite=True`` replaces the whole table with the frame (one atomic commit).
        ``validation_options={"run_validation": False}`` skips the suite, as in hsfs.
        """

    @abstractmethod
    def read(self, wallclock_time: TimeLike = None, online: bool = False,
             dataframe_type: str = "pandas",
             read_options: dict[str, Any] | None = None) -> pd.DataFrame:
        """All rows, as of ``wallclock_time`` if given (time travel), else the latest commit."""

    @abstractmethod
    def select_all(self, include_primary_key: bool = True,
                   include_event_time: bool = True) -> Query:
        """A query over every feature."""

    @abstractmethod
    def select(self, features: Sequence[str]) -> Query:
        """A query over the named features (primary key and event time are kept for joins)."""

    @abstractmethod
    def select_except(self, features: Sequence[str] | None = None) -> Query:
        """A query over every feature except the named ones."""

    def filter(self, f: Filter | Logic) -> Query:
        """``select_all().filter(f)``."""
        return self.select_all().filter(f)

    def as_of(self, wallclock_time: TimeLike = None, exclude_until: TimeLike = None) -> Query:
        """``select_all().as_of(...)``."""
        return self.select_all().as_of(wallclock_time, exclude_until)

    @abstractmethod
    def commit_details(self, wallclock_time: TimeLike = None,
                       limit: int | None = None) -> dict[int, dict[str, Any]]:
        """Commit history: ``{commit_version: {"committed_on", "rows_inserted", "rows_updated",
        "rows_deleted", "operation"}}``, newest first."""

    # -- data validation
    @abstractmethod
    def save_expectation_suite(self, expectation_suite: Any, run_validation: bool = True,
                               validation_ingestion_policy: str = "always",
                               overwrite: bool = False) -> ExpectationSuite:
        """Attach a suite: a GE 1.x ``ExpectationSuite``, its dict, its JSON text or a path to it.

        An unsupported format or unknown expectation raises ExpectationSuiteError.
        """

    @abstractmethod
    def get_expectation_suite(self, ge_type: bool = False) -> ExpectationSuite | Any | None:
        """The attached suite (a GE object when ``ge_type``), or None."""

    @abstractmethod
    def delete_expectation_suite(self) -> None:
        """Detach the suite; later inserts are not validated."""

    @abstractmethod
    def validate(self, dataframe: pd.DataFrame | None = None, save_report: bool = False,
                 validation_options: dict[str, Any] | None = None,
                 ingestion_result: str = "EXPERIMENT") -> ValidationReport:
        """Validate ``dataframe`` (default: the group's data) against the attached suite."""

    @abstractmethod
    def get_latest_validation_report(self) -> ValidationReport | None:
        """The newest stored report, or None."""

    @abstractmethod
    def get_all_validation_reports(self) -> list[ValidationReport]:
        """Every stored report, newest first."""

    @property
    def validation_ingestion_policy(self) -> str | None:
        """"ALWAYS" / "STRICT", or None when no suite is attached."""
        return None

    @abstractmethod
    def delete(self) -> None:
        """Drop the group, its data, suite and reports."""


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
        """

    @abstractmethod
    def get_train_test_split(self, training_dataset_version: int,
                             read_options: dict[str, Any] | None = None,
                             primary_key: bool = False, event_time: bool = False,
                             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Exactly the split recorded as ``training_dataset_version`` (same rows, same order)."""

    @abstractmethod
    def training_data(self, start_time: TimeLike = None, end_time: TimeLike = None,
                      description: str = "", extra_filter: Filter | Logic | None = None,
                      read_options: dict[str, Any] | None = None,
                      primary_key: bool = False, event_time: bool = False,
                      ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """All the view's data as ``X, y`` (y None without labels), recorded as a new version."""

    @abstractmethod
    def get_last_accessed_training_dataset(self) -> int | None:
        """The training-dataset version last created or read through this object."""

    @abstractmethod
    def get_training_datasets(self) -> list[TrainingDatasetInfo]:
        """Every recorded training-dataset version."""

    @abstractmethod
    def get_batch_data(self, start_time: TimeLike = None, end_time: TimeLike = None,
                       read_options: dict[str, Any] | None = None,
                       primary_key: bool = False, event_time: bool = False,
                       ) -> pd.DataFrame:
        """The view's features (labels excluded) for rows whose event time is in
        ``[start_time, end_time)``; for batch inference."""

    @abstractmethod
    def init_serving(self, training_dataset_version: int | None = None,
                     **kwargs: Any) -> None:
        """Prepare online lookups (``get_feature_vector``); needs online-enabled groups."""

    @abstractmethod
    def get_feature_vector(self, entry: dict[str, Any], return_type: str = "list",
                           **kwargs: Any) -> list[Any] | pd.DataFrame:
        """The latest features (labels excluded) for one primary-key ``entry``.

        An unknown key raises NotFoundError (hsfs raises too unless ``allow_missing``).
        """

    @abstractmethod
    def get_feature_vectors(self, entry: list[dict[str, Any]], return_type: str = "list",
                            **kwargs: Any) -> list[list[Any]] | pd.DataFrame:
        """``get_feature_vector`` for many entries, in the same order."""

    @abstractmethod
    def delete(self) -> None:
        """Drop the view and its recorded training datasets."""


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
        ``save_expectation_suite(..., "strict")`` for STRICT.
        """

    @abstractmethod
    def get_feature_group(self, name: str, version: int | None = None) -> FeatureGroup:
        """An existing group; unknown names or versions raise NotFoundError listing what exists.
        ``version=None`` means version 1, as in hsfs."""

    @abstractmethod
    def get_feature_groups(self, name: str | None = None) -> list[FeatureGroup]:
        """Every version of ``name`` (or every group when None)."""

    @abstractmethod
    def get_or_create_feature_view(self, name: str, version: int, query: Query,
                                   labels: Sequence[str] | None = None,
                                   description: str = "", **kwargs: Any) -> FeatureView:
        """The view ``name`` v``version``, created from ``query`` on first use."""

    @abstractmethod
    def get_feature_view(self, name: str, version: int | None = None) -> FeatureView:
        """An existing view; unknown ones raise NotFoundError listing what exists."""

    @abstractmethod
    def get_feature_views(self, name: str | None = None) -> list[FeatureView]:
        """Every version of ``name`` (or every view when None)."""


# --------------------------------------------------------------------------- model registry


class Model(ABC):
    """A registered model version: metadata plus a directory of artefacts.

    Attributes mirror ``hsml.model.Model``: ``name``, ``version``, ``training_metrics``,
    ``description``, ``model_schema``, ``input_example``, ``framework``, ``created``,
    ``training_dataset_version``, ``feature_view`` (``(name, version)`` here).
    """

    name: str
    version: int | None
    training_metrics: dict[str, float]
    description: str
    model_schema: dict[str, Any] | None
    input_example: Any
    framework: str
    created: datetime | None
    training_dataset_version: int | None
    feature_view: tuple[str, int] | None

    @abstractmethod
    def save(self, model_path: str, await_registration: int = 480,
             keep_original_files: bool = False, **kwargs: Any) -> Model:
        """Copy ``model_path`` (a file or a directory) into the registry as the next version
        (or the version given to ``create_model``) and record the sha256 of every file."""

    @abstractmethod
    def download(self, local_path: str | None = None) -> str:
        """A local directory with the model's files, each verified against its sha256.

        A changed, missing or truncated file raises IntegrityError and is not returned.
        """

    @abstractmethod
    def delete(self) -> None:
        """Remove this version and its files."""


class ModelApi(ABC):
    """``mr.python`` / ``mr.sklearn``: model factories for one framework."""

    @abstractmethod
    def create_model(self, name: str, version: int | None = None,
                     metrics: dict[str, float] | None = None, description: str | None = None,
                     input_example: Any = None, model_schema: ModelSchema | None = None,
                     feature_view: FeatureView | None = None,
                     training_dataset_version: int | None = None, **kwargs: Any) -> Model:
        """A model object, registered when ``save`` is called.

        Metric values must be numbers (stored as floats); anything else raises a clear error.
        """


class ModelRegistry(ABC):
    """The project's model registry."""

    python: ModelApi
    sklearn: ModelApi

    @abstractmethod
    def get_model(self, name: str, version: int | None = None) -> Model:
        """A registered model; ``version=None`` means version 1, as in hsml. Unknown names or
        versions raise NotFoundError listing what exists."""

    @abstractmethod
    def get_models(self, name: str) -> list[Model]:
        """Every version of ``name``, oldest first (``[]`` when none)."""

    @abstractmethod
    def get_best_model(self, name: str, metric: str,
                       direction: Literal["max", "min"]) -> Model | None:
        """The version with the best ``metric``; ties go to the newest version. None if no
        version of ``name`` exists or none has that metric."""


# --------------------------------------------------------------------------- datasets


class DatasetApi(ABC):
    """Files in the project (e.g. ``Resources/images/...``), as ``hopsworks`` dataset API."""

    @abstractmethod
    def upload(self, local_path: str, upload_path: str, overwrite: bool = False,
               **kwargs: Any) -> str:
        """Copy a local file (or directory) into the project directory ``upload_path``; return
        the project path of the copy. An existing target without ``overwrite`` raises
        AlreadyExistsError. The copy appears atomically."""

    @abstractmethod
    def download(self, path: str, local_path: str | None = None,
                 overwrite: bool = False, **kwargs: Any) -> str:
        """Copy a project file to ``local_path`` (default: the working directory); return it."""

    @abstractmethod
    def exists(self, path: str) -> bool:
        """Whether the project path exists."""

    @abstractmethod
    def list(self, path: str, offset: int = 0, limit: int = 1000) -> list[str]:
        """Project paths directly under ``path``, sorted."""

    @abstractmethod
    def remove(self, path: str) -> None:
        """Delete a file or directory; a missing path raises NotFoundError."""

    @abstractmethod
    def mkdir(self, path: str) -> str:
        """Create a directory (and parents); return its project path."""

    @abstractmethod
    def read_bytes(self, path: str) -> bytes:
        """The content of a project file (mlsys convenience for apps and reports)."""


# --------------------------------------------------------------------------- project


class Project(ABC):
    """What ``mlsys.login()`` returns: the entry point to one project's stores."""

    name: str
    backend: str

    @abstractmethod
    def get_feature_store(self, name: str | None = None) -> FeatureStore:
        """The project's feature store."""

    @abstractmethod
    def get_model_registry(self) -> ModelRegistry:
        """The project's model registry."""

    @abstractmethod
    def get_dataset_api(self) -> DatasetApi:
        """The project's dataset API."""

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op for embedded stores
        """Release connections (optional)."""

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
