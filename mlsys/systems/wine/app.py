"""The Wine Quality predictor app: chemistry in, quality class and nearest real wines out.

The app layer of the system (it imports ``mlsys.apps``): nothing below it imports this module.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import gradio as gr

from mlsys.apps.common import model_status, served_model, user_errors
from mlsys.apps.dashboard import dashboard_for
from mlsys.apps.predict import Prediction, check_inputs, predict_row
from mlsys.config import apply_offline_defaults
from mlsys.errors import SchemaError
from mlsys.serving import ModelCache
from mlsys.systems.base import FieldSpec
from mlsys.systems.wine import SYSTEM
from mlsys.systems.wine.data import FEATURES, LABEL
from mlsys.systems.wine.inputs import WINE_TYPES, wine_fields, wine_type_flag

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.apps.neighbours import NeighbourFinder
    from mlsys.serving import LoadedModel
    from mlsys.store.api import Project
    from mlsys.systems.base import System


def predict_wine(model: LoadedModel, wine_type: Any, measurements: Mapping[str, Any],
                 fields: Sequence[FieldSpec] | None = None) -> Prediction:
    """The quality class of one wine: its type ("red"/"white") and its measurements by name.

    Every measurement of :func:`wine_fields` (or ``fields``) is required and must lie within the
    range of the real wines; unknown names are an error rather than silently ignored.
    """
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


class _Finders:
    """The neighbour finder of the model in service, built once per model version."""

    def __init__(self, project: Project, system: System) -> None:
        self._project = project
        self._system = system
        self._finder: tuple[int, NeighbourFinder] | None = None
        self._lock = threading.Lock()

    def get(self, model: LoadedModel) -> NeighbourFinder:
        from mlsys.apps.neighbours import neighbour_finder

        with self._lock:
            if self._finder is None or self._finder[0] != model.version:
                self._finder = (model.version,
                                neighbour_finder(self._project, self._system, model))
            return self._finder[1]


def neighbours_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Neighbours as the app shows them: rank, distance, type, quality, class, then chemistry."""
    out = rows.copy()
    out.insert(2, "type", out.pop("type_white").map({0: "red", 1: "white"}))
    first = ["rank", "distance", "type", *[c for c in ("quality", LABEL) if c in out.columns]]
    return out[first + [c for c in out.columns if c not in first]]


def build_wine_app(project: Project) -> gr.Blocks:
    """The Wine app over ``project``'s best ``wine_model`` (loaded once, on first use)."""

    apply_offline_defaults()  # no Gradio analytics, whoever made the project

    system = SYSTEM
    cache = ModelCache(project, system)
    finders = _Finders(project, system)
    fields = wine_fields()

    @user_errors
    def predict(wine_type: Any, *values: Any) -> tuple[str, dict[str, float], Any, str]:
        model = served_model(cache, system)
        p = predict_wine(model, wine_type, dict(zip((f.name for f in fields), values,
                                                     strict=True)), fields)
        finder = finders.get(model)
        scores = (f"**What the class scores are:** {p.scores_are}. The predicted class is the "
                  "one with the highest score.")
        return (p.label, p.probabilities, neighbours_table(finder.nearest(p.inputs)),
                f"{scores}\n\n{finder.method}")

    with gr.Blocks(title="Wine Quality: poor, fair or excellent?") as demo:
        gr.Markdown("# Wine Quality: poor, fair or excellent?\n"
                    "Describe a wine by its type and chemistry and press **Predict**. Defaults "
                    "are the medians of the real wines; each value must lie in the range the "
                    "real wines span.")
        status = gr.Markdown(elem_id="model-status")
        with gr.Row():
            with gr.Column():
                wine_type = gr.Radio(list(WINE_TYPES), value="white", label="type",
                                     elem_id="input-type")
                numbers = [gr.Number(value=f.default, label=f.title, info=f.allowed,
                                     step=f.step, elem_id=f"input-{f.name}") for f in fields]
                button = gr.Button("Predict", variant="primary", elem_id="predict")
            with gr.Column():
                quality = gr.Textbox(label="Predicted quality class", interactive=False,
                                     elem_id="quality")
                probabilities = gr.Label(
                    label="Class scores (not calibrated probabilities; see below)",
                    elem_id="probabilities")
                method = gr.Markdown(elem_id="neighbours-method")
                neighbours = gr.Dataframe(label="Nearest real wines", interactive=False,
                                          elem_id="neighbours")
        button.click(predict, [wine_type, *numbers], [quality, probabilities, neighbours, method],
                     api_name="predict")
        # on every page load: after an empty start, a newly registered model shows up
        demo.load(lambda: model_status(cache, system), None, status, api_name=False)
    return demo


# what the app registry loads for ``wine`` and ``wine-dashboard``
build_app = build_wine_app
build_dashboard = dashboard_for(SYSTEM)
