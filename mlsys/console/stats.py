"""Per-feature statistics and distributions of a group at one commit, computed once and kept.

Statistics need every row, so they are not on the group page (which reads one page); they are
computed on first request per (group, version, commit) and kept in a small cache, since a
commit's rows never change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.store.api import FeatureGroup

BINS = 10  # histogram bins of a numeric feature
TOP_VALUES = 10  # most frequent values shown for any other feature
CACHED = 32  # (group, commit) summaries kept
DISTINCT_ROWS = 100_000  # distinct values of a numeric or time feature counted up to this


@dataclass(frozen=True)
class FeatureStats:
    """One feature's figures and its distribution as ``(label, count)`` bars."""

    name: str
    type: str
    count: int
    missing: int
    distinct: int | None  # None: not counted (a numeric feature of a large group)
    min: Any
    max: Any
    mean: float | None
    std: float | None
    distribution: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class GroupStats:
    rows: int
    features: tuple[FeatureStats, ...]


def _histogram(values: Any) -> tuple[Any, Any]:
    """``BINS`` equal bins; one bin when every value is the same (numpy cannot widen the range
    of large equal values, e.g. the one event time of every backfilled row, into ten bins)."""
    import numpy as np

    if values.min() == values.max():
        return np.array([len(values)]), np.array([values.min(), values.max()])
    return np.histogram(values, bins=BINS)


def feature_stats(name: str, kind: str, s: pd.Series) -> FeatureStats:
    import pandas as pd

    present = s.dropna()
    numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    when = pd.api.types.is_datetime64_any_dtype(s)
    mean = std = None
    lo = hi = None
    if (numeric or when) and len(present):
        lo, hi = present.min(), present.max()
    if numeric and len(present):
        values = present.to_numpy(dtype="float64")
        mean, std = float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0
        counts, edges = _histogram(values)
        dist = tuple((f"{edges[i]:.4g} – {edges[i + 1]:.4g}", int(c))
                     for i, c in enumerate(counts))
    elif when and len(present):  # binned on the clock, labelled by date
        ticks = present.astype("int64").to_numpy()
        counts, edges = _histogram(ticks)
        unit = str(present.dt.unit)
        stamp = [pd.Timestamp(int(e), unit=unit, tz="UTC") for e in edges]
        dist = tuple((f"{stamp[i]:%Y-%m-%d %H:%M} – {stamp[i + 1]:%Y-%m-%d %H:%M}", int(c))
                     for i, c in enumerate(counts))
    else:
        try:
            top = present.value_counts()
        except TypeError:  # unhashable values (lists, dicts): counted by their text
            present = present.astype(str)
            top = present.value_counts()
        dist = tuple((str(v), int(c)) for v, c in top.head(TOP_VALUES).items())
        return FeatureStats(name, kind, len(present), len(s) - len(present), len(top),
                            None, None, None, None, dist)
    # distinct numbers cost a hash of every value; past DISTINCT_ROWS they are not counted
    distinct = int(present.nunique()) if len(present) <= DISTINCT_ROWS else None
    return FeatureStats(name, kind, len(present), len(s) - len(present), distinct, lo, hi, mean,
                        std, dist)


def group_stats(fg: FeatureGroup, commit: int | None) -> GroupStats:
    """Statistics of every feature of ``fg`` at ``commit`` (None: the latest)."""
    # a commit is reached through its time, the contract's way of time travel
    df = fg.read() if commit is None else fg.read(wallclock_time=fg.commit_time(commit))
    types = {f.name: f.type for f in fg.features}
    return GroupStats(len(df), tuple(feature_stats(str(c), types.get(str(c), str(df[c].dtype)),
                                                   df[c]) for c in df.columns))


class StatsCache:
    """Summaries per (group, version, commit), least recently used dropped first."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, int, int | None], GroupStats] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, fg: FeatureGroup, commit: int | None) -> GroupStats:
        # the latest commit is keyed by its number, so a new insert is not hidden by the cache,
        # but read as the latest (no search of the log for its time)
        latest = next(iter(fg.commit_details(limit=1)), None)
        key = (fg.name, fg.version, latest if commit is None else commit)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        stats = group_stats(fg, None if commit == latest else commit)
        with self._lock:
            self._items[key] = stats
            while len(self._items) > CACHED:
                self._items.popitem(last=False)
        return stats
