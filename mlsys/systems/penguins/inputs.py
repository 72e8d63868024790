"""What the penguins app asks for: four measurements (each may be left empty), island, sex."""

from __future__ import annotations

import functools

from mlsys.systems.base import FieldSpec
from mlsys.systems.penguins.data import BOUNDS, ISLANDS, MEASUREMENTS, SEXES, load

_LABELS = {"bill_length_mm": ("bill length", "mm"), "bill_depth_mm": ("bill depth", "mm"),
           "flipper_length_mm": ("flipper length", "mm"), "body_mass_g": ("body mass", "g")}


@functools.cache
def penguin_fields() -> tuple[FieldSpec, ...]:
    """The measurements in (0, physical bound], defaulting to the real medians, then the island
    and the sex. An empty measurement or sex is a gap the model imputes, as in the data."""
    real = load()
    numbers = tuple(
        FieldSpec(name, _LABELS[name][0], _LABELS[name][1], 0.0, BOUNDS[name],
                  include_min=False, default=float(real[name].median()), optional=True)
        for name in MEASUREMENTS)
    return (*numbers,
            FieldSpec("island", "island", choices=ISLANDS, default_choice=ISLANDS[0]),
            FieldSpec("sex", "sex", choices=SEXES, optional=True))
