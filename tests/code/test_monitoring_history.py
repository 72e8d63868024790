"""Prediction history: newest-first table, correctness, accuracy per day and cumulative."""

from __future__ import annotations

import struct
from pathlib import Path

import pandas as pd
import pytest

from mlsys.errors import MlsysError, SchemaError
from mlsys.monitoring import (
    accuracy_over_time,
    accuracy_png,
    history_table_png,
    recent_history,
    with_correct,
)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def assert_real_png(path: Path) -> None:
    import matplotlib.image as mpimg

    png_size(path)
    assert mpimg.imread(path).std() > 0.02, f"{path} looks blank"


@pytest.fixture
def history() -> pd.DataFrame:
    """Six predictions over three days, out of time order; one label not known yet.

    Day 1 (2 Jan): right, wrong. Day 2 (3 Jan): right, right, unlabelled. Day 4 (5 Jan): wrong.
    """
    rows = [
        ("2024-01-03 09:00", 3, "Setosa", "Setosa", 1),
        ("2024-01-02 08:00", 1, "Setosa", "Setosa", 1),
        ("2024-01-05 07:00", 6, "Virginica", "Versicolor", 2),
        ("2024-01-02 20:00", 2, "Virginica", "Versicolor", 1),
        ("2024-01-03 10:00", 4, "Versicolor", "Versicolor", 1),
        ("2024-01-03 11:00", 5, "Setosa", None, 2),
    ]
    df = pd.DataFrame(rows, columns=["event_time", "id", "prediction", "label", "model_version"])
    df["event_time"] = pd.to_datetime(df["event_time"], utc=True)
    return df


def test_with_correct_compares_prediction_and_label(history: pd.DataFrame) -> None:
    out = with_correct(history).set_index("id")["correct"]
    assert bool(out[1])
    assert not bool(out[2]) and not bool(out[6])
    assert pd.isna(out[5])
    assert bool(out[3]) and bool(out[4])


def test_existing_correct_column_is_recomputed(history: pd.DataFrame) -> None:
    lying = history.assign(correct=True)
    assert not bool(with_correct(lying).set_index("id").loc[2, "correct"])


def test_recent_history_is_newest_first_and_limited(history: pd.DataFrame) -> None:
    recent = recent_history(history, n=4)
    assert list(recent["id"]) == [6, 5, 4, 3]
    assert list(recent_history(history, n=100)["id"]) == [6, 5, 4, 3, 2, 1]
    with pytest.raises(MlsysError, match="n must be at least 1"):
        recent_history(history, n=0)


def test_accuracy_over_time_by_day(history: pd.DataFrame) -> None:
    table = accuracy_over_time(history)
    assert list(table.columns) == ["date", "n", "correct", "accuracy", "cumulative_accuracy"]
    assert [d.strftime("%Y-%m-%d") for d in table["date"]] == [
        "2024-01-02", "2024-01-03", "2024-01-05"]  # the empty 4 January is left out
    assert list(table["n"]) == [2, 2, 1]  # the unlabelled prediction does not count
    assert list(table["correct"]) == [1, 2, 0]
    assert list(table["accuracy"]) == pytest.approx([0.5, 1.0, 0.0])
    assert list(table["cumulative_accuracy"]) == pytest.approx([1 / 2, 3 / 4, 3 / 5])


def test_accuracy_over_time_by_week_and_bad_freq(history: pd.DataFrame) -> None:
    weekly = accuracy_over_time(history, freq="W")
    # 2 Jan 2024 is a Tuesday: 2-5 January all fall in the week ending Sunday 7 January
    assert list(weekly["n"]) == [5]
    assert list(weekly["accuracy"]) == pytest.approx([3 / 5])
    with pytest.raises(MlsysError, match="not a pandas frequency"):
        accuracy_over_time(history, freq="fortnightly")


def test_accuracy_with_no_labels_is_empty(history: pd.DataFrame) -> None:
    table = accuracy_over_time(history.assign(label=None))
    assert table.empty
    assert list(table.columns) == ["date", "n", "correct", "accuracy", "cumulative_accuracy"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda df: df.drop(columns=["label"]), "label"),
        (lambda df: df.drop(columns=["event_time"]), "event_time"),
        (lambda df: df.assign(event_time="yesterday"), "is_datetime"),
        (lambda df: df.assign(prediction=1.5), "is_string"),
    ],
)
def test_bad_history_raises_schema_error(history: pd.DataFrame, change, fragment: str) -> None:
    with pytest.raises(SchemaError, match=fragment):
        accuracy_over_time(change(history))
    with pytest.raises(SchemaError, match=fragment):
        recent_history(change(history))


def test_history_table_png(history: pd.DataFrame, tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    full = history_table_png(history, tmp_path / "images" / "history.png", n=5)
    assert full == tmp_path / "images" / "history.png"
    assert_real_png(full)
    # the same n gives the same image size however many rows exist, even none
    few = history_table_png(history.head(2), tmp_path / "few.png", n=5)
    none = history_table_png(history.head(0), tmp_path / "none.png", n=5)
    assert png_size(full) == png_size(few) == png_size(none)
    assert_real_png(none)
    picked = history_table_png(history, tmp_path / "picked.png", columns=["id", "prediction"])
    assert_real_png(picked)
    with pytest.raises(SchemaError, match="no columns"):
        history_table_png(history, tmp_path / "bad.png", columns=["nope"])
    assert plt.get_fignums() == []
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_accuracy_png(history: pd.DataFrame, tmp_path: Path) -> None:
    path = accuracy_png(history, tmp_path / "accuracy.png")
    assert_real_png(path)
    single = accuracy_png(history.head(1), tmp_path / "one.png")
    empty = accuracy_png(history.assign(label=None), tmp_path / "empty.png")
    assert png_size(path) == png_size(single) == png_size(empty)
