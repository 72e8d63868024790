"""Feature drift: the rule on same, shifted and small samples; PSI by hand; bad input; the PNG."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlsys.errors import SchemaError
from mlsys.monitoring import (
    DriftReport,
    DriftThresholds,
    drift_png,
    feature_drift,
    population_stability_index,
)
from mlsys.monitoring.drift import PSI_EPSILON, psi_bins


def assert_real_png(path: Path) -> tuple[int, int]:
    import matplotlib.image as mpimg

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert mpimg.imread(path).std() > 0.02, f"{path} looks blank"
    return struct.unpack(">II", data[16:24])


def sample(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x": rng.normal(10 + shift, 2, n),
        "y": rng.uniform(0, 1, n),
        "k": rng.integers(0, 5, n),  # an integer feature counts as numeric
    })


def test_same_distribution_is_not_drifted() -> None:
    report = feature_drift(sample(400, 1), sample(200, 2), ["x", "y", "k"])
    assert isinstance(report, DriftReport)
    assert report.drifted == [] and report.insufficient == []
    assert not report.any_drift
    assert list(report.frame["status"]) == ["ok", "ok", "ok"]
    assert (report.frame["psi"] < 0.2).all()


def test_shifted_mean_is_drifted_and_only_there() -> None:
    current = sample(100, 2, shift=2.0)  # one standard deviation up, on x only
    report = feature_drift(sample(400, 1), current, ["x", "y"])
    assert report.drifted == ["x"]
    assert report.status("x") == "drifted" and report.status("y") == "ok"
    row = report.frame.set_index("feature").loc["x"]
    assert row["ks_pvalue"] < 0.01 and row["psi"] > 0.2
    assert row["current_mean"] == pytest.approx(current["x"].mean())
    assert row["current_std"] == pytest.approx(current["x"].std(ddof=1))
    with pytest.raises(SchemaError, match="not in this drift report"):
        report.status("z")


def test_small_samples_are_insufficient_not_drifted() -> None:
    far_away = sample(4, 3, shift=50.0)
    report = feature_drift(sample(400, 1), far_away, ["x"])
    assert report.drifted == [] and report.insufficient == ["x"]
    assert report.status("x") == "insufficient data"
    assert report.frame.loc[0, "n_current"] == 4
    assert math.isnan(report.frame.loc[0, "psi"])


def test_missing_values_are_dropped_before_counting() -> None:
    current = sample(10, 4)
    current.loc[:6, "x"] = np.nan  # 7 of 10 missing leaves 3 values
    report = feature_drift(sample(100, 1), current, ["x", "y"])
    assert report.insufficient == ["x"]
    assert report.frame.set_index("feature").loc["y", "n_current"] == 10


def test_psi_needs_enough_rows_to_vote() -> None:
    # 20 shifted rows, with KS silenced: the large PSI alone does not vote below 30 rows ...
    reference, current = sample(400, 1), sample(20, 5, shift=2.0)
    lax = DriftThresholds(ks_alpha=1e-12)
    row = feature_drift(reference, current, ["x"], thresholds=lax).frame.iloc[0]
    assert row["psi"] > 0.2, "the setup should give a large PSI"
    assert row["ks_pvalue"] > 1e-12
    assert row["status"] == "ok"
    # ... and does once the minimum is lowered to the sample size
    eager = DriftThresholds(ks_alpha=1e-12, psi_min_samples=20)
    assert feature_drift(reference, current, ["x"], thresholds=eager).drifted == ["x"]


def test_psi_matches_a_hand_computation() -> None:
    reference = np.arange(100.0)  # quartile edges at 24.75, 49.5, 74.25: 25 values per bin
    current = np.array([0.0] * 50 + [99.0] * 50)  # half in the first bin, half in the last
    expected = 2 * (0.5 - 0.25) * math.log(0.5 / 0.25) + \
        2 * (PSI_EPSILON - 0.25) * math.log(PSI_EPSILON / 0.25)
    assert population_stability_index(reference, current, bins=4) == pytest.approx(expected)
    assert population_stability_index(reference, reference, bins=4) == pytest.approx(0.0)
    # values beyond the reference range land in the outer bins rather than vanishing
    beyond = np.array([-1000.0] * 50 + [1000.0] * 50)
    assert population_stability_index(reference, beyond, bins=4) == pytest.approx(expected)


def test_psi_on_a_constant_reference_still_sees_a_shift() -> None:
    assert population_stability_index([1.0] * 50, [1.0] * 50) == pytest.approx(0.0)
    assert population_stability_index([1.0] * 50, [2.0] * 50) > 1.0


def test_psi_bins_grow_with_the_sample() -> None:
    assert [psi_bins(n) for n in (5, 30, 60, 100, 1000)] == [2, 2, 3, 5, 10]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda df: df.drop(columns=["y"]), r"missing column\(s\) 'y'"),
        (lambda df: df.assign(y="high"), "is_numeric"),
    ],
)
def test_bad_input_raises_schema_error(change, fragment: str) -> None:
    with pytest.raises(SchemaError, match=fragment):
        feature_drift(sample(50, 1), change(sample(50, 2)), ["x", "y"])
    with pytest.raises(SchemaError, match="reference"):
        feature_drift(change(sample(50, 1)), sample(50, 2), ["x", "y"])


def test_features_must_be_a_list() -> None:
    with pytest.raises(SchemaError, match="non-empty list"):
        feature_drift(sample(50, 1), sample(50, 2), "x")
    with pytest.raises(SchemaError, match="non-empty list"):
        feature_drift(sample(50, 1), sample(50, 2), [])


def test_drift_on_real_wine_types() -> None:
    # red and white wines differ a lot in total sulfur dioxide (white is far higher)
    wine = pd.read_csv(Path(__file__).parents[2] / "mlsys" / "data" / "wine.csv")
    red, white = wine[wine["type"] == "red"], wine[wine["type"] == "white"]
    report = feature_drift(white, red, ["total sulfur dioxide", "alcohol"])
    assert "total sulfur dioxide" in report.drifted


def test_drift_png(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    reference, current = sample(300, 1), sample(60, 2, shift=2.0)
    path = drift_png(reference, current, ["x", "y", "k"], tmp_path / "drift.png")
    assert path == tmp_path / "drift.png"
    size = assert_real_png(path)
    # a precomputed report gives the same picture; few rows still draw
    report = feature_drift(reference, current, ["x", "y", "k"])
    again = drift_png(reference, current, ["x", "y", "k"], tmp_path / "again.png", report=report)
    assert assert_real_png(again) == size
    assert again.read_bytes() == path.read_bytes()
    assert_real_png(drift_png(reference, current.head(3), ["x"], tmp_path / "few.png"))
    assert plt.get_fignums() == []
