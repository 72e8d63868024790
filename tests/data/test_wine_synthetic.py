"""Synthetic wines: valid, reproducible per date, means of two real wines, schema and suite."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlsys.systems.base import day_start
from mlsys.systems.wine import SYSTEM
from mlsys.systems.wine.data import (
    COLUMNS,
    DECIMALS,
    MEASUREMENTS,
    PRIMARY_KEY,
    feature_schema,
    generate,
    load,
    synthesis_plan,
    synthesize,
)
from mlsys.validation.engine import validate_frame
from mlsys.validation.suite_io import load_suite_file

N = 10_000
DAY = date(2026, 1, 15)


@pytest.fixture(scope="module")
def many() -> pd.DataFrame:
    return generate(N, seed=20260115)


def test_ten_thousand_synthetic_wines_pass_schema_and_suite(many: pd.DataFrame) -> None:
    assert len(many) == N and list(many.columns) == list(COLUMNS)
    feature_schema().validate(many)
    report = validate_frame(many, load_suite_file("wine.json"))
    assert report.success, report.describe_failures()


def test_quality_is_valid_for_the_type(many: pd.DataFrame) -> None:
    red = many[many["type_white"] == 0]["quality"]
    white = many[many["type_white"] == 1]["quality"]
    assert set(red) <= set(range(3, 9)) and set(white) <= set(range(3, 10))
    assert not red.empty and not white.empty


def test_probabilities_are_the_empirical_shares(many: pd.DataFrame) -> None:
    real = load()
    plan = synthesis_plan()
    assert plan.type_p["white"] == pytest.approx((real["type_white"] == 1).mean())
    for t, tw in (("red", 0), ("white", 1)):
        shares = real[real["type_white"] == tw]["quality"].value_counts(normalize=True)
        assert plan.quality_p[t] == pytest.approx(shares.to_dict())
    # 10,000 draws: the standard error of a share is at most 0.005, so 0.02 is a 4-sigma band
    assert (many["type_white"] == 1).mean() == pytest.approx(plan.type_p["white"], abs=0.02)
    drawn = many["quality_class"].value_counts(normalize=True)
    real_share = real["quality_class"].value_counts(normalize=True)
    for cls in real_share.index:
        assert drawn[cls] == pytest.approx(real_share[cls], abs=0.02)


def test_a_day_gives_the_same_wine_every_time() -> None:
    first, again = synthesize(DAY), synthesize(DAY)
    pd.testing.assert_frame_equal(first, again)
    assert len(first) == 1
    assert first["event_time"].iloc[0] == pd.Timestamp(day_start(DAY))
    feature_schema().validate(first)


def test_a_month_of_days_gives_distinct_wines() -> None:
    month = pd.concat([synthesize(DAY + timedelta(days=i)) for i in range(30)], ignore_index=True)
    assert not month.duplicated(list(PRIMARY_KEY)).any()
    assert month["event_time"].is_monotonic_increasing and month["event_time"].is_unique
    real_keys = load()[list(PRIMARY_KEY)]
    assert month.merge(real_keys, on=list(PRIMARY_KEY)).empty  # no daily wine overwrites a real one


def test_each_wine_is_the_mean_of_two_distinct_real_wines_of_its_type_and_quality() -> None:
    real = load()
    tol = np.array([0.5 * 10.0 ** -DECIMALS[c] for c in MEASUREMENTS]) * 2 + 1e-9
    for i in range(12):
        wine = synthesize(DAY + timedelta(days=i)).iloc[0]
        pool = real[(real["type_white"] == wine["type_white"])
                    & (real["quality"] == wine["quality"])][list(MEASUREMENTS)].to_numpy()
        target = 2 * wine[list(MEASUREMENTS)].to_numpy(dtype=float)
        # a + b == 2 * mean, up to the rounding of the mean (doubled); column by column to keep
        # memory at one n x n matrix
        hit = np.ones((len(pool), len(pool)), dtype=bool)
        for c in range(len(MEASUREMENTS)):
            hit &= np.abs(pool[:, None, c] + pool[None, :, c] - target[c]) <= tol[c]
        np.fill_diagonal(hit, False)  # two distinct wines
        assert hit.any(), f"day {i}: no pair of real wines averages to {wine.to_dict()}"


def test_rounding_keeps_keys_short_decimals(many: pd.DataFrame) -> None:
    for col, places in DECIMALS.items():
        assert np.allclose(many[col], many[col].round(places), rtol=0, atol=1e-12), col


def test_generate_is_reproducible_per_seed() -> None:
    pd.testing.assert_frame_equal(generate(50, seed=7), generate(50, seed=7))
    assert not generate(50, seed=7).equals(generate(50, seed=8))


def test_a_wine_card_is_drawn_for_the_dashboard(tmp_path: Path) -> None:
    wine = synthesize(DAY).iloc[0]
    assert SYSTEM.draw_item is not None
    out = SYSTEM.draw_item(wine, "fair", str(wine["quality_class"]), tmp_path / "latest.png")
    assert Path(out).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
