"""A wine as a card image: its key chemistry and its predicted vs actual quality class."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlsys.errors import SchemaError
from mlsys.monitoring._common import new_figure, save_png, verdict

# The chemistry a card shows, in this order, with units (Cortez et al. 2009). Keys are
# normalised (lower case, spaces to underscores), so "fixed acidity" and "fixed_acidity" match.
CHEMISTRY: tuple[tuple[str, str, str], ...] = (
    ("alcohol", "alcohol", "% vol"),
    ("volatile_acidity", "volatile acidity", "g/L acetic acid"),
    ("sulphates", "sulphates", "g/L potassium sulphate"),
    ("citric_acid", "citric acid", "g/L"),
    ("fixed_acidity", "fixed acidity", "g/L tartaric acid"),
    ("residual_sugar", "residual sugar", "g/L"),
    ("chlorides", "chlorides", "g/L sodium chloride"),
    ("free_sulfur_dioxide", "free sulfur dioxide", "mg/L"),
    ("total_sulfur_dioxide", "total sulfur dioxide", "mg/L"),
    ("density", "density", "g/cm³"),
    ("ph", "pH", ""),
)
# Class colours: the three quality classes of the wine system; others are grey.
CLASS_COLOURS = {"poor": "#b5523b", "fair": "#c9a227", "excellent": "#3b7d3b"}


def _normalise(key: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(key).strip().lower())


def _wine_type(values: Mapping[str, Any]) -> str | None:
    """'red'/'white' from a ``type`` column or the one-hot ``type_white`` (1 = white)."""
    if isinstance(values.get("type"), str):
        return str(values["type"])
    flag = values.get("type_white")
    if flag is None or (isinstance(flag, float) and math.isnan(flag)):
        return None
    return "white" if int(flag) == 1 else "red"


def chemistry_rows(row: Mapping[str, Any] | Any) -> list[tuple[str, str, str]]:
    """(name, value, unit) for each known chemistry column present in ``row``, in card order."""
    if not hasattr(row, "keys"):
        raise SchemaError(f"a wine must be a dict or pandas Series, got {type(row).__name__}")
    values = {_normalise(k): row[k] for k in row.keys()}  # noqa: SIM118 - Series too
    shown = []
    for key, name, unit in CHEMISTRY:
        if key not in values:
            continue
        value = values[key]
        try:
            if isinstance(value, bool | str | bytes):
                raise TypeError
            number = float(value)
        except (TypeError, ValueError):
            raise SchemaError(f"wine {name} must be a number, got {value!r}") from None
        shown.append((name, f"{number:.4g}", unit))
    if not shown:
        raise SchemaError("the wine has none of the chemistry columns "
                          f"{[name for _, name, _ in CHEMISTRY]}; it has {list(values)}")
    return shown


def wine_card_png(row: Mapping[str, Any] | Any, predicted: str, actual: str | None,
                  path: str | os.PathLike[str], *, title: str = "Latest wine") -> Path:
    """Draw a card for one wine (dict or Series): chemistry table, predicted and actual class.

    ``actual=None`` means the quality is not known yet. Returns ``path``.
    """
    rows = chemistry_rows(row)
    values = {_normalise(k): row[k] for k in row.keys()}  # noqa: SIM118 - Series too
    wine_type = _wine_type(values)
    fig = new_figure(6.0, 6.2)
    heading = f"{title}{f' ({wine_type})' if wine_type else ''}"
    fig.text(0.5, 0.95, heading, ha="center", va="center", fontsize=14, weight="bold")

    # two class badges side by side, then the verdict beneath them
    for x, caption, value in ((0.27, "predicted", predicted), (0.73, "actual", actual)):
        colour = CLASS_COLOURS.get(str(value).lower(), "0.55") if value else "0.75"
        fig.text(x, 0.865, caption, ha="center", va="center", fontsize=10, color="0.3")
        fig.text(x, 0.81, value or "not known yet", ha="center", va="center", fontsize=13,
                 color="white", weight="bold",
                 bbox={"boxstyle": "round,pad=0.4", "facecolor": colour, "edgecolor": "none"})
    headline, colour = verdict(predicted, actual)
    fig.text(0.5, 0.745, headline, ha="center", va="center", fontsize=11, color=colour)

    from matplotlib.transforms import Bbox

    ax = fig.add_axes((0.06, 0.04, 0.88, 0.66))
    ax.set_axis_off()
    quality = values.get("quality")
    if quality is not None and not (isinstance(quality, float) and math.isnan(quality)):
        rows = [*rows, ("quality (0–10)", f"{float(quality):.3g}", "")]
    table = ax.table(cellText=rows, colLabels=["measurement", "value", "unit"],
                     colWidths=[0.4, 0.2, 0.4], loc="upper center", cellLoc="center",
                     bbox=Bbox.from_bounds(0.0, 1.0 - (len(rows) + 1) / 13, 1.0,
                                           (len(rows) + 1) / 13))
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    for (r, _c), cell in table.get_celld().items():
        cell.set_edgecolor("0.8")
        if r == 0:
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#eeeeee")
    return save_png(fig, path)
