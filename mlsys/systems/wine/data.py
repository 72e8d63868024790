"""Wine Quality data: cleaned, keyed real wines, their schemas, synthetic wines."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

from mlsys.systems.base import REFERENCE_TIME, day_start

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# The eleven measurements as shipped, normalised the Hopsworks way (lower case, spaces -> "_").
RAW_MEASUREMENTS = (
    "fixed_acidity", "volatile_acidity", "citric_acid", "residual_sugar", "chlorides",
    "free_sulfur_dioxide", "total_sulfur_dioxide", "density", "ph", "sulphates", "alcohol",
)
# Dropped: it correlates strongly with free sulfur dioxide (see eda.sulfur_correlation).
DROPPED = "total_sulfur_dioxide"
MEASUREMENTS = tuple(c for c in RAW_MEASUREMENTS if c != DROPPED)
# Two wines with the same chemistry are the same wine: the key is every stored measurement.
PRIMARY_KEY = MEASUREMENTS
FEATURES = (*MEASUREMENTS, "type_white")
LABEL = "quality_class"
CLASSES = ("poor", "fair", "excellent")
EVENT_TIME = "event_time"
COLUMNS = (*FEATURES, "quality", LABEL, EVENT_TIME)
# Qualities each type has in the data (the 0-10 scale is never used outside 3-9).
QUALITIES = {"red": (3, 4, 5, 6, 7, 8), "white": (3, 4, 5, 6, 7, 8, 9)}
# Decimals of a synthetic wine's measurements: one more than the lab reports (so the mean of two
# measured values is kept exactly), except density (already 5-6 decimals) and alcohol (a few rows
# carry computed 8-9 decimal values). Short decimals round-trip through storage, so keys match.
DECIMALS = {
    "fixed_acidity": 2, "volatile_acidity": 4, "citric_acid": 3, "residual_sugar": 3,
    "chlorides": 4, "free_sulfur_dioxide": 2, "density": 6, "ph": 3, "sulphates": 3,
    "alcohol": 3,
}
# Added to the date ordinal so the daily seeds differ from small seeds used elsewhere.
_SEED_SALT = 0x57494E45  # "WINE"


def quality_class(quality: pd.Series) -> pd.Series:
    """Bin quality (0-10) into poor (< 5), fair (5-6) and excellent (> 6)."""
    import numpy as np
    import pandas as pd

    q = quality.to_numpy()
    labels = np.select([q < 5, q <= 6], ["poor", "fair"], default="excellent")
    return pd.Series(labels, index=quality.index, name=LABEL, dtype="str")


def _label_is_bin_of_quality(df: pd.DataFrame) -> pd.Series:
    """Row-wise: ``quality_class`` is one of ``CLASSES`` and the bin of ``quality``.

    This runs over every inserted row, so the labels are factorised once (a handful of distinct
    strings) and compared as small integers rather than string by string; an unknown label gets
    bin -1 and fails.
    """
    import numpy as np
    import pandas as pd

    q = df["quality"].to_numpy()
    codes, uniques = pd.factorize(df[LABEL], use_na_sentinel=True)
    # the extra -1 at the end is what a missing label's code (-1) indexes
    bins = np.array([CLASSES.index(u) if u in CLASSES else -1 for u in uniques] + [-1])
    want = (q >= 5).astype(np.int8) + (q > 6)  # 0 poor, 1 fair, 2 excellent: CLASSES order
    return pd.Series(bins[codes] == want, index=df.index)


def read_raw() -> pd.DataFrame:
    """The shipped ``mlsys/data/wine.csv`` as is, with normalised column names."""
    import pandas as pd

    from mlsys.names import feature_name

    with resources.files("mlsys").joinpath("data/wine.csv").open("rb") as fh:
        raw = pd.read_csv(fh)
    return raw.rename(columns=feature_name)


@dataclass(frozen=True)
class CleanResult:
    """The cleaned feature frame and what cleaning removed, in counts."""

    frame: pd.DataFrame
    rows_by_type: dict[str, int]  # raw rows per type
    missing_by_type: dict[str, int]  # rows with any missing value per type (dropped)
    complete_rows: int  # rows left after dropping the incomplete ones
    wines: int  # distinct keys = rows of ``frame``
    duplicate_groups: int  # keys shared by more than one complete row
    red_white_keys: tuple[tuple[float, ...], ...] = field(default=())  # keys seen as both types
    conflicting_quality: int = 0  # keys seen with more than one quality

    @property
    def raw_rows(self) -> int:
        return sum(self.rows_by_type.values())

    @property
    def missing_share_by_type(self) -> dict[str, float]:
        """Share (0-1) of each type's rows with at least one missing value."""
        return {t: self.missing_by_type[t] / n for t, n in self.rows_by_type.items()}

    @property
    def rows_collapsed(self) -> int:
        """Complete rows merged into another row with the same key."""
        return self.complete_rows - self.wines

    @property
    def red_white_pairs(self) -> int:
        return len(self.red_white_keys)

    def summary(self) -> str:
        """One line on what cleaning dropped and collapsed (printed by ``backfill wine``)."""
        missing = ", ".join(f"{n} {t}" for t, n in self.missing_by_type.items())
        return (f"{self.raw_rows} raw rows: {missing} with missing values dropped; "
                f"{self.complete_rows} complete rows hold {self.wines} wines ({self.rows_collapsed}"
                f" rows collapsed in {self.duplicate_groups} groups, {self.conflicting_quality} "
                f"with conflicting qualities, {self.red_white_pairs} seen as both red and white "
                "kept as white)")


