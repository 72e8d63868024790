"""Palmer penguins data: 344 real penguins keyed by row, a synthetic penguin per day, schemas.

The data (Gorman, Williams & Fraser 2014; packaged by Horst, Hill & Gorman) ships inside the
``palmerpenguins`` package, so loading it needs no network. It is kept as published: two
penguins have no measurements at all and eleven no recorded sex. Those gaps are real and the
model imputes them, so the schema and the suite allow a missing measurement or sex but never a
missing species or island.

Keys and event times follow the Iris system: ``penguin_id`` is the row (0..343) for the real
penguins, at :data:`~mlsys.systems.base.REFERENCE_TIME`, and ``YYYYMMDD`` of the day (an
eight-digit number, so never a real row) for the synthetic penguin of that day, at its midnight.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import TYPE_CHECKING, Any

from mlsys.systems.base import REFERENCE_TIME, day_start

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

KEY = "penguin_id"
EVENT_TIME = "event_time"
LABEL = "species"
CLASSES = ("Adelie", "Chinstrap", "Gentoo")
MEASUREMENTS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
ISLANDS = ("Biscoe", "Dream", "Torgersen")
SEXES = ("female", "male")
CATEGORICAL = ("island", "sex")
FEATURES = (*MEASUREMENTS, *CATEGORICAL)
COLUMNS = (KEY, *FEATURES, LABEL, EVENT_TIME)
# Physically plausible sizes, the same in the Pandera schema and suite.json (a test keeps them
# equal): above 0 and at most about twice the largest real measurement. A negative or 1 m bill
# is an error, not a big penguin.
BOUNDS: dict[str, float] = {
    "bill_length_mm": 120.0,  # real max 59.6
    "bill_depth_mm": 45.0,  # real max 21.5
    "flipper_length_mm": 470.0,  # real max 231
    "body_mass_g": 12600.0,  # real max 6300
}
# The resolution the measurements are published at (0.1 mm bills, whole-mm flippers, 25 g).
RESOLUTION = {"bill_length_mm": 0.1, "bill_depth_mm": 0.1, "flipper_length_mm": 1.0,
              "body_mass_g": 25.0}
MAX_PENGUIN_ID = 99991231  # the id of the last representable day, 9999-12-31
# Added to the date ordinal so the daily seeds differ from small seeds used elsewhere.
_SEED_SALT = 0x50454E47  # "PENG"


def schema(keyed: bool = True) -> pa.DataFrameSchema:
    """The Pandera schema of the feature frame (``keyed=False``: features and label only).

    Measurements are float64 in (0, BOUNDS] or missing; the island one of :data:`ISLANDS`, the
    sex one of :data:`SEXES` or missing, the species one of :data:`CLASSES`; keyed frames also
    hold a unique, non-negative int64 ``penguin_id`` and a UTC event time. Nothing else.
    """
    import pandas as pd
    import pandera.pandas as pa

    columns: dict[str, Any] = {}
    if keyed:
        columns[KEY] = pa.Column("int64", pa.Check.in_range(0, MAX_PENGUIN_ID), unique=True,
                                 nullable=False)
    for name in MEASUREMENTS:
        columns[name] = pa.Column("float64",
                                  pa.Check.in_range(0.0, BOUNDS[name], include_min=False),
                                  nullable=True)
    columns["island"] = pa.Column(str, pa.Check.isin(ISLANDS), nullable=False)
    columns["sex"] = pa.Column(str, pa.Check.isin(SEXES), nullable=True)
    columns[LABEL] = pa.Column(str, pa.Check.isin(CLASSES), nullable=False)
    if keyed:
        columns[EVENT_TIME] = pa.Column(pd.DatetimeTZDtype("us", "UTC"), nullable=False,
                                        coerce=True)
    return pa.DataFrameSchema(columns, strict=True,
                              name="penguins" if keyed else "penguins_unkeyed")


def input_schema() -> pa.DataFrameSchema:
    """Model inputs: exactly the features, in order, with the feature frame's checks."""
    import pandera.pandas as pa

    features = schema(keyed=False).columns
    return pa.DataFrameSchema({name: features[name] for name in FEATURES}, strict=True,
                              ordered=True, name="penguins_model_input")


