"""Iris flowers drawn to scale from their four measurements, offline, with matplotlib."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsys.errors import SchemaError
from mlsys.monitoring._common import new_figure, save_png, verdict

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MEASUREMENTS = ("sepal_length", "sepal_width", "petal_length", "petal_width")

# (sepal colour, petal colour) per variety, after the real flowers: Setosa pale violet,
# Versicolor red-purple, Virginica blue-violet. Unknown names are drawn grey.
PALETTE: dict[str, tuple[str, str]] = {
    "setosa": ("#c2b1ea", "#6a4fb3"),
    "versicolor": ("#e2a6dc", "#9c3f97"),
    "virginica": ("#a9bdf0", "#2f4fa8"),
}
_UNKNOWN_COLOURS = ("#d0d0d0", "#808080")

# An iris has three sepals (the "falls", hanging down) and three petals (the "standards",
# upright), alternating every 60 degrees around the centre.
SEPAL_ANGLES = (270.0, 30.0, 150.0)
PETAL_ANGLES = (90.0, 210.0, 330.0)
# Half-width of the drawing in cm when no part is longer: every real flower (sepals up to
# 7.9 cm) fits, so pictures of different flowers share one scale and compare by eye.
MIN_EXTENT_CM = 8.5


@dataclass(frozen=True)
class FlowerSize:
    """The four measurements of an iris, in cm, each finite and positive."""

    sepal_length: float
    sepal_width: float
    petal_length: float
    petal_width: float

    def __post_init__(self) -> None:
        for name in MEASUREMENTS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SchemaError(f"{name} must be a number of cm, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise SchemaError(f"{name} must be a positive, finite size in cm, got {value!r}")

    @classmethod
    def of(cls, sepal_length: Any, sepal_width: Any, petal_length: Any,
           petal_width: Any) -> FlowerSize:
        """Build from any numeric scalars (NumPy included); anything else is a SchemaError."""
        values = []
        for name, value in zip(MEASUREMENTS, (sepal_length, sepal_width, petal_length,
                                              petal_width), strict=True):
            try:
                if isinstance(value, bool | str | bytes):
                    raise TypeError
                values.append(float(value))
            except (TypeError, ValueError):
                raise SchemaError(f"{name} must be a number of cm, got {value!r}") from None
        return cls(*values)

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | Any) -> FlowerSize:
        """From a dict or pandas Series holding the four measurement columns."""
        missing = [name for name in MEASUREMENTS if name not in row]
        if missing:
            present = list(row.keys()) if hasattr(row, "keys") else type(row).__name__
            raise SchemaError(f"flower row lacks {missing}; it has {present}")
        return cls.of(*(row[name] for name in MEASUREMENTS))

    def caption(self) -> str:
        return (f"sepal {self.sepal_length:.1f} × {self.sepal_width:.1f} cm   "
                f"petal {self.petal_length:.1f} × {self.petal_width:.1f} cm")


def variety_colours(variety: str | None) -> tuple[str, str]:
    """(sepal, petal) colours of ``variety``, matched case-insensitively ("Iris-setosa" too)."""
    key = (variety or "").strip().lower().removeprefix("iris-").removeprefix("iris ")
    return PALETTE.get(key, _UNKNOWN_COLOURS)


def draw_flower_on(ax: Axes, size: FlowerSize, variety: str | None,
                   heading: str | None = None) -> None:
    """Draw ``size`` to scale on ``ax``: axes in cm, equal aspect, 1 cm grid and a scale bar.

    Each sepal and petal is an ellipse whose long axis is the measured length and whose short
    axis is the measured width (patch ``width``/``height`` in cm, ``label`` "sepal"/"petal"),
    with its base at the centre of the flower.
    """
    from matplotlib.patches import Circle, Ellipse

    sepal_colour, petal_colour = variety_colours(variety)
    parts = [("sepal", size.sepal_length, size.sepal_width, sepal_colour, SEPAL_ANGLES, 1),
             ("petal", size.petal_length, size.petal_width, petal_colour, PETAL_ANGLES, 2)]
    for label, length, width, colour, angles, layer in parts:
        for angle in angles:
            rad = math.radians(angle)
            centre = (length / 2 * math.cos(rad), length / 2 * math.sin(rad))
            ax.add_patch(Ellipse(centre, width=length, height=width, angle=angle,
                                 facecolor=colour, edgecolor="0.2", linewidth=0.8,
                                 alpha=0.9, zorder=layer, label=label))
    ax.add_patch(Circle((0, 0), 0.25, facecolor="#f2c230", edgecolor="0.3", zorder=3,
                        label="centre"))

    extent = max(MIN_EXTENT_CM, size.sepal_length + 0.5, size.petal_length + 0.5)
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ticks = range(-math.floor(extent), math.floor(extent) + 1)
    ax.set_xticks(list(ticks), labels=[str(t) if t % 2 == 0 else "" for t in ticks])
    ax.set_yticks(list(ticks), labels=[str(t) if t % 2 == 0 else "" for t in ticks])
    ax.grid(True, color="0.88", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=7)
    ax.set_xlabel("cm", fontsize=8)
    ax.set_ylabel("cm", fontsize=8)
    # a 2 cm scale bar in the lower left corner, for readers who ignore the grid
    x0, y0 = -extent + 0.5, -extent + 0.6
    ax.plot([x0, x0 + 2], [y0, y0], color="black", linewidth=3, zorder=4,
            solid_capstyle="butt")
    ax.text(x0 + 1, y0 + 0.3, "2 cm", ha="center", va="bottom", fontsize=8, zorder=4)
    ax.set_title(heading or (variety or "unknown variety"), fontsize=12)
    ax.text(0.5, -0.16, size.caption(), ha="center", va="top", fontsize=8,
            transform=ax.transAxes)


def draw_flower(sepal_length: float, sepal_width: float, petal_length: float,
                petal_width: float, variety: str, path: str | os.PathLike[str] | None = None,
                *, title: str | None = None) -> Figure | Path:
    """An iris drawn to scale from its measurements (cm), coloured and titled by ``variety``.

    Returns the matplotlib ``Figure`` (not registered with pyplot, so it needs no closing;
    Gradio's ``gr.Plot`` shows it) or, with ``path``, writes a PNG there and returns the path.
    """
    size = FlowerSize.of(sepal_length, sepal_width, petal_length, petal_width)
    fig = new_figure(5.0, 5.6)
    draw_flower_on(fig.add_subplot(), size, variety, title or f"Iris {variety}")
    fig.subplots_adjust(left=0.1, right=0.95, bottom=0.14, top=0.92)
    if path is None:
        return fig
    return save_png(fig, path)


def predicted_vs_actual_flower_png(row: Mapping[str, Any] | Any, predicted: str,
                                   actual: str | None, path: str | os.PathLike[str],
                                   *, title: str | None = None) -> Path:
    """The same flower twice, side by side: coloured as predicted (left) and as it is (right).

    ``row`` is a dict or Series with the four measurements. ``actual=None`` means the label is
    not known yet. The headline says whether the prediction was right.
    """
    size = FlowerSize.from_row(row)
    fig = new_figure(9.0, 5.4)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    draw_flower_on(left, size, predicted, f"predicted: {predicted}")
    draw_flower_on(right, size, actual, f"actual: {actual or 'not known yet'}")
    headline, colour = verdict(predicted, actual)
    fig.suptitle(f"{title + ' — ' if title else ''}{headline}", color=colour, fontsize=13)
    fig.subplots_adjust(left=0.07, right=0.97, bottom=0.15, top=0.86, wspace=0.25)
    return save_png(fig, path)

