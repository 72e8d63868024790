"""Confusion matrix of predictions: counts, classes shown and their order, bad input, the PNG."""

from __future__ import annotations

import struct
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlsys.errors import SchemaError
from mlsys.monitoring import confusion_matrix_frame, confusion_matrix_png

IRIS = ["Setosa", "Versicolor", "Virginica"]


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, after checking the PNG signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def assert_real_png(path: Path) -> None:
    """A valid PNG with visible content: not one flat colour."""
    import matplotlib.image as mpimg

    png_size(path)
    pixels = mpimg.imread(path)
    assert pixels.std() > 0.02, f"{path} looks blank"


def predictions(pairs: list[tuple[str | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["label", "prediction"])


def count_by_hand(pairs: list[tuple[str | None, str]]) -> Counter[tuple[str, str]]:
    return Counter((label, pred) for label, pred in pairs if label is not None)


def assert_matches(matrix: pd.DataFrame, pairs: list[tuple[str | None, str]]) -> None:
    expected = count_by_hand(pairs)
    for actual in matrix.index:
        for predicted in matrix.columns:
            assert matrix.loc[actual, predicted] == expected[(actual, predicted)], (
                actual, predicted)
    assert matrix.to_numpy().sum() == sum(expected.values())


def test_one_class_seen_so_far() -> None:
    pairs = [("Setosa", "Setosa")] * 3
    matrix = confusion_matrix_frame(predictions(pairs), classes=IRIS)
    assert list(matrix.index) == ["Setosa"] and list(matrix.columns) == ["Setosa"]
    assert matrix.loc["Setosa", "Setosa"] == 3


def test_two_classes_appear_through_either_column() -> None:
    # Virginica was only ever predicted, never the label: it must still get a row and column
    pairs = [("Setosa", "Setosa"), ("Setosa", "Virginica"), ("Setosa", "Setosa")]
    matrix = confusion_matrix_frame(predictions(pairs), classes=IRIS)
    assert list(matrix.index) == ["Setosa", "Virginica"]
    assert list(matrix.columns) == ["Setosa", "Virginica"]
    assert_matches(matrix, pairs)
    assert matrix.loc["Virginica"].sum() == 0


def test_three_classes_random_pairs_match_independent_count() -> None:
    rng = np.random.default_rng(7)
    pairs = [(str(rng.choice(IRIS)), str(rng.choice(IRIS))) for _ in range(200)]
    matrix = confusion_matrix_frame(predictions(pairs), classes=IRIS)
    assert list(matrix.index) == IRIS
    assert_matches(matrix, pairs)
    assert matrix.index.name == "actual" and matrix.columns.name == "predicted"
    assert all(dtype == np.int64 for dtype in matrix.dtypes)


def test_classes_order_is_respected_and_default_is_sorted() -> None:
    pairs = [("Virginica", "Setosa"), ("Versicolor", "Versicolor"), ("Setosa", "Virginica")]
    reverse = list(reversed(IRIS))
    matrix = confusion_matrix_frame(predictions(pairs), classes=reverse)
    assert list(matrix.index) == reverse and list(matrix.columns) == reverse
    assert_matches(matrix, pairs)
    shuffled = predictions(pairs).sample(frac=1, random_state=1)
    assert list(confusion_matrix_frame(shuffled).index) == sorted(IRIS)


def test_rows_without_a_label_are_not_counted() -> None:
    pairs = [("Setosa", "Setosa"), (None, "Virginica"), ("Versicolor", "Setosa")]
    matrix = confusion_matrix_frame(predictions(pairs), classes=IRIS)
    assert "Virginica" not in matrix.index
    assert_matches(matrix, pairs)


def test_custom_column_names() -> None:
    df = pd.DataFrame({"variety": ["Setosa", "Virginica"], "pred": ["Setosa", "Setosa"]})
    matrix = confusion_matrix_frame(df, label_col="variety", prediction_col="pred")
    assert matrix.loc["Virginica", "Setosa"] == 1


def test_no_predictions_gives_empty_matrix() -> None:
    matrix = confusion_matrix_frame(predictions([]), classes=IRIS)
    assert matrix.shape == (0, 0)


@pytest.mark.parametrize(
    ("frame", "fragment"),
    [
        (pd.DataFrame({"label": ["Setosa"]}), "prediction"),
        (pd.DataFrame({"label": ["Setosa"], "prediction": [1]}), "is_string"),
        (pd.DataFrame({"label": ["Setosa"], "prediction": [None]}), "prediction"),
    ],
)
def test_bad_frames_raise_schema_error(frame: pd.DataFrame, fragment: str) -> None:
    with pytest.raises(SchemaError, match=fragment):
        confusion_matrix_frame(frame)


def test_class_outside_the_given_list_is_an_error() -> None:
    with pytest.raises(SchemaError, match="Rose"):
        confusion_matrix_frame(predictions([("Rose", "Setosa")]), classes=IRIS)


def test_not_a_dataframe_is_an_error() -> None:
    with pytest.raises(SchemaError, match="DataFrame"):
        confusion_matrix_frame([("Setosa", "Setosa")])  # type: ignore[arg-type]


def test_png_from_predictions_and_from_matrix(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    pairs = [("Setosa", "Setosa"), ("Virginica", "Versicolor"), ("Versicolor", "Versicolor")]
    first = confusion_matrix_png(predictions(pairs), tmp_path / "a" / "cm.png", classes=IRIS)
    assert first == tmp_path / "a" / "cm.png"
    assert_real_png(first)
    matrix = confusion_matrix_frame(predictions(pairs[:1]), classes=IRIS)
    second = confusion_matrix_png(matrix, tmp_path / "cm1.png")
    assert_real_png(second)
    # the image size does not depend on how many classes are shown
    assert png_size(first) == png_size(second)
    # nothing left behind: no temporary files, no figures registered with pyplot
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["cm.png"]
    assert plt.get_fignums() == []


def test_png_overwrites_atomically_and_handles_no_predictions(tmp_path: Path) -> None:
    target = tmp_path / "cm.png"
    target.write_bytes(b"old")
    confusion_matrix_png(predictions([]), target)
    assert_real_png(target)
    assert [p.name for p in tmp_path.iterdir()] == ["cm.png"]


def test_png_rejects_a_frame_that_is_neither(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="square count matrix"):
        confusion_matrix_png(pd.DataFrame({"a": [1], "b": [2]}), tmp_path / "x.png")
    negative = pd.DataFrame([[1, -1], [0, 2]], index=["a", "b"], columns=["a", "b"])
    with pytest.raises(SchemaError, match="non-negative"):
        confusion_matrix_png(negative, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("dtype", [object, "string", "category"])
def test_any_string_dtype_the_store_returns_is_accepted(dtype: object) -> None:
    pairs = [("Setosa", "Setosa"), ("Virginica", "Setosa"), (None, "Versicolor")]
    frame = predictions(pairs).astype(dtype)
    matrix = confusion_matrix_frame(frame, classes=IRIS)
    assert_matches(matrix, pairs)
