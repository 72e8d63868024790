"""Small hand-made frames and suites the contract tests share."""

from __future__ import annotations

import pandas as pd

# GE 1.x suite JSON, as users write it: x must lie in [0, 10].
X_IN_RANGE = {
    "name": "x_in_range",
    "expectations": [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "x", "min_value": 0, "max_value": 10}},
    ],
}


def times(*days: str) -> pd.Series:
    """UTC event times from 'YYYY-MM-DD[ HH:MM]' strings."""
    return pd.Series(pd.to_datetime(list(days), utc=True, format="ISO8601"))


def frame(ids: list[int], x: list[float], days: list[str] | None = None,
          label: list[str] | None = None) -> pd.DataFrame:
    """A small feature frame: id, ts, x, label."""
    days = days or ["2024-01-01"] * len(ids)
    label = label or [f"c{i % 2}" for i in ids]
    return pd.DataFrame({"id": ids, "ts": times(*days), "x": x, "label": label})
