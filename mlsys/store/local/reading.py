"""What a query needs of a feature group, how one query run reads its groups, and the empty
result of a group with nothing to read.

``GroupReader`` is the part of a feature group the query engine and the online lookup use, so
``query`` and ``vectors`` type their group without importing ``feature_group`` (which builds
queries, and would close a circle).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd
import pyarrow as pa

from mlsys.store.api import Feature
from mlsys.store.rules import dataframes, frames

if TYPE_CHECKING:
    from mlsys.store.local.online import OnlineStore


Window = tuple[pd.Timestamp | None, pd.Timestamp | None]
"""An event-time window ``[start, end)``; None leaves that side open."""


@dataclass
class ReadContext:
    """How a query run reads its groups, and which Delta version of each it read."""

    online: bool = False
    versions: dict[str, int | None] | None = None  # pinned versions (a recorded training set)
    wallclock: pd.Timestamp | None = None
    exclude_until: pd.Timestamp | None = None
    read: dict[str, int | None] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # table identity of each version read
    expected_ids: dict[str, str] | None = None  # recorded with pinned versions (None: unknown)


class GroupReader(Protocol):
    """A feature group as a query reads it (``LocalFeatureGroup`` is the one implementation)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def primary_key(self) -> list[str]: ...

    @property
    def event_time(self) -> str | None: ...

    @property
    def keys(self) -> list[str]: ...

    @property
    def features(self) -> list[Feature]: ...

    def read_columns(self, columns: Sequence[str], ctx: ReadContext,
                     window: Window = (None, None), rows: Any = None) -> pd.DataFrame:
        """``columns`` of the group as ``ctx`` reads them (offline version or online store);
        offline reads may leave out rows whose event time is outside ``window`` or that the
        pyarrow filter ``rows`` drops (callers filter exactly afterwards)."""
        ...

    @property
    def online_refresh_every(self) -> float | None:
        """Seconds between a serving process's looks at the offline table (``LocalConfig``)."""
        ...

    def ensure_online(self, look: bool = False) -> OnlineStore | None:
        """The online store, caught up with the offline table (in a bucket: when it was last
        looked at ``online_refresh_every`` ago, or ``look``); None before any insert."""
        ...


def empty_as(columns: Sequence[frames.Column] | None, kind: str) -> Any:
    """An empty read result of the frame ``kind`` (see ``empty_frame``)."""
    if kind == "pandas":
        return empty_frame(columns)
    schema = frames.arrow_schema(columns) if columns else pa.schema([])
    return dataframes.from_arrow(schema.empty_table(), kind)


def empty_frame(columns: Sequence[frames.Column] | None, names: Sequence[str] | None = None,
                ) -> pd.DataFrame:
    """An empty frame with the stored dtypes of ``columns`` (restricted to ``names``)."""
    if not columns:
        return pd.DataFrame(columns=list(names or []))
    df = frames.arrow_schema(columns).empty_table().to_pandas()
    return df[list(names)] if names is not None else df