def _mode_lowest(values: pd.Series) -> int:
    """The most frequent value; ties go to the lowest (the cautious quality)."""
    counts = values.value_counts()
    return int(min(counts.index[counts == counts.max()]))


def clean(raw: pd.DataFrame) -> CleanResult:
    """Raw rows -> one row per wine, with the engineered features and the reference event time.

    Steps: drop rows with any missing value; drop ``total_sulfur_dioxide``; one-hot ``type`` with
    the first level (red) dropped -> ``type_white``; bin ``quality`` into ``quality_class``; then
    collapse rows sharing a key. A key's quality is its most frequent one (ties: the lowest; the
    shipped data has no conflict). A key seen as both red and white is kept as **white**: white is
    three times as common, and the two such wines in the shipped data have white-typical chemistry
    (``wine_eda.red_white_evidence`` measures it), so they look like white wines copied into the
    red file. The output is sorted by key, so cleaning is deterministic.
    """
    import pandas as pd

    rows_by_type = {str(t): int(n) for t, n in raw["type"].value_counts().sort_index().items()}
    incomplete = raw.isna().any(axis=1)
    missing_by_type = {t: int(incomplete[raw["type"] == t].sum()) for t in rows_by_type}
    complete = raw.loc[~incomplete].drop(columns=[DROPPED])
    complete = complete.assign(type_white=(complete["type"] == "white").astype("int64"))
    keys = list(PRIMARY_KEY)
    grouped = complete.groupby(keys, sort=True)
    collapsed = grouped.agg(
        type_white=("type_white", "max"),  # max: white wins a red/white conflict
        types=("type_white", "nunique"),
        quality=("quality", _mode_lowest),
        qualities=("quality", "nunique"),
        copies=("quality", "size"),
    ).reset_index()
    both = collapsed.loc[collapsed["types"] > 1, keys]
    frame = collapsed.assign(
        quality=collapsed["quality"].astype("int64"),
        quality_class=quality_class(collapsed["quality"]),
        event_time=pd.Series(pd.Timestamp(REFERENCE_TIME), index=collapsed.index)
        .astype("datetime64[us, UTC]"),
    )[list(COLUMNS)]
    return CleanResult(
        frame=frame,
        rows_by_type=rows_by_type,
        missing_by_type=missing_by_type,
        complete_rows=len(complete),
        wines=len(frame),
        duplicate_groups=int((collapsed["copies"] > 1).sum()),
        red_white_keys=tuple(tuple(float(v) for v in row) for row in both.itertuples(index=False)),
        conflicting_quality=int((collapsed["qualities"] > 1).sum()),
    )


