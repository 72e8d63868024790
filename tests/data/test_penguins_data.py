"""The penguins feature frame: the real penguins with their gaps, schema, suite and generator."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from mlsys.errors import SchemaError
from mlsys.systems import SYSTEMS, get_system
from mlsys.systems.base import REFERENCE_TIME, day_start
from mlsys.systems.penguins import SYSTEM
from mlsys.systems.penguins.data import (
    BOUNDS,
    CLASSES,
    COLUMNS,
    FEATURES,
    ISLANDS,
    MEASUREMENTS,
    SEXES,
    day_key,
    generate,
    schema,
    synthesize,
)
from mlsys.validation.engine import validate_frame
from mlsys.validation.schemas import check_frame
from mlsys.validation.types import ExpectationSuite


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return SYSTEM.load()


@pytest.fixture(scope="module")
def source() -> list[dict[str, str]]:
    """The CSV inside the palmerpenguins package, read here with the csv module (not pandas)."""
    text = resources.files("palmerpenguins").joinpath("data/penguins.csv").read_text()
    return list(csv.DictReader(text.splitlines()))


@pytest.fixture(scope="module")
def suite() -> ExpectationSuite:
    return SYSTEM.suite()


def test_the_registry_lists_and_returns_the_penguins_spec() -> None:
    assert "penguins" in SYSTEMS.names()
    system = get_system("penguins")
    assert system is SYSTEM
    assert system.primary_key == ("penguin_id",) and system.label == "species"
    assert system.features == FEATURES and system.classes == CLASSES
    assert system.categorical == ("island", "sex")
    assert system.numeric_features == MEASUREMENTS
    assert (system.model_name, system.predictions_group) == ("penguins_model",
                                                             "penguins_predictions")


def test_real_data_is_every_penguin_of_the_package_keyed_by_row(
        real: pd.DataFrame, source: list[dict[str, str]]) -> None:
    assert len(real) == len(source) == 344
    assert list(real.columns) == list(COLUMNS)
    assert real["penguin_id"].tolist() == list(range(344))
    assert (real["event_time"] == REFERENCE_TIME).all()
    for i in (0, 3, 100, 271, 343):  # spot rows against the CSV as published
        row = source[i]
        assert real.at[i, "species"] == row["species"] and real.at[i, "island"] == row["island"]
        for name in MEASUREMENTS:
            want = float(row[name]) if row[name] != "NA" else None
            got = real.at[i, name]
            assert (np.isnan(got) if want is None else got == want), (i, name)
        assert (pd.isna(real.at[i, "sex"]) if row["sex"] == "NA"
                else real.at[i, "sex"] == row["sex"])


def test_gaps_are_kept_as_missing_values_not_dropped_or_invented(
        real: pd.DataFrame, source: list[dict[str, str]]) -> None:
    no_sex = sum(row["sex"] == "NA" for row in source)
    no_bill = sum(row["bill_length_mm"] == "NA" for row in source)
    assert (no_sex, no_bill) == (11, 2)
    assert int(real["sex"].isna().sum()) == no_sex
    assert int(real["bill_length_mm"].isna().sum()) == no_bill
    assert not real[["species", "island"]].isna().any().any()
    # a missing sex is missing, never the text "nan" or "None"
    assert set(real["sex"].dropna()) == set(SEXES)
    assert set(real["island"]) == set(ISLANDS) and set(real["species"]) == set(CLASSES)
    assert "2 without measurements, 11 without a recorded sex" in SYSTEM.describe_load()


def test_load_returns_a_copy_the_caller_may_change(real: pd.DataFrame) -> None:
    mine = SYSTEM.load()
    mine.loc[0, "species"] = "Emperor"
    assert SYSTEM.load().at[0, "species"] == real.at[0, "species"] != "Emperor"


@pytest.mark.parametrize(("column", "value", "words"), [
    ("bill_length_mm", -1.0, "bill_length_mm"),
    ("body_mass_g", 20_000.0, "body_mass_g"),
    ("island", "Atlantis", "island"),
    ("sex", "unknown", "sex"),
    ("species", "Emperor", "species"),
])
def test_schema_refuses_impossible_values(real: pd.DataFrame, column: str, value: object,
                                          words: str) -> None:
    bad = real.head(5).copy()
    bad[column] = bad[column].astype(object)
    bad.loc[2, column] = value
    with pytest.raises(SchemaError, match=words):
        check_frame(schema(), bad, "bad penguins")


def test_schema_refuses_a_missing_species_or_a_repeated_key(real: pd.DataFrame) -> None:
    no_label = real.head(3).copy()
    no_label.loc[1, "species"] = np.nan
    with pytest.raises(SchemaError, match="species"):
        check_frame(schema(), no_label, "unlabelled")
    twice = pd.concat([real.head(2), real.head(1)], ignore_index=True)
    with pytest.raises(SchemaError, match="penguin_id"):
        check_frame(schema(), twice, "repeated")


def test_suite_passes_the_real_data_and_its_bounds_equal_the_schema(
        real: pd.DataFrame, suite: ExpectationSuite) -> None:
    assert validate_frame(real, suite).success
    between = {e.kwargs["column"]: e.kwargs["max_value"] for e in suite.expectations
               if e.type == "expect_column_values_to_be_between"
               and e.kwargs["column"] in MEASUREMENTS}
    assert between == BOUNDS
    assert SYSTEM.suite_dir is not None and (SYSTEM.suite_dir / SYSTEM.suite_file).is_file()


def test_suite_fails_impossible_rows(real: pd.DataFrame, suite: ExpectationSuite) -> None:
    bad = real.copy()
    bad["island"] = bad["island"].astype(object)
    bad.loc[5, "island"] = "Atlantis"
    bad.loc[6, "flipper_length_mm"] = 900.0
    report = validate_frame(bad, suite)
    assert not report.success
    failed = report.describe_failures()
    assert "island" in failed and "flipper_length_mm" in failed


def test_generated_penguins_fit_schema_and_suite_and_keep_the_gaps(
        real: pd.DataFrame, suite: ExpectationSuite) -> None:
    made = generate(3000, seed=3)
    check_frame(schema(keyed=False), made, "generated")
    assert list(made.columns) == [*FEATURES, "species"]
    shares = made["species"].value_counts(normalize=True)
    real_shares = real["species"].value_counts(normalize=True)
    for species in CLASSES:
        assert shares[species] == pytest.approx(real_shares[species], abs=0.04)
    assert 0 < made["sex"].isna().mean() < 0.08  # missing about as often as in the data
    # measurements stay species-typical: Gentoo flippers are longer than Adelie ones
    flippers = made.groupby("species")["flipper_length_mm"].median()
    assert flippers["Gentoo"] > flippers["Adelie"] + 15
    keyed = made.assign(penguin_id=np.arange(3000, dtype="int64") + 10_000_000,
                        event_time=pd.Timestamp("2026-01-01", tz="UTC"))
    assert validate_frame(keyed, suite).success
    assert generate(5, seed=3).equals(generate(5, seed=3))
    assert not generate(5, seed=3).equals(generate(5, seed=4))


def test_synthetic_penguin_of_a_day_is_keyed_by_the_day_and_repeatable() -> None:
    day = date(2026, 3, 9)
    first = synthesize(day)
    assert len(first) == 1 and list(first.columns) == list(COLUMNS)
    assert first.at[0, "penguin_id"] == day_key(day) == 20260309
    assert first.at[0, "event_time"] == day_start(day)
    assert synthesize(day).equals(first)
    assert synthesize(day, attempt=3).equals(first)  # the key is the day: no redraw needed
    days = pd.concat([synthesize(day + timedelta(days=k)) for k in range(20)])
    assert days["penguin_id"].is_unique
    assert days[list(MEASUREMENTS)].notna().any(axis=1).any()
