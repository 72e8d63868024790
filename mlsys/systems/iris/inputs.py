"""What the Iris app asks for: the four measurements, checked, and one real flower per variety."""

from __future__ import annotations

import functools

from mlsys.systems.base import FieldSpec
from mlsys.systems.iris.data import BOUNDS, CLASSES, FEATURES, LABEL, load


@functools.cache
def iris_fields() -> tuple[FieldSpec, ...]:
    """The four measurements, each in (0, physical bound] cm, defaulting to the real median."""
    real = load()
    return tuple(
        FieldSpec(name, name.replace("_", " "), "cm", 0.0, BOUNDS[name], include_min=False,
                  default=round(float(real[name].median()), 1))
        for name in FEATURES
    )


def iris_examples() -> dict[str, list[float]]:
    """One real flower per variety (variety -> measurements): the one nearest its variety's
    median measurements."""
    real = load()
    features = list(FEATURES)
    out = {}
    for variety in CLASSES:
        flowers = real.loc[real[LABEL] == variety, features]
        distance = ((flowers - flowers.median()) ** 2).sum(axis=1)
        nearest = flowers.iloc[int(distance.to_numpy().argmin())]
        out[variety] = [float(v) for v in nearest]
    return out
