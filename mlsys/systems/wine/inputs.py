"""What the Wine app asks for: the type and the chemistry, in the ranges of the real wines."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from mlsys.errors import SchemaError
from mlsys.systems.base import FieldSpec
from mlsys.systems.wine.card import CHEMISTRY
from mlsys.systems.wine.data import MEASUREMENTS, load

if TYPE_CHECKING:
    import pandas as pd

WINE_TYPES = ("red", "white")


def wine_fields_from(real: pd.DataFrame) -> tuple[FieldSpec, ...]:
    """The numeric wine inputs: bounds are the range of ``real``, defaults its medians."""
    names = {key: (label, unit) for key, label, unit in CHEMISTRY}
    fields = []
    for name in MEASUREMENTS:
        label, unit = names.get(name, (name.replace("_", " "), ""))
        column = real[name].astype("float64")
        fields.append(FieldSpec(name, label, unit, float(column.min()), float(column.max()),
                                default=float(column.median())))
    return tuple(fields)


@functools.cache
def wine_fields() -> tuple[FieldSpec, ...]:
    """:func:`wine_fields_from` the real wines shipped with mlsys (computed once)."""
    return wine_fields_from(load())


@functools.cache
def app_inputs() -> tuple[FieldSpec, ...]:
    """Every input of the app in its order: the wine type (a choice), then the chemistry."""
    kind = FieldSpec("type", "wine type", choices=WINE_TYPES, default_choice="white")
    return (kind, *wine_fields())


def wine_type_flag(wine_type: Any) -> int:
    """``type_white`` of a wine type: "white" -> 1, "red" -> 0 (case-insensitive)."""
    text = str(wine_type).strip().lower() if wine_type is not None else ""
    if text not in WINE_TYPES:
        raise SchemaError(f"wine type must be one of {list(WINE_TYPES)}; got {wine_type!r}")
    return int(text == "white")
