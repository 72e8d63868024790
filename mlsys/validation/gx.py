"""Great Expectations, imported quietly and offline, and GE values made plain JSON data."""

from __future__ import annotations

import math
import warnings
from datetime import date, datetime, time
from decimal import Decimal
from types import ModuleType
from typing import Any

# great_expectations imports the deprecated ``sre_*`` modules at import time (GE 1.24, Python
# 3.11); that DeprecationWarning is GE's, not ours, and would fail every caller run with -W error.
_GE_IMPORT_NOISE = r"module 'sre_(constants|parse|compile)' is deprecated"


_GX: ModuleType | None = None


def import_ge() -> ModuleType:
    """``great_expectations``, imported offline (no analytics) and without its import noise."""
    global _GX
    if _GX is None:
        from mlsys.config import apply_offline_defaults

        apply_offline_defaults()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_GE_IMPORT_NOISE,
                                    category=DeprecationWarning)
            import great_expectations as gx
            import great_expectations.expectations  # registers the core expectations
        _GX = gx
    return _GX


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: numpy/pandas scalars unwrapped, NaN/NaT/NA to None."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    import numpy as np
    import pandas as pd

    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.timedelta64):
        value = pd.Timedelta(value)
    if value is pd.NA or value is pd.NaT:  # NaT is a datetime too: test it first
        return None
    if isinstance(value, datetime | date | time | pd.Timedelta):
        return value.isoformat()
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, Decimal):
        return jsonable(float(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


__all__ = ["import_ge", "jsonable"]
