"""The query contract: features selected from groups, joined, filtered, read as one frame."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from mlsys.store.api.types import (
    Feature,
    Filter,
    Logic,
    TimeLike,
)

if TYPE_CHECKING:
    import pandas as pd


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


__all__ = ["Query"]
