"""Iris data: 150 real flowers keyed by row, a synthetic flower per day, their schemas.

Key choice. The course keyed a flower by its four measurements, but the real data holds one
flower twice (rows 101 and 142 of scikit-learn's copy: Virginica, 5.8/2.7/5.1/1.9 cm). Keyed by
measurements, the second would upsert over the first and the group would hold 149 flowers: a
real observation silently lost, and the class balance skewed. So flowers carry a surrogate
integer key ``flower_id``: 0..149 for the real flowers (their row in the data), and
``int(day.strftime("%Y%m%d"))`` for the synthetic flower of a day. Day ids are eight-digit
numbers (>= 19000101), so they can never collide with the real ones, and re-running a day makes
the same key and event time again, so the daily pipeline stays idempotent.

Real flowers get the event time :data:`~mlsys.systems.base.REFERENCE_TIME`; a day's flower gets
midnight UTC of that day. That alone tells real from synthetic rows, so there is no extra
``source`` column.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from mlsys.systems.base import REFERENCE_TIME, day_start
from mlsys.validation.schemas import check_frame

KEY = "flower_id"
EVENT_TIME = "event_time"
LABEL = "variety"
CLASSES = ("Setosa", "Versicolor", "Virginica")
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")

# Physically plausible sizes in cm, the same in the Pandera schema and expectations/iris.json
# (a test keeps them equal): above 0 and at most twice the largest real measurement, rounded up
# to a whole cm. Wide enough for any real iris and everything ``generate`` makes; a negative,
# zero or 100 cm measurement is an error, not a big flower.
BOUNDS: dict[str, float] = {
    "sepal_length": 16.0,  # real max 7.9
    "sepal_width": 9.0,  # real max 4.4
    "petal_length": 14.0,  # real max 6.9
    "petal_width": 5.0,  # real max 2.5
}
MAX_FLOWER_ID = 99991231  # the id of the last representable day, 9999-12-31

_SKLEARN_COLUMNS = {
    "sepal length (cm)": "sepal_length",
    "sepal width (cm)": "sepal_width",
    "petal length (cm)": "petal_length",
    "petal width (cm)": "petal_width",
}


# --------------------------------------------------------------------------- schemas


def schema(keyed: bool = True) -> Any:
    """The Pandera schema of the feature frame (``keyed=False``: measurements and label only).

    Measurements are float64 in (0, BOUNDS] cm, the variety one of :data:`CLASSES`, nothing is
    null; keyed frames also hold a unique, non-negative int64 ``flower_id`` and a UTC event time
    (coerced to microseconds, Delta's timestamp unit). No other columns are allowed.
    """
    import pandera.pandas as pa

    columns: dict[str, Any] = {}
    if keyed:
        columns[KEY] = pa.Column(
            "int64", pa.Check.in_range(0, MAX_FLOWER_ID), unique=True, nullable=False
        )
    for name in FEATURES:
        columns[name] = pa.Column(
            "float64",
            pa.Check.in_range(0.0, BOUNDS[name], include_min=False),
            nullable=False,
        )
    columns[LABEL] = pa.Column(str, pa.Check.isin(CLASSES), nullable=False)
    if keyed:
        columns[EVENT_TIME] = pa.Column(
            pd.DatetimeTZDtype("us", "UTC"), nullable=False, coerce=True
        )
    return pa.DataFrameSchema(columns, strict=True, name="iris" if keyed else "iris_flowers")


def input_schema() -> Any:
    """Model inputs: exactly the four measurements, in order (what a fitted model expects)."""
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {
            name: pa.Column(
                "float64", pa.Check.in_range(0.0, BOUNDS[name], include_min=False),
                nullable=False,
            )
            for name in FEATURES
        },
        strict=True,
        ordered=True,
        name="iris_model_input",
    )


def label_schema() -> Any:
    """Labels, as a one-column frame: every value one of :data:`CLASSES`, none null."""
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {LABEL: pa.Column(str, pa.Check.isin(CLASSES), nullable=False)},
        strict=True,
        name="iris_labels",
    )


def labels(y: pd.Series, what: str) -> pd.Series:
    frame = pd.DataFrame({LABEL: pd.Series(y, dtype=str)})
    checked: pd.Series = check_frame(label_schema(), frame, what)[LABEL]
    return checked


# --------------------------------------------------------------------------- real data


def load() -> pd.DataFrame:
    """The 150 real flowers from scikit-learn (offline), keyed 0..149, at REFERENCE_TIME."""
    from sklearn.datasets import load_iris

    raw = load_iris(as_frame=True)
    frame = raw.frame.rename(columns=_SKLEARN_COLUMNS)
    names = {i: str(n).capitalize() for i, n in enumerate(raw.target_names)}
    out = pd.DataFrame({KEY: np.arange(len(frame), dtype="int64")})
    for name in FEATURES:
        # the source has one decimal; rounding removes float noise so keys/joins compare exactly
        out[name] = frame[name].astype("float64").round(1).to_numpy()
    out[LABEL] = pd.Series(frame["target"].map(names).to_numpy(), dtype=str)
    out[EVENT_TIME] = pd.Series([REFERENCE_TIME] * len(out), dtype="datetime64[us, UTC]")
    return check_frame(schema(), out, "the real iris data")


# --------------------------------------------------------------------------- synthetic flowers


@functools.cache
def describe_load() -> str:
    """What ``backfill iris`` loads: every flower, the repeated measurements kept apart."""
    flowers = load()
    repeats = int(flowers.duplicated(list(FEATURES), keep=False).sum())
    return (f"{len(flowers)} flowers keyed by {KEY} (their row); {repeats} share all four "
            "measurements with another and stay distinct flowers")


def variety_ranges() -> pd.DataFrame:
    """Per variety (rows) and measurement: the min and max of the 150 real flowers, in cm.

    Columns are a (measurement, "min"/"max") MultiIndex. Computed from the data, not typed in
    (once per process: the data ships with scikit-learn; a copy the caller may change).
    """
    return _variety_ranges().copy()


@functools.cache
def _variety_ranges() -> pd.DataFrame:
    real = load()
    return real.groupby(LABEL)[list(FEATURES)].agg(["min", "max"]).reindex(list(CLASSES))


def generate(n: int, seed: int) -> pd.DataFrame:
    """``n`` synthetic flowers (measurements and variety, no key or event time), seeded.

    Each flower's variety is drawn uniformly from the three; each measurement independently
    and uniformly from the 0.1 cm steps between that variety's smallest and largest real
    measurement (inclusive), so values have one decimal like the real data and never leave the
    range seen for the variety. Measurements are independent, so a synthetic flower can combine
    sizes no real flower of its variety has (e.g. a long petal on a short sepal); the suite only
    asks that each size be plausible. The same ``seed`` gives the same flowers.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    ranges = _variety_ranges()  # only read here
    which = rng.integers(0, len(CLASSES), size=n)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    for name in FEATURES:
        # in tenths of a cm, as integers, so the grid is exact and both ends are reachable
        low = np.rint(ranges[(name, "min")].to_numpy() * 10).astype("int64")[which]
        high = np.rint(ranges[(name, "max")].to_numpy() * 10).astype("int64")[which]
        out[name] = rng.integers(low, high + 1) / 10.0
    out[LABEL] = pd.Series(np.asarray(CLASSES, dtype=object)[which], dtype=str)
    return check_frame(schema(keyed=False), out, "generated flowers")


def day_key(day: date) -> int:
    """The ``flower_id`` of the synthetic flower of ``day``: YYYYMMDD as an int."""
    return int(day.strftime("%Y%m%d"))


def with_keys(flowers: pd.DataFrame, ids: Sequence[int], times: Sequence[Any]) -> pd.DataFrame:
    """``flowers`` (from :func:`generate`) as feature-group rows with the given keys and times."""
    out = flowers.copy()
    out.insert(0, KEY, np.asarray(ids, dtype="int64"))
    out[EVENT_TIME] = pd.Series(pd.to_datetime(list(times), utc=True), index=out.index)
    return check_frame(schema(), out, "keyed flowers")


def synthesize(day: date, attempt: int = 0) -> pd.DataFrame:
    """The synthetic flower of ``day``: one row, seeded by the day's ordinal, so a re-run of the
    same day makes the same flower with the same key and event time (midnight UTC).

    Its key is the day, which no other flower has, so ``attempt`` (a redraw) is never needed;
    it is accepted for the common signature and changes nothing.
    """
    return with_keys(generate(1, seed=day.toordinal()), [day_key(day)], [day_start(day)])
