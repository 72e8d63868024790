"""The feature view contract: a query with labels, its training datasets and its serving vectors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from mlsys.store.api.query import Query
from mlsys.store.api.types import (
    Feature,
    Filter,
    Logic,
    TimeLike,
    TrainingDatasetInfo,
)

if TYPE_CHECKING:
    import pandas as pd


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


__all__ = ["FeatureView"]
