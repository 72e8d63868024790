"""Filters pushed into a Delta scan: the part of a query's filters a pyarrow dataset can apply.

The pushed expression only has to keep a superset of the rows the filter keeps, because the
query still applies the exact filter (:func:`mlsys.store.local.filters.mask`) afterwards; so a
filter that cannot be pushed exactly is left out (it reads as "every row"), never
approximated the narrow way. Pushed: ``<``, ``<=``, ``>``, ``>=``, ``==`` and ``in`` on a
number or boolean feature given a value of its type, and the comparisons on a timestamp
(bounds widened to the stored microseconds). Not pushed: ``!=`` (pandas keeps null rows for
it, a scan would not), ``like``, filters on strings (see ``_SCAN_TYPES``) and values of another
type (the exact filter raises for them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from mlsys.store.api import Filter, Logic

if TYPE_CHECKING:
    import pyarrow.dataset as pads

_STORED_TS = pa.timestamp("us", tz="UTC")
# No strings: deltalake 1.6 types a file's string statistics as string_view, and pyarrow
# cannot compare those with a string scalar, so a pushed string filter fails the scan.
_SCAN_TYPES = {"bigint": pa.int64(), "double": pa.float64(), "boolean": pa.bool_()}


def _fits(value: Any, kind: str) -> bool:
    if kind == "bigint":
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
    if kind == "double":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    return False


def _time(value: Any) -> pd.Timestamp | None:
    from mlsys.errors import MlsysError
    from mlsys.store.rules.times import to_utc

    if not isinstance(value, str | date | datetime):  # pd.Timestamp is a datetime
        return None
    try:
        return to_utc(value, "filter value")
    except (MlsysError, TypeError, ValueError):
        return None


def _one(f: Filter, types: Mapping[str, str]) -> pads.Expression | None:
    import pyarrow.dataset as pads

    kind = types.get(f.feature)
    if kind is None or f.op in ("!=", "like"):
        return None
    col = pads.field(f.feature)
    if kind == "timestamp":
        if f.op == "in":
            return None
        t = _time(f.value)
        if t is None:
            return None
        lo = pa.scalar(t.floor("us").to_pydatetime(), type=_STORED_TS)
        hi = pa.scalar(t.ceil("us").to_pydatetime(), type=_STORED_TS)
        return {">": col >= lo, ">=": col >= lo, "<": col <= hi, "<=": col <= hi,
                "==": (col >= lo) & (col <= hi)}.get(f.op)
    arrow = _SCAN_TYPES.get(kind)
    if arrow is None:
        return None
    if f.op == "in":
        values = list(f.value) if isinstance(f.value, list | tuple | set) else None
        if not values or not all(_fits(v, kind) for v in values):
            return None
        return col.isin(pa.array(values, type=arrow))
    if not _fits(f.value, kind):
        return None
    v = pa.scalar(f.value, type=arrow)
    return {"<": col < v, "<=": col <= v, ">": col > v, ">=": col >= v,
            "==": col == v}.get(f.op)


def scan_filter(f: Filter | Logic, types: Mapping[str, str]) -> pads.Expression | None:
    """What of ``f`` a scan of a group with feature ``types`` (name -> type) can apply; None
    when nothing can be (read every row)."""
    if isinstance(f, Filter):
        return _one(f, types)
    left, right = scan_filter(f.left, types), scan_filter(f.right, types)
    if f.type == "AND":
        if left is None or right is None:
            return left if right is None else right
        return left & right
    return None if left is None or right is None else left | right


def all_of(parts: list[pads.Expression | None]) -> pads.Expression | None:
    """The AND of the expressions given (None ones left out); None for none."""
    out = None
    for p in parts:
        if p is not None:
            out = p if out is None else out & p
    return out
