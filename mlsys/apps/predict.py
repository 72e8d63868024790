"""Online prediction for the apps: input checks with readable errors, then the served model.

Pure functions (no gradio, no store): the apps call them per request, the benchmarks time them.
A bad input raises :class:`~mlsys.errors.SchemaError` naming the field and its allowed range; the
apps turn it into a ``gr.Error``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlsys.errors import SchemaError

if TYPE_CHECKING:
    from mlsys.serving import LoadedModel

WINE_TYPES = ("red", "white")


def _shown(value: Any, limit: int = 40) -> str:
    """``repr(value)``, cut short: a 400-digit number or a long text would swamp the message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


@dataclass(frozen=True)
class FieldSpec:
    """One numeric model input as the UI shows it: name, label, unit, allowed range, default."""

    name: str  # the model feature, e.g. "sepal_length"
    label: str  # what the user reads, e.g. "sepal length"
    unit: str
    minimum: float
    maximum: float
    include_min: bool = True  # False: the minimum itself is not allowed (a size of 0 cm)
    default: float | None = None

    @property
    def allowed(self) -> str:
        """The allowed range in words, e.g. "greater than 0 and at most 16 cm"."""
        unit = f" {self.unit}" if self.unit else ""
        if self.include_min:
            return f"between {self.minimum:g} and {self.maximum:g}{unit}"
        return f"greater than {self.minimum:g} and at most {self.maximum:g}{unit}"

    @property
    def step(self) -> float:
        """A power of ten near a hundredth of the range: the UI's spin-button increment."""
        return float(10 ** math.floor(math.log10((self.maximum - self.minimum) / 100)))

    @property
    def title(self) -> str:
        """The label with its unit, for input boxes: "sepal length (cm)"."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def check(self, value: Any) -> float:
        """``value`` as a float inside the range, or a SchemaError naming the field and range."""
        if value is None or (isinstance(value, str) and not value.strip()):
            raise SchemaError(f"{self.label} is empty; enter a number {self.allowed}")
        try:
            if isinstance(value, bool | np.bool_ | bytes):  # True is not 1 cm
                raise TypeError
            number = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError, ArithmeticError):  # ArithmeticError: 10**400, 1e999999
            raise SchemaError(f"{self.label} must be a number {self.allowed}; got "
                              f"{_shown(value)}") from None
        if not math.isfinite(number):
            raise SchemaError(f"{self.label} must be a finite number {self.allowed}; got "
                              f"{_shown(value)}")
        too_low = number < self.minimum or (not self.include_min and number == self.minimum)
        if too_low or number > self.maximum:
            raise SchemaError(f"{self.label} must be {self.allowed}; got {number:g}")
        return number


@dataclass(frozen=True)
class Prediction:
    """What the served model says about one input: the class and every class's score.

    The scores are what the model's ``predict_proba`` returns; ``scores_are`` names them (for
    the reference models a neighbour vote share, never calibrated probabilities). ``label`` is
    always the class with the highest score, so the two cannot contradict each other.
    """

    label: str
    probabilities: dict[str, float]  # class -> score, in the model's class order
    model_version: int
    inputs: dict[str, float]  # the checked model inputs, by feature name
    scores_are: str = ""  # what the numbers are, e.g. "vote share of the 7 nearest ..."

    @property
    def confidence(self) -> float:
        return self.probabilities[self.label]


def check_inputs(fields: Sequence[FieldSpec], values: Sequence[Any]) -> dict[str, float]:
    """Every value checked against its field, in field order; the first bad one raises."""
    if len(values) != len(fields):
        raise SchemaError(f"expected {len(fields)} values ({[f.name for f in fields]}), "
                          f"got {len(values)}")
    return {f.name: f.check(v) for f, v in zip(fields, values, strict=True)}


def predict_row(model: LoadedModel, inputs: Mapping[str, float],
                features: Sequence[str]) -> Prediction:
    """Run ``model`` on one checked input (a dict of feature -> value) in ``features`` order.

    The class is the most probable one: one ``predict_proba`` call gives both, and for the
    reference models (KNN, gradient boosting) it is what ``predict`` returns.
    """
    frame = pd.DataFrame({name: [inputs[name]] for name in features})
    probabilities = model.estimator.predict_proba(frame)[0]
    classes = model.classes
    best = max(range(len(classes)), key=lambda i: probabilities[i])
    return Prediction(label=classes[best],
                      probabilities={c: float(p) for c, p in zip(classes, probabilities,
                                                                 strict=True)},
                      model_version=model.version, inputs=dict(inputs),
                      scores_are=model.scores_are)


# --------------------------------------------------------------------------- iris


@functools.cache
def iris_fields() -> tuple[FieldSpec, ...]:
    """The four measurements, each in (0, physical bound] cm, defaulting to the real median."""
    from mlsys.systems import iris

    real = iris.load()
    return tuple(
        FieldSpec(name, name.replace("_", " "), "cm", 0.0, iris.BOUNDS[name], include_min=False,
                  default=round(float(real[name].median()), 1))
        for name in iris.FEATURES
    )


def predict_iris(model: LoadedModel, sepal_length: Any, sepal_width: Any, petal_length: Any,
                 petal_width: Any) -> Prediction:
    """The variety of one flower (measurements in cm), checked first.

    Example: ``predict_iris(model, 5.1, 3.5, 1.4, 0.2).label == "Setosa"``.
    """
    from mlsys.systems.iris import FEATURES

    values = check_inputs(iris_fields(), (sepal_length, sepal_width, petal_length, petal_width))
    return predict_row(model, values, FEATURES)


def iris_examples() -> dict[str, list[float]]:
    """One real flower per variety (variety -> measurements): the one nearest its variety's
    median measurements."""
    from mlsys.systems import iris

    real = iris.load()
    features = list(iris.FEATURES)
    out = {}
    for variety in iris.CLASSES:
        flowers = real.loc[real[iris.LABEL] == variety, features]
        distance = ((flowers - flowers.median()) ** 2).sum(axis=1)
        nearest = flowers.iloc[int(distance.to_numpy().argmin())]
        out[variety] = [float(v) for v in nearest]
    return out


# --------------------------------------------------------------------------- wine


def wine_fields_from(real: pd.DataFrame) -> tuple[FieldSpec, ...]:
    """The numeric wine inputs: bounds are the range of ``real``, defaults its medians."""
    from mlsys.monitoring.wine_card import CHEMISTRY
    from mlsys.systems.wine import MEASUREMENTS

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
    from mlsys.systems.wine import load

    return wine_fields_from(load())


def wine_type_flag(wine_type: Any) -> int:
    """``type_white`` of a wine type: "white" -> 1, "red" -> 0 (case-insensitive)."""
    text = str(wine_type).strip().lower() if wine_type is not None else ""
    if text not in WINE_TYPES:
        raise SchemaError(f"wine type must be one of {list(WINE_TYPES)}; got {wine_type!r}")
    return int(text == "white")


def predict_wine(model: LoadedModel, wine_type: Any, measurements: Mapping[str, Any],
                 fields: Sequence[FieldSpec] | None = None) -> Prediction:
    """The quality class of one wine: its type ("red"/"white") and its measurements by name.

    Every measurement of :func:`wine_fields` (or ``fields``) is required and must lie within the
    range of the real wines; unknown names are an error rather than silently ignored.
    """
    from mlsys.systems.wine import FEATURES

    fields = tuple(fields or wine_fields())
    if not isinstance(measurements, Mapping):
        raise SchemaError("wine measurements must be a mapping of name -> value, got "
                          f"{type(measurements).__name__}")
    known = {f.name for f in fields}
    unknown = sorted(repr(k) for k in measurements if k not in known)
    if unknown:
        raise SchemaError(f"unknown wine measurements {', '.join(unknown)}; the model takes "
                          f"{sorted(known)}")
    values = check_inputs(fields, [measurements.get(f.name) for f in fields])
    values["type_white"] = float(wine_type_flag(wine_type))
    return predict_row(model, values, FEATURES)
