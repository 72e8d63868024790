"""Benchmark data: wine-shaped rows resampled from the real wines, PIT frames, a trained KNN."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

NOISE = 0.01  # relative noise on each measurement of a resampled wine
PIT_ROWS_PER_ENTITY = 100  # feature rows per entity in the point-in-time benchmark


@functools.cache
def suite_ranges() -> dict[str, tuple[float, float]]:
    """``column -> (min, max)`` of the wine suite's ``expect_column_values_to_be_between``.

    Read from the JSON file directly: parsing it as a suite would import Great Expectations,
    which costs the scaling subprocesses seconds each.
    """
    import json

    from mlsys.validation.suite_io import suite_directories

    path = next(d / "wine.json" for d in suite_directories() if (d / "wine.json").is_file())
    out = {}
    for e in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
        if e["type"] == "expect_column_values_to_be_between":
            out[str(e["kwargs"]["column"])] = (float(e["kwargs"]["min_value"]),
                                               float(e["kwargs"]["max_value"]))
    return out


def wine_rows(n: int, seed: int = 0, start: Any = None, step_s: int = 1) -> pd.DataFrame:
    """``n`` wine-shaped rows that pass the wine suite and Pandera schema.

    Each row is a real wine (drawn with replacement) whose measurements get ``NOISE`` relative
    Gaussian noise, clipped to the suite's ranges and rounded like the synthetic wines; type and
    quality come with the drawn wine. Event times are ``start`` (default: a day after the real
    data) plus ``step_s`` seconds per row, so primary key + event time is unique.
    """
    import numpy as np
    import pandas as pd

    from mlsys.systems.base import REFERENCE_TIME
    from mlsys.systems.wine import data as wine

    real = wine.load()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(real), size=n)
    ranges = suite_ranges()
    cols: dict[str, Any] = {}
    for c in wine.MEASUREMENTS:
        base = real[c].to_numpy()[idx]
        noisy = base * (1 + rng.normal(0.0, NOISE, size=n))
        lo, hi = ranges[c]
        cols[c] = np.round(np.clip(noisy, lo, hi), wine.DECIMALS[c])
    cols["type_white"] = real["type_white"].to_numpy()[idx]
    cols["quality"] = real["quality"].to_numpy()[idx]
    frame = pd.DataFrame(cols)
    frame[wine.LABEL] = wine.quality_class(frame["quality"])
    t0 = pd.Timestamp(start if start is not None else REFERENCE_TIME + timedelta(days=1))
    offsets = pd.to_timedelta(np.arange(n, dtype="int64") * step_s, unit="s")
    frame[wine.EVENT_TIME] = (t0 + offsets).astype("datetime64[us, UTC]")
    return frame[list(wine.COLUMNS)]


def frame_bytes(df: pd.DataFrame) -> int:
    """The frame's in-memory size (``memory_usage(deep=True)``), index included."""
    return int(df.memory_usage(deep=True).sum())


@dataclass(frozen=True)
class PitFrames:
    """Entity rows (what training asks for) and feature rows (what the store holds)."""

    entities: pd.DataFrame  # entity_id, event_time, quality_class
    features: pd.DataFrame  # entity_id, event_time, the wine features


def pit_frames(entity_rows: int, feature_rows: int, seed: int = 1) -> PitFrames:
    """Point-in-time data: ``feature_rows`` wine measurements over ``feature_rows /
    PIT_ROWS_PER_ENTITY`` entities at random times, and ``entity_rows`` labelled (entity, time)
    pairs to join them to. Times spread over a year, so most entity rows find a feature row."""
    import numpy as np
    import pandas as pd

    from mlsys.systems.base import REFERENCE_TIME
    from mlsys.systems.wine import data as wine

    rng = np.random.default_rng(seed)
    n_entities = max(1, feature_rows // PIT_ROWS_PER_ENTITY)
    year_s = 365 * 24 * 3600
    t0 = pd.Timestamp(REFERENCE_TIME)
    feats = wine_rows(feature_rows, seed=seed)
    feats = feats[list(wine.FEATURES)].assign(
        entity_id=rng.integers(0, n_entities, size=feature_rows).astype("int64"),
        event_time=(t0 + pd.to_timedelta(rng.integers(0, year_s, size=feature_rows), unit="s"))
        .astype("datetime64[us, UTC]"),
    )
    # the upsert key is (entity_id, event_time): drop the rare clashes of random times
    feats = feats.drop_duplicates(["entity_id", "event_time"]).reset_index(drop=True)
    entities = pd.DataFrame({
        "entity_id": rng.integers(0, n_entities, size=entity_rows).astype("int64"),
        "event_time": (t0 + pd.to_timedelta(rng.integers(0, year_s, size=entity_rows),
                                            unit="s")).astype("datetime64[us, UTC]"),
        "label": rng.choice(list(wine.CLASSES), size=entity_rows),
    }).drop_duplicates(["entity_id", "event_time"]).reset_index(drop=True)
    return PitFrames(entities, feats[["entity_id", "event_time", *wine.FEATURES]])


@functools.cache
def trained_knn() -> tuple[Any, float]:
    """A scaled KNN on the real wines (as the wine system trains) and its held-out macro F1."""
    from sklearn.metrics import f1_score
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from mlsys.systems.wine import data as wine
    from mlsys.systems.wine.model import split

    x_train, x_test, y_train, y_test = split(wine.load())
    model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=15))
    model.fit(x_train, y_train)
    return model, float(f1_score(y_test, model.predict(x_test), average="macro"))
