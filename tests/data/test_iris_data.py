"""The Iris feature frame: the real flowers, the Pandera schema, and the synthetic generator."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from mlsys.errors import SchemaError
from mlsys.systems import get_system
from mlsys.systems.base import REFERENCE_TIME, day_start
from mlsys.systems.iris import SYSTEM
from mlsys.systems.iris.data import (
    CLASSES,
    FEATURES,
    day_key,
    generate,
    schema,
    synthesize,
    with_keys,
)
from mlsys.validation.schemas import check_frame


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return SYSTEM.load()


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    """scikit-learn's copy, read here independently of the code under test."""
    raw = load_iris(as_frame=True)
    frame = raw.frame.copy()
    frame.columns = [*FEATURES, "target"]
    frame["variety"] = [str(raw.target_names[t]).capitalize() for t in frame["target"]]
    return frame.drop(columns="target")


@pytest.fixture(scope="module")
def generated() -> pd.DataFrame:
    return generate(10_000, seed=7)


def test_registry_returns_the_iris_spec() -> None:
    system = get_system("iris")
    assert system is SYSTEM
    assert system.primary_key == ("flower_id",)
    assert system.features == FEATURES and system.classes == CLASSES
    assert system.label == "variety" and system.event_time == "event_time"
    assert (system.model_name, system.predictions_group, system.suite_file) == (
        "iris_model", "iris_predictions", "iris.json")


def test_real_data_is_all_150_flowers_keyed_by_row(real: pd.DataFrame,
                                                   source: pd.DataFrame) -> None:
    assert list(real.columns) == ["flower_id", *FEATURES, "variety", "event_time"]
    assert real["flower_id"].tolist() == list(range(150))
    pd.testing.assert_frame_equal(real[[*FEATURES, "variety"]], source, check_dtype=False)
    assert real["variety"].value_counts().to_dict() == dict.fromkeys(CLASSES, 50)
    assert (real["event_time"] == pd.Timestamp(REFERENCE_TIME)).all()


def test_the_duplicate_flower_is_kept_as_two_rows(real: pd.DataFrame,
                                                  source: pd.DataFrame) -> None:
    # keyed by measurements this pair would collapse into one row; by flower_id both stay
    dup_in_source = source.duplicated([*FEATURES, "variety"], keep=False)
    assert dup_in_source.sum() == 2
    assert real.loc[dup_in_source.to_numpy(), "flower_id"].nunique() == 2


def test_schema_accepts_the_real_data(real: pd.DataFrame) -> None:
    check_frame(schema(), real, "real")


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("petal_length", -1.0, "negative size"),
        ("sepal_width", 0.0, "zero size"),
        ("sepal_length", 100.0, "absurd size"),
        ("petal_width", np.nan, "null size"),
        ("variety", "Daisy", "unknown variety"),
        ("variety", None, "null variety"),
        ("flower_id", 0, "duplicate key"),
        ("flower_id", -5, "negative key"),
    ],
)
def test_schema_rejects_wrong_rows(real: pd.DataFrame, column: str, value: object,
                                   problem: str) -> None:
    bad = real.copy()
    if column == "variety":
        bad[column] = bad[column].astype(object)
    bad.loc[3, column] = value
    with pytest.raises(SchemaError, match=column):
        check_frame(schema(), bad, problem)


def test_schema_rejects_extra_and_missing_columns(real: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="colour"):
        check_frame(schema(), real.assign(colour="blue"), "extra")
    with pytest.raises(SchemaError, match="petal_width"):
        check_frame(schema(), real.drop(columns="petal_width"), "missing")


def test_schema_normalises_event_times_to_utc_microseconds(real: pd.DataFrame) -> None:
    # naive times mean UTC (the store's convention); other zones are converted, not rejected
    naive = real.assign(event_time=real["event_time"].dt.tz_localize(None).astype("M8[ns]"))
    zoned = real.assign(event_time=real["event_time"].dt.tz_convert("Europe/Stockholm"))
    for frame in (naive, zoned):
        out = check_frame(schema(), frame, "times")
        assert str(out["event_time"].dtype) == "datetime64[us, UTC]"
        assert (out["event_time"] == pd.Timestamp(REFERENCE_TIME)).all()


def test_schema_rejects_an_event_time_that_is_not_a_time(real: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="event_time"):
        check_frame(schema(), real.assign(event_time="yesterday"), "text time")


def test_generated_flowers_fit_the_unkeyed_schema(generated: pd.DataFrame) -> None:
    assert len(generated) == 10_000
    check_frame(schema(keyed=False), generated, "generated")


