"""Item pictures: iris flowers drawn to scale, predicted vs actual, and the wine card."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlsys.errors import SchemaError
from mlsys.systems.iris.flower import (
    FlowerSize,
    draw_flower,
    predicted_vs_actual_flower_png,
    variety_colours,
)
from mlsys.systems.wine.card import chemistry_rows, wine_card_png

SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
VIRGINICA = {"sepal_length": 7.7, "sepal_width": 3.8, "petal_length": 6.7, "petal_width": 2.2}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def assert_real_png(path: Path) -> None:
    import matplotlib.image as mpimg

    png_size(path)
    assert path.stat().st_size > 5_000
    assert mpimg.imread(path).std() > 0.02, f"{path} looks blank"


@pytest.mark.parametrize("flower", [SETOSA, VIRGINICA])
def test_flower_parts_are_the_measured_size(flower: dict[str, float]) -> None:
    fig = draw_flower(**flower, variety="Setosa")
    ax = fig.axes[0]
    sepals = [p for p in ax.patches if p.get_label() == "sepal"]
    petals = [p for p in ax.patches if p.get_label() == "petal"]
    assert len(sepals) == 3 and len(petals) == 3
    for parts, length, width in ((sepals, flower["sepal_length"], flower["sepal_width"]),
                                 (petals, flower["petal_length"], flower["petal_width"])):
        for part in parts:
            assert part.width == pytest.approx(length)
            assert part.height == pytest.approx(width)
            # each part starts at the centre of the flower: its own centre is half a length out
            assert math.hypot(*part.center) == pytest.approx(length / 2)
    # three sepals and three petals alternate every 60 degrees
    angles = sorted(p.angle % 360 for p in sepals + petals)
    assert np.diff(angles) == pytest.approx([60.0] * 5)


def test_flower_axes_are_to_scale_in_cm() -> None:
    fig = draw_flower(**VIRGINICA, variety="Virginica")
    ax = fig.axes[0]
    fig.canvas.draw()
    origin, one_x, one_y = ax.transData.transform([(0, 0), (1, 0), (0, 1)])
    # one cm is the same number of pixels across and up: shapes are not distorted
    assert one_x[0] - origin[0] == pytest.approx(one_y[1] - origin[1], rel=1e-6)
    low, high = ax.get_xlim()
    assert high >= VIRGINICA["sepal_length"] and low <= -VIRGINICA["sepal_length"]
    assert ax.get_xlabel() == "cm"
    assert "Virginica" in ax.get_title()


def test_colours_follow_the_variety() -> None:
    setosa = draw_flower(**SETOSA, variety="Setosa").axes[0]
    virginica = draw_flower(**SETOSA, variety="iris-virginica").axes[0]
    petal = next(p for p in setosa.patches if p.get_label() == "petal")
    other = next(p for p in virginica.patches if p.get_label() == "petal")
    assert petal.get_facecolor() != other.get_facecolor()
    assert variety_colours("SETOSA") == variety_colours("Setosa")
    assert variety_colours("Rose") != variety_colours("Setosa")


def test_draw_flower_to_png(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    first = draw_flower(**SETOSA, variety="Setosa", path=tmp_path / "setosa.png")
    second = draw_flower(**VIRGINICA, variety="Virginica", path=tmp_path / "virginica.png")
    assert first == tmp_path / "setosa.png"
    assert_real_png(first)
    assert png_size(first) == png_size(second)
    assert plt.get_fignums() == []


@pytest.mark.parametrize("actual", ["Virginica", "Versicolor", None])
def test_predicted_vs_actual_flower(tmp_path: Path, actual: str | None) -> None:
    row = pd.Series({**VIRGINICA, "variety": "Virginica", "id": 3})
    path = predicted_vs_actual_flower_png(row, "Virginica", actual, tmp_path / "today.png",
                                          title="2024-01-02")
    assert_real_png(path)


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({**SETOSA, "petal_width": -0.2}, "petal_width"),
        ({**SETOSA, "sepal_length": float("nan")}, "sepal_length"),
        ({**SETOSA, "sepal_width": "wide"}, "sepal_width"),
        ({**SETOSA, "petal_length": True}, "petal_length"),
    ],
)
def test_bad_measurements_raise_schema_error(values: dict[str, object], fragment: str) -> None:
    with pytest.raises(SchemaError, match=fragment):
        draw_flower(**values, variety="Setosa")  # type: ignore[arg-type]


def test_flower_row_must_hold_all_measurements(tmp_path: Path) -> None:
    row = {k: v for k, v in SETOSA.items() if k != "petal_width"}
    with pytest.raises(SchemaError, match="petal_width"):
        predicted_vs_actual_flower_png(row, "Setosa", "Setosa", tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
    assert FlowerSize.from_row(pd.Series(SETOSA)) == FlowerSize(**SETOSA)


def _wine(spaced: bool) -> dict[str, object]:
    wine = {"fixed acidity": 7.4, "volatile acidity": 0.7, "citric acid": 0.0,
            "residual sugar": 1.9, "chlorides": 0.076, "free sulfur dioxide": 11.0,
            "density": 0.9978, "pH": 3.51, "sulphates": 0.56, "alcohol": 9.4, "quality": 5}
    if not spaced:
        wine = {k.replace(" ", "_").lower(): v for k, v in wine.items()}
        wine["type_white"] = 0
    else:
        wine["type"] = "red"
    return wine


@pytest.mark.parametrize("spaced", [True, False])
def test_wine_card_reads_either_column_style(spaced: bool, tmp_path: Path) -> None:
    rows = dict((name, value) for name, value, _unit in chemistry_rows(_wine(spaced)))
    assert rows["alcohol"] == "9.4"
    assert rows["volatile acidity"] == "0.7"
    assert rows["pH"] == "3.51"
    assert "total sulfur dioxide" not in rows  # absent columns are simply not shown
    path = wine_card_png(pd.Series(_wine(spaced)), "fair", "fair", tmp_path / "wine.png")
    assert_real_png(path)


def test_wine_card_sizes_and_unknown_label(tmp_path: Path) -> None:
    known = wine_card_png(_wine(True), "excellent", "poor", tmp_path / "a.png")
    pending = wine_card_png(_wine(False), "fair", None, tmp_path / "b.png")
    assert png_size(known) == png_size(pending)


def test_wine_card_bad_input(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="alcohol"):
        chemistry_rows({**_wine(False), "alcohol": "strong"})
    with pytest.raises(SchemaError, match="none of the chemistry"):
        wine_card_png({"colour": "red"}, "fair", "fair", tmp_path / "x.png")
    with pytest.raises(SchemaError, match="dict or pandas Series"):
        chemistry_rows([1, 2, 3])
    assert not (tmp_path / "x.png").exists()
