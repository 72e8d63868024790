"""Points in time as Hopsworks accepts them, turned into UTC timestamps (both backends).

A bad point in time is an argument error: :class:`~mlsys.errors.ArgumentSchemaError`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from mlsys.errors import ArgumentSchemaError, InvalidArgumentError, MlsysError
from mlsys.store.api import TimeLike


def to_utc(value: TimeLike, what: str = "time") -> pd.Timestamp | None:
    """``value`` as a UTC timestamp (None stays None).

    Accepts datetimes (naive ones are UTC), dates (midnight UTC), epoch milliseconds and
    ISO strings such as ``"2024-01-31"`` or ``"2024-01-31 12:00:00"`` (UTC unless zoned).
    Values outside what a table can hold (``10**20`` ms, year 10000) are refused by name.
    """
    try:
        return _to_utc(value, what)
    except MlsysError:
        raise
    except (OverflowError, OSError, ValueError) as err:
        raise InvalidArgumentError(
            f"{what} {value!r} is outside the times a table can hold ({err}); give a datetime "
            "between the years 1678 and 2262, or epoch milliseconds in that range") from None


def _to_utc(value: TimeLike, what: str) -> pd.Timestamp | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ArgumentSchemaError(f"{what} {value!r} is not a point in time; give a datetime "
                                  "or date")
    if isinstance(value, pd.Timestamp | datetime | np.datetime64):
        ts = pd.Timestamp(value)
    elif isinstance(value, date):
        ts = pd.Timestamp(datetime(value.year, value.month, value.day))
    elif isinstance(value, int):
        ts = pd.Timestamp(datetime.fromtimestamp(value / 1000, tz=UTC))
    elif isinstance(value, str):
        try:
            ts = pd.Timestamp(datetime.fromisoformat(value.strip()))
        except ValueError:
            raise ArgumentSchemaError(
                f"{what} {value!r} is not a date or time; use e.g. '2024-01-31' or "
                "'2024-01-31 12:00:00' (UTC), a datetime, or epoch milliseconds"
            ) from None
    else:
        raise ArgumentSchemaError(
            f"{what} {value!r} ({type(value).__name__}) is not a point in time; give a "
            "datetime, date, 'YYYY-MM-DD[ HH:MM:SS]' string or epoch milliseconds"
        )
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def utc(value: TimeLike, what: str) -> datetime | None:
    """``value`` as :func:`to_utc` reads it, as an aware ``datetime`` (what hsfs takes)."""
    ts = to_utc(value, what)
    return None if ts is None else ts.to_pydatetime()
