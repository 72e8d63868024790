"""Wine Quality real data: cleaning figures checked against plain pandas, schema and GE suite."""

from __future__ import annotations

import hashlib
import json
import math
from importlib import resources

import pandas as pd
import pandera.errors
import pytest

from mlsys.systems import get_system
from mlsys.systems.base import REFERENCE_TIME
from mlsys.systems.wine import SYSTEM
from mlsys.systems.wine.data import (
    CLASSES,
    COLUMNS,
    FEATURES,
    PRIMARY_KEY,
    clean,
    clean_result,
    feature_schema,
    load,
    read_raw,
)
from mlsys.systems.wine.eda import SUITE_MARGIN, SUITE_PATH, build_suite, key_counts, suite_text
from mlsys.validation.engine import validate_frame
from mlsys.validation.suite_io import load_suite_file

KEY10 = ["fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
         "free sulfur dioxide", "density", "pH", "sulphates", "alcohol"]
KEY11 = [*KEY10, "total sulfur dioxide"]


@pytest.fixture(scope="module")
def csv() -> pd.DataFrame:
    """The shipped CSV read by plain pandas, independently of mlsys's reader."""
    with resources.files("mlsys").joinpath("data/wine.csv").open("rb") as fh:
        return pd.read_csv(fh)


@pytest.fixture(scope="module")
def complete(csv: pd.DataFrame) -> pd.DataFrame:
    return csv.dropna()


def test_shipped_copy_is_the_documented_file() -> None:
    data = resources.files("mlsys").joinpath("data/wine.csv").read_bytes()
    assert hashlib.md5(data).hexdigest() == "d1088fe0cd8f22710ec202dcf4d9ba97"
    readme = resources.files("mlsys").joinpath("data/README.md").read_text(encoding="utf-8")
    assert "Cortez" in readme and "CC BY 4.0" in readme


def test_system_spec() -> None:
    s = get_system("wine")
    assert s is SYSTEM
    assert (s.name, s.feature_group, s.version, s.label, s.event_time) == (
        "wine", "wine", 1, "quality_class", "event_time")
    assert s.classes == ("poor", "fair", "excellent")
    assert (s.suite_file, s.model_name, s.predictions_group) == (
        "wine.json", "wine_model", "wine_predictions")
    # key and features are stored columns; the model never sees the label or raw quality
    assert set(s.primary_key) <= set(COLUMNS) and set(s.features) <= set(COLUMNS)
    assert not {"quality", "quality_class", "event_time"} & set(s.features)


def test_missing_share_per_type_matches_pandas(csv: pd.DataFrame) -> None:
    r = clean_result()
    for t in ("red", "white"):
        rows = csv[csv["type"] == t]
        assert r.rows_by_type[t] == len(rows)
        assert r.missing_share_by_type[t] == pytest.approx(rows.isna().any(axis=1).mean())
    # the expected figures, in percent
    assert round(100 * r.missing_share_by_type["white"], 2) == 0.57
    assert round(100 * r.missing_share_by_type["red"], 2) == 0.38


def test_duplicates_collapse_to_one_row_per_wine(complete: pd.DataFrame) -> None:
    r = clean_result()
    distinct = complete.drop_duplicates(KEY10)
    assert r.complete_rows == len(complete) == 6463
    assert r.wines == len(distinct) == len(r.frame) == 5286  # the figures
    assert r.rows_collapsed == len(complete) - len(distinct)
    assert r.duplicate_groups == int((complete.groupby(KEY10).size() > 1).sum())
    assert not r.frame.duplicated(list(PRIMARY_KEY)).any()


def test_key_choice_measured_on_both_column_sets(complete: pd.DataFrame) -> None:
    eleven, ten = key_counts()
    assert eleven.distinct == complete.drop_duplicates(KEY11).shape[0]
    assert ten.distinct == complete.drop_duplicates(KEY10).shape[0]
    assert ten.columns == PRIMARY_KEY and "total_sulfur_dioxide" not in PRIMARY_KEY
    for k, cols in ((eleven, KEY11), (ten, KEY10)):
        g = complete.groupby(cols)
        assert k.multi_quality == int((g["quality"].nunique() > 1).sum()) == 0
        assert k.red_and_white == int((g["type"].nunique() > 1).sum()) == 2


def test_red_white_pairs_are_kept_as_white(complete: pd.DataFrame) -> None:
    r = clean_result()
    both = complete.groupby(KEY10)["type"].nunique().loc[lambda s: s > 1]
    assert r.red_white_pairs == len(both) == 2
    assert set(r.red_white_keys) == {tuple(float(v) for v in k) for k in both.index}
    keyed = r.frame.set_index(list(PRIMARY_KEY))
    for key in r.red_white_keys:
        assert keyed.loc[key, "type_white"] == 1


def test_every_wine_keeps_its_quality_and_type(complete: pd.DataFrame) -> None:
    raw = complete.rename(columns=dict(zip(KEY10, PRIMARY_KEY, strict=True)))
    raw = raw.assign(type_white=(raw["type"] == "white").astype("int64"))
    merged = raw.merge(load(), on=list(PRIMARY_KEY), suffixes=("_raw", ""), validate="many_to_one")
    assert len(merged) == len(complete)
    assert (merged["quality_raw"] == merged["quality"]).all()
    mismatched = merged[merged["type_white_raw"] != merged["type_white"]]
    assert set(map(tuple, mismatched[list(PRIMARY_KEY)].to_numpy())) <= set(
        clean_result().red_white_keys)


