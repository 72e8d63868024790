"""Online prediction for the apps: input checks with readable errors, then the served model.

Pure functions (no gradio, no store): the apps call them per request, the benchmarks time them.
A bad input raises :class:`~mlsys.errors.SchemaError` naming the field and its allowed range; the
apps turn it into a ``gr.Error``. :func:`predict` serves any system from its spec's ``inputs``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlsys.errors import SchemaError
from mlsys.systems.base import FieldSpec

if TYPE_CHECKING:
    from mlsys.serving import LoadedModel
    from mlsys.systems.base import System


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
    inputs: dict[str, Any]  # the checked model inputs, by feature name (numbers or choices)
    scores_are: str = ""  # what the numbers are, e.g. "vote share of the 7 nearest ..."

    @property
    def confidence(self) -> float:
        return self.probabilities[self.label]


def check_inputs(fields: Sequence[FieldSpec], values: Sequence[Any]) -> dict[str, Any]:
    """Every value checked against its field, in field order; the first bad one raises."""
    if len(values) != len(fields):
        raise SchemaError(f"expected {len(fields)} values ({[f.name for f in fields]}), "
                          f"got {len(values)}")
    return {f.name: f.check(v) for f, v in zip(fields, values, strict=True)}


def predict_row(model: LoadedModel, inputs: Mapping[str, Any],
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


def predict(model: LoadedModel, system: System, values: Sequence[Any] | Mapping[str, Any]
            ) -> Prediction:
    """The class of one item of ``system``: ``values`` in the order of ``system.inputs()`` (or
    by input name), each checked against its field, then run through the served model.

    A mapping must name every required input and nothing else, so a typo is an error rather
    than a silently missing value.
    """
    fields = system.inputs()
    if isinstance(values, Mapping):
        known = {f.name for f in fields}
        unknown = sorted(repr(k) for k in values if k not in known)
        if unknown:
            raise SchemaError(f"unknown {system.name} inputs {', '.join(unknown)}; the app "
                              f"takes {[f.name for f in fields]}")
        values = [values.get(f.name) for f in fields]
    elif isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise SchemaError(f"{system.name} inputs must be a sequence or a mapping of name -> "
                          f"value, got {type(values).__name__}")
    checked = check_inputs(fields, values)
    row = system.encode_inputs(checked) if system.encode_inputs is not None else checked
    return predict_row(model, row, system.features)


__all__ = ["FieldSpec", "Prediction", "check_inputs", "predict", "predict_row"]