def _text(values: Any) -> pd.Series:
    """Text values as ``str``, a missing one as NaN (the constructor keeps missing values
    missing under pandas 2 and 3, where ``astype(str)`` would write "nan")."""
    import numpy as np
    import pandas as pd

    return pd.Series(np.asarray(values, dtype=object), dtype=str)


@functools.cache
def _real() -> pd.DataFrame:
    import numpy as np
    import pandas as pd
    from palmerpenguins import load_penguins

    from mlsys.validation.schemas import check_frame

    raw = load_penguins()
    out = pd.DataFrame({KEY: np.arange(len(raw), dtype="int64")})
    for name in MEASUREMENTS:
        out[name] = raw[name].astype("float64").to_numpy()
    out["island"] = _text(raw["island"].to_numpy())
    out["sex"] = _text(raw["sex"].to_numpy())
    out[LABEL] = _text(raw["species"].to_numpy())
    out[EVENT_TIME] = pd.Series([REFERENCE_TIME] * len(out), dtype="datetime64[us, UTC]")
    return check_frame(schema(), out, "the real penguins data")


def load() -> pd.DataFrame:
    """The 344 real penguins from the ``palmerpenguins`` package, keyed 0..343, at
    REFERENCE_TIME, gaps kept (a copy the caller may change)."""
    return _real().copy()


def describe_load() -> str:
    """What ``backfill penguins`` loads: every penguin, with how many have gaps."""
    real = _real()
    no_measurements = int(real[list(MEASUREMENTS)].isna().all(axis=1).sum())
    no_sex = int(real["sex"].isna().sum())
    return (f"{len(real)} penguins keyed by {KEY} (their row), kept with their gaps: "
            f"{no_measurements} without measurements, {no_sex} without a recorded sex (the "
            "model imputes them)")


def generate(n: int, seed: int) -> pd.DataFrame:
    """``n`` synthetic penguins (features and species, no key or event time), seeded.

    Each is a real penguin drawn at random (so species, island and sex keep their joint shares,
    and a missing sex or measurement stays missing as often as in the data) whose measurements
    are moved by normal noise of a quarter of that species' spread, rounded to the published
    resolution and kept inside the schema's bounds. The same ``seed`` gives the same penguins.
    """
    import numpy as np

    from mlsys.errors import InvalidArgumentError
    from mlsys.validation.schemas import check_frame

    if n < 0:
        raise InvalidArgumentError(f"n must be >= 0, got {n}")
    real = _real()
    rng = np.random.default_rng([_SEED_SALT, seed])
    picked = real.iloc[rng.integers(0, len(real), size=n)].reset_index(drop=True)
    spread = real.groupby(LABEL)[list(MEASUREMENTS)].std()
    out = picked[list(FEATURES)].copy()
    for name in MEASUREMENTS:
        scale = spread.loc[picked[LABEL], name].to_numpy() / 4
        moved = picked[name].to_numpy() + rng.normal(0.0, 1.0, size=n) * scale
        step = RESOLUTION[name]
        moved = np.clip(np.round(moved / step) * step, step, BOUNDS[name])
        out[name] = np.round(moved, 1)  # 0.1 mm steps as exact decimals (no 39.300000000001)
    out[LABEL] = picked[LABEL].to_numpy()
    return check_frame(schema(keyed=False), out, "generated penguins")


def day_key(day: date) -> int:
    """The ``penguin_id`` of the synthetic penguin of ``day``: YYYYMMDD as an int."""
    return int(day.strftime("%Y%m%d"))


def synthesize(day: date, attempt: int = 0) -> pd.DataFrame:
    """The synthetic penguin of ``day``: one row, seeded by the day, so a re-run of the same
    day makes the same penguin with the same key and event time (midnight UTC).

    Its key is the day, which no other penguin has, so ``attempt`` (a redraw) is never needed;
    it is accepted for the common signature and changes nothing.
    """
    import pandas as pd

    from mlsys.validation.schemas import check_frame

    row = generate(1, seed=day.toordinal())
    row.insert(0, KEY, pd.Series([day_key(day)], dtype="int64"))
    row[EVENT_TIME] = pd.Series([day_start(day)], dtype="datetime64[us, UTC]")
    return check_frame(schema(), row, "the synthetic penguin")