def test_features_and_label(complete: pd.DataFrame) -> None:
    f = load()
    assert list(f.columns) == list(COLUMNS)
    expected = pd.cut(f["quality"], [-1, 4, 6, 10], labels=["poor", "fair", "excellent"])
    assert (f["quality_class"] == expected.astype(str)).all()
    assert set(f["quality_class"]) == set(CLASSES)
    assert set(f["type_white"]) == {0, 1}
    assert (f["event_time"] == pd.Timestamp(REFERENCE_TIME)).all()
    assert "total_sulfur_dioxide" not in f.columns


def test_cleaning_is_deterministic_and_order_free() -> None:
    raw = read_raw()
    first = clean(raw).frame
    shuffled = clean(raw.sample(frac=1.0, random_state=3)).frame
    pd.testing.assert_frame_equal(first, shuffled)
    pd.testing.assert_frame_equal(first, load())


def test_conflicting_qualities_resolve_to_the_mode_then_the_lowest() -> None:
    raw = read_raw().dropna().head(1)
    rows = pd.concat([raw.assign(quality=q) for q in (5, 7, 7, 4)] +
                     [raw.assign(quality=q, fixed_acidity=1.0) for q in (6, 4)], ignore_index=True)
    r = clean(rows)
    assert r.conflicting_quality == 2 and r.wines == 2
    by_acidity = r.frame.set_index("fixed_acidity")["quality"]
    assert by_acidity[1.0] == 4  # tie 6/4 -> the lower
    assert by_acidity[raw["fixed_acidity"].iloc[0]] == 7  # the most frequent


def test_schema_accepts_real_rows() -> None:
    f = load()
    pd.testing.assert_frame_equal(feature_schema().validate(f), f)


BAD_ROWS = {
    "negative": {"chlorides": -0.1},
    "class disagrees with quality": {"quality": 9},
    "null": {"alcohol": float("nan")},
    "extra column": {"total_sulfur_dioxide": 100.0},
    "naive time": {"event_time": pd.Timestamp("2000-01-01")},
    "type not 0/1": {"type_white": 2},
    "unknown class": {"quality_class": "great"},
    "class in another case": {"quality_class": "Fair"},
}


@pytest.mark.parametrize("change", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_schema_refuses_bad_rows(change: dict[str, object]) -> None:
    with pytest.raises((pandera.errors.SchemaError, pandera.errors.SchemaErrors)):
        feature_schema().validate(load().head(3).assign(**change))


def test_schema_names_the_class_set_for_a_bad_label() -> None:
    bad = load().head(3).assign(quality_class=["fair", "great", "fair"])
    with pytest.raises(pandera.errors.SchemaError) as err:
        feature_schema().validate(bad)
    assert "('poor', 'fair', 'excellent')" in str(err.value) and "great" in str(err.value)


def test_suite_file_is_the_documented_build() -> None:
    assert SUITE_PATH.read_text(encoding="utf-8") == suite_text()
    suite = load_suite_file("wine.json")
    assert suite.name == "wine" and "10%" in suite.meta["margin"]
    real = load()
    ranges = {e.kwargs["column"]: e.kwargs for e in suite.expectations
              if e.type == "expect_column_values_to_be_between"}
    assert set(ranges) == set(FEATURES) - {"type_white"}
    for col, kw in ranges.items():
        lo, hi = real[col].min(), real[col].max()
        pad = SUITE_MARGIN * (hi - lo)
        assert kw["max_value"] == pytest.approx(hi + pad, abs=1e-6)
        assert kw["min_value"] == pytest.approx(max(0.0, lo - pad), abs=1e-6)
    sets = {e.kwargs["column"]: e.kwargs["value_set"] for e in suite.expectations
            if e.type == "expect_column_values_to_be_in_set"}
    assert sets == {"type_white": [0, 1], "quality": list(range(3, 10)),
                    "quality_class": list(CLASSES)}
    nonnull = {e.kwargs["column"] for e in suite.expectations
               if e.type == "expect_column_values_to_not_be_null"}
    assert nonnull == set(COLUMNS)
    assert json.loads(SUITE_PATH.read_text())["name"] == "wine"


def test_suite_passes_on_every_real_row() -> None:
    report = validate_frame(load(), load_suite_file("wine.json"))
    assert report.success, report.describe_failures()
    assert report.row_count == 5286


def test_suite_refuses_out_of_range_and_unknown_class() -> None:
    f = load().head(20).copy()
    f.loc[0, "alcohol"] = 40.0
    f.loc[1, "quality_class"] = "superb"
    f.loc[2, "quality"] = 10
    report = validate_frame(f, build_suite())
    failed = {(r.expectation_type, r.column) for r in report.failures}
    assert failed == {("expect_column_values_to_be_between", "alcohol"),
                      ("expect_column_values_to_be_in_set", "quality_class"),
                      ("expect_column_values_to_be_in_set", "quality")}
    assert math.isclose(report.statistics["unsuccessful_expectations"], 3)