def test_generator_is_deterministic_per_seed() -> None:
    pd.testing.assert_frame_equal(generate(500, seed=3), generate(500, seed=3))
    assert not generate(500, seed=3).equals(generate(500, seed=4))


def test_generator_stays_within_and_covers_each_variety_range(generated: pd.DataFrame,
                                                              source: pd.DataFrame) -> None:
    for variety in CLASSES:
        made = generated.loc[generated["variety"] == variety, list(FEATURES)]
        seen = source.loc[source["variety"] == variety, list(FEATURES)]
        # ~3,333 draws over at most ~25 steps per measurement: every end is hit
        assert (made.min() == seen.min()).all(), variety
        assert (made.max() == seen.max()).all(), variety


def test_generator_values_have_one_decimal(generated: pd.DataFrame) -> None:
    tenths = generated[list(FEATURES)].to_numpy() * 10
    assert np.allclose(tenths, np.rint(tenths), atol=1e-9)


def test_generator_picks_varieties_uniformly(generated: pd.DataFrame) -> None:
    shares = generated["variety"].value_counts(normalize=True)
    assert set(shares.index) == set(CLASSES)
    # binomial sd at n=10,000 is ~0.0047; 0.03 is more than six of them
    assert (shares - 1 / 3).abs().max() < 0.03


def test_generator_draws_measurements_uniformly_within_a_range(generated: pd.DataFrame) -> None:
    setosa = generated.loc[generated["variety"] == "Setosa", "petal_length"]
    # Setosa petal length: 1.0..1.9 cm, ten equally likely steps
    counts = setosa.value_counts()
    assert len(counts) == 10
    assert counts.max() / counts.min() < 1.5


def test_generate_rejects_a_negative_count() -> None:
    with pytest.raises(ValueError, match="-1"):
        generate(-1, seed=0)


def test_synthesize_makes_the_keyed_flower_of_a_day() -> None:
    day = date(2026, 1, 30)
    row = synthesize(day)
    check_frame(schema(), row, "daily")
    assert len(row) == 1
    assert row["flower_id"].item() == 20260130 == day_key(day)
    assert row["event_time"].item() == pd.Timestamp(day_start(day))
    # seeded from the date: the measurements are those of generate(1, seed=ordinal)
    expected = generate(1, seed=day.toordinal())
    pd.testing.assert_frame_equal(row[[*FEATURES, "variety"]], expected)


def test_synthesize_repeats_a_day_and_varies_across_days() -> None:
    day = date(2025, 6, 1)
    pd.testing.assert_frame_equal(synthesize(day), synthesize(day))
    month = pd.concat([synthesize(day + timedelta(days=k)) for k in range(30)])
    assert month["flower_id"].is_unique
    assert len(month[list(FEATURES)].drop_duplicates()) == 30
    assert month["flower_id"].min() > 149  # never a real flower's key


def test_with_keys_checks_its_output(generated: pd.DataFrame) -> None:
    two = generated.head(2)
    with pytest.raises(SchemaError, match="flower_id"):
        with_keys(two, [5, 5], [REFERENCE_TIME, REFERENCE_TIME])


def test_the_system_draws_a_stored_flower(tmp_path: Path) -> None:
    assert SYSTEM.draw_item is not None
    row = synthesize(date(2026, 1, 1)).iloc[0]
    out = SYSTEM.draw_item(row, "Virginica", row["variety"], tmp_path / "flower.png")
    assert Path(out).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_stored_flowers_read_back_unchanged_and_fit_the_schema(store_home: Path,
                                                               real: pd.DataFrame) -> None:
    import mlsys
    from mlsys.pipelines.backfill import backfill
    from mlsys.pipelines.daily import daily

    project = mlsys.login(backend="local", home=store_home)
    backfill(project, SYSTEM)
    daily(project, SYSTEM, day=date(2026, 1, 3), since=date(2026, 1, 1))
    stored = project.get_feature_store().get_feature_group("iris", 1).read()
    stored = check_frame(schema(), stored, "the stored group")
    stored = stored.sort_values("flower_id").reset_index(drop=True)
    assert len(stored) == 153  # the duplicate flower is still two rows
    days = pd.concat([synthesize(date(2026, 1, d)) for d in (1, 2, 3)], ignore_index=True)
    expected = pd.concat([real, days], ignore_index=True)
    pd.testing.assert_frame_equal(stored[list(expected.columns)], expected)