@functools.cache
def _cleaned() -> CleanResult:
    from mlsys.validation.schemas import check_frame

    result = clean(read_raw())
    check_frame(feature_schema(), result.frame, "the cleaned wine data")
    return result


def clean_result() -> CleanResult:
    """What cleaning the shipped data did (cached; the frame is a copy the caller may change)."""
    r = _cleaned()
    return CleanResult(r.frame.copy(), dict(r.rows_by_type), dict(r.missing_by_type),
                       r.complete_rows, r.wines, r.duplicate_groups, r.red_white_keys,
                       r.conflicting_quality)


def load() -> pd.DataFrame:
    """The real wines, one row per key, with event time ``REFERENCE_TIME`` (fits the schema)."""
    return _cleaned().frame.copy()


def feature_schema() -> Any:
    """Pandera schema of the feature frame: dtypes, no nulls, physically possible values.

    Observed ranges live in the GE suite (``expectations/wine.json``); this schema only refuses
    what cannot be a wine measurement, and checks the class agrees with the quality.
    """
    import pandas as pd
    import pandera.pandas as pa

    def nonneg(name: str, upper: float | None = None) -> pa.Column:
        checks = [pa.Check.ge(0)] + ([pa.Check.le(upper)] if upper is not None else [])
        return pa.Column("float64", checks, nullable=False, title=name)

    columns: dict[str, pa.Column] = {c: nonneg(c) for c in MEASUREMENTS}
    columns["ph"] = nonneg("ph", 14.0)
    columns["alcohol"] = nonneg("alcohol", 100.0)  # % by volume
    columns["density"] = pa.Column("float64", pa.Check.in_range(0.8, 1.2), nullable=False)  # g/mL
    columns["type_white"] = pa.Column("int64", pa.Check.isin([0, 1]), nullable=False)
    columns["quality"] = pa.Column("int64", pa.Check.in_range(0, 10), nullable=False)
    # the class set is checked with the bin rule below, in one pass (this runs on every insert)
    columns[LABEL] = pa.Column(str, nullable=False)
    columns[EVENT_TIME] = pa.Column(
        None, pa.Check(lambda s: isinstance(s.dtype, pd.DatetimeTZDtype) and str(s.dtype.tz)
                       == "UTC", element_wise=False, error="event_time must be UTC timestamps"),
        nullable=False)
    return pa.DataFrameSchema(
        columns, strict=True, name="wine",
        checks=pa.Check(_label_is_bin_of_quality, error=f"quality_class must be one of {CLASSES} "
                        "and the bin of quality: poor < 5, fair 5-6, excellent > 6",
                        # nulls are refused per column already; skipping Pandera's row-wise
                        # null scan of the whole frame saves a copy of it on every insert
                        ignore_na=False),
    )


def input_schema() -> Any:
    """Pandera schema of model inputs: the features only, in any order; ``type_white`` coerced
    to int64 (a store may hand back a narrower integer)."""
    import pandera.pandas as pa

    columns = {c: pa.Column("float64", pa.Check.ge(0), nullable=False, coerce=True)
               for c in MEASUREMENTS}
    columns["type_white"] = pa.Column("int64", pa.Check.isin([0, 1]), nullable=False,
                                      coerce=True)
    return pa.DataFrameSchema(columns, strict=True, name="wine model input")


@dataclass(frozen=True)
class SynthesisPlan:
    """The probabilities synthetic wines are drawn with: the empirical shares of the real wines."""

    type_p: dict[str, float]  # P(type)
    quality_p: dict[str, dict[int, float]]  # P(quality | type)


