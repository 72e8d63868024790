"""Small named types of the store contract: features, filters, jobs, dataset info."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

FilterOp = Literal["<", "<=", ">", ">=", "==", "!=", "in", "like"]

TimeLike = str | int | datetime | date | None
"""A point in time as Hopsworks accepts it: datetime, date, epoch milliseconds, or
``"%Y-%m-%d"`` / ``"%Y-%m-%d %H:%M:%S"`` strings (UTC when no zone is given)."""


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




PAGE_LIMIT_MAX = 10_000
"""The most rows one ``FeatureGroup.read_page`` returns (a page is for showing, not exporting)."""


@dataclass(frozen=True)
class RowPage:
    """One page of a feature group's rows (``FeatureGroup.read_page``), an mlsys addition.

    ``rows`` are rows ``offset`` .. ``offset + len(rows)`` of ``read()`` at ``commit``, in
    ``read()``'s order; ``total_rows`` is the group's row count at that commit.
    """

    rows: Any  # a pandas DataFrame (typed Any so this module stays free of pandas)
    offset: int
    limit: int
    total_rows: int
    commit: int | None  # the commit read (a key of commit_details()), None before any insert

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < self.total_rows
