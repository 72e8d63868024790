"""Filters (``fg.x > 5``, ``&``, ``|``): evaluation on a frame and a JSON form for the catalog."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from mlsys.errors import ArgumentSchemaError, NotFoundError
from mlsys.store.api import Filter, Logic
from mlsys.store.rules.times import to_utc


def features_of(f: Filter | Logic) -> list[str]:
    """The feature names a filter reads."""
    if isinstance(f, Filter):
        return [f.feature]
    return features_of(f.left) + features_of(f.right)


def _value_for(series: pd.Series, value: Any) -> Any:
    """``value`` made comparable with ``series`` (times given as strings/dates become UTC)."""
    if isinstance(series.dtype, pd.DatetimeTZDtype) and not isinstance(value, pd.Series):
        return to_utc(value, f"filter value for {series.name!r}")
    return value


def mask(frame: pd.DataFrame, f: Filter | Logic) -> np.ndarray:
    """The boolean row mask of ``f`` on ``frame`` (nulls never match)."""
    if isinstance(f, Logic):
        left, right = mask(frame, f.left), mask(frame, f.right)
        return (left & right) if f.type == "AND" else (left | right)
    if f.feature not in frame.columns:
        raise NotFoundError("feature in filter", f.feature, [str(c) for c in frame.columns])
    s = frame[f.feature]
    try:
        if f.op == "in":
            result = s.isin([_value_for(s, v) for v in f.value])
        elif f.op == "like":
            pattern = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
                              for ch in str(f.value))
            result = s.astype("str").str.fullmatch(pattern, flags=re.DOTALL)
        else:
            v = _value_for(s, f.value)
            result = {"<": s.lt, "<=": s.le, ">": s.gt, ">=": s.ge, "==": s.eq,
                      "!=": s.ne}[f.op](v)
    except TypeError as err:
        raise ArgumentSchemaError(
            f"filter {f.feature} {f.op} {f.value!r} cannot compare a {s.dtype} feature with "
            f"{type(f.value).__name__} ({err}); give a value of the feature's type"
        ) from None
    return result.fillna(False).to_numpy(dtype=bool)


# --------------------------------------------------------------------------- JSON form

def _enc(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, datetime):
        return {"$datetime": pd.Timestamp(v).isoformat()}
    if isinstance(v, date):
        return {"$date": v.isoformat()}
    if isinstance(v, tuple | list):
        return {"$list": [_enc(x) for x in v]}
    if v is None or isinstance(v, str | int | float | bool):
        return v
    raise ArgumentSchemaError(f"filter value {v!r} ({type(v).__name__}) cannot be stored in a "
                              "feature view; use numbers, strings, booleans, dates or datetimes")


def _dec(v: Any) -> Any:
    if isinstance(v, dict):
        if "$datetime" in v:
            return pd.Timestamp(v["$datetime"]).to_pydatetime()
        if "$date" in v:
            return date.fromisoformat(v["$date"])
        if "$list" in v:
            return tuple(_dec(x) for x in v["$list"])
    return v


def to_spec(f: Filter | Logic) -> dict[str, Any]:
    if isinstance(f, Filter):
        return {"feature": f.feature, "op": f.op, "value": _enc(f.value)}
    return {"type": f.type, "left": to_spec(f.left), "right": to_spec(f.right)}


def from_spec(d: dict[str, Any]) -> Filter | Logic:
    if "feature" in d:
        return Filter(d["feature"], d["op"], _dec(d["value"]))
    return Logic(d["type"], from_spec(d["left"]), from_spec(d["right"]))
