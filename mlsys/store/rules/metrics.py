"""Model metrics as both registries take them, and the one rule that picks the best version."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar

from mlsys.errors import ArgumentSchemaError
from mlsys.store.api import Model

M = TypeVar("M", bound=Model)

DIRECTIONS = ("max", "min")
"""``get_best_model(direction=...)``: whether a larger or a smaller metric is better."""


def check_metrics(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    """Metrics as floats; a bool, string or non-finite value raises ArgumentSchemaError."""
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise ArgumentSchemaError(f"metrics must be a dict of name -> number, got "
                                  f"{type(metrics).__name__}")
    out = {}
    for k, v in metrics.items():
        if not isinstance(k, str) or not k:
            raise ArgumentSchemaError(f"metric name {k!r} is not a non-empty string")
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or type(v).__name__ == "bool_":
            raise ArgumentSchemaError(
                f"metric {k!r} has value {v!r} ({type(v).__name__}); metrics must be numbers "
                "(int or float). Put other facts in the description or a file of the model",
                column=k)
        if not math.isfinite(float(v)):
            raise ArgumentSchemaError(f"metric {k!r} is {v!r}; metrics must be finite numbers",
                                      column=k)
        out[k] = float(v)
    return out


def check_direction(direction: object) -> Literal["max", "min"]:
    """``direction`` if it is ``"max"`` or ``"min"``; anything else is an argument error."""
    if direction == "max" or direction == "min":
        return direction
    raise ArgumentSchemaError(f"direction {direction!r} is not known; use 'max' or 'min'")


def best_model(models: Iterable[M], metric: str, direction: Literal["max", "min"]) -> M | None:
    """The version scoring best on ``metric`` (ties go to the newest); None if none has it.

    Callers check ``direction`` with :func:`check_direction` before listing ``models``, so a
    bad direction costs no request."""
    sign = 1.0 if check_direction(direction) == "max" else -1.0
    scored = [m for m in models if metric in m.training_metrics]
    if not scored:
        return None
    return max(scored, key=lambda m: (sign * m.training_metrics[metric], m.version or 0))