@functools.cache
def _pools() -> tuple[SynthesisPlan, dict[tuple[str, int], np.ndarray]]:
    real = _cleaned().frame
    types = real["type_white"].map({0: "red", 1: "white"})
    type_p = {t: float((types == t).mean()) for t in QUALITIES}
    quality_p: dict[str, dict[int, float]] = {}
    pools: dict[tuple[str, int], np.ndarray] = {}
    for t, qualities in QUALITIES.items():
        of_type = real.loc[types == t]
        shares = of_type["quality"].value_counts(normalize=True)
        quality_p[t] = {q: float(shares.get(q, 0.0)) for q in qualities}
        for q in qualities:
            # already sorted by key (clean sorts), so pool order and draws are deterministic
            pools[(t, q)] = of_type.loc[of_type["quality"] == q, list(MEASUREMENTS)].to_numpy()
    return SynthesisPlan(type_p, quality_p), pools


def synthesis_plan() -> SynthesisPlan:
    """The type and quality probabilities :func:`generate` and :func:`synthesize` use."""
    return _pools()[0]


def _draw(n: int, rng: np.random.Generator, times: list[Any]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    from mlsys.validation.schemas import check_frame

    plan, pools = _pools()
    type_names = list(QUALITIES)
    types = rng.choice(type_names, size=n, p=[plan.type_p[t] for t in type_names])
    qualities = np.zeros(n, dtype="int64")
    values = np.zeros((n, len(MEASUREMENTS)))
    for t in type_names:  # fixed order, so a seed always gives the same draws
        rows = np.flatnonzero(types == t)
        qs, ps = zip(*plan.quality_p[t].items(), strict=True)
        qualities[rows] = rng.choice(qs, size=len(rows), p=ps)
        for q in qs:
            cell = rows[qualities[rows] == q]
            pool = pools[(t, q)]
            # two distinct real wines of this type and quality; their mean is the new wine
            i = rng.integers(0, len(pool), size=len(cell))
            j = rng.integers(0, len(pool) - 1, size=len(cell))
            j = j + (j >= i)
            values[cell] = (pool[i] + pool[j]) / 2
    frame = pd.DataFrame(values, columns=list(MEASUREMENTS))
    frame = frame.round(DECIMALS)
    frame["type_white"] = (types == "white").astype("int64")
    frame["quality"] = qualities
    frame[LABEL] = quality_class(frame["quality"])
    frame[EVENT_TIME] = pd.Series(pd.to_datetime(times, utc=True)).astype("datetime64[us, UTC]")
    return check_frame(feature_schema(), frame[list(COLUMNS)], "synthetic wines")


def generate(n: int, seed: int, *, start: date = date(2000, 1, 2)) -> pd.DataFrame:
    """``n`` synthetic wines from one seed (vectorised), dated ``start``, ``start`` + 1 day, ...

    Same draw rule as :func:`synthesize`, but one random stream for all rows, so row ``i`` is not
    ``synthesize(start + i days)``. Keys may repeat for large ``n`` (few real wines of rare cells).
    """
    import numpy as np

    times = [day_start(start + timedelta(days=i)) for i in range(n)]
    return _draw(n, np.random.default_rng([_SEED_SALT, seed]), times)


def synthesize(day: date, attempt: int = 0) -> pd.DataFrame:
    """The synthetic wine of ``day`` (one row, event time midnight UTC), the same on every call.

    A type is drawn by its share of the real wines, then a quality by its share within that type
    (red 3-8, white 3-9); two distinct real wines of that type and quality are drawn and their
    mean, rounded to :data:`DECIMALS`, is the new wine, labelled with the drawn quality.
    ``attempt`` n > 0 is the n-th redraw of the day (another seed): the daily pipeline asks for
    one when the wine drawn is already stored (the same pair drawn on another day), because the
    key is the chemistry and a wine stored twice could land on both sides of a split.
    """
    import numpy as np

    seed = [_SEED_SALT, day.toordinal()] + ([attempt] if attempt else [])
    return _draw(1, np.random.default_rng(seed), [day_start(day)])
