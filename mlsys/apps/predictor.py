"""The generic predictor app of a system: its spec's input fields in, class and scores out.

A system without a hand-made app of its own (``systems/<name>/app.py`` may build one) gets this
page: one input per :class:`~mlsys.systems.base.FieldSpec` of ``system.inputs()`` (a number box,
or radio buttons for a choice), checked as :func:`mlsys.apps.predict.predict` checks them, and
the served model's class and class scores.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gradio as gr

from mlsys.apps.common import model_status, served_model, user_errors
from mlsys.apps.predict import predict
from mlsys.config import apply_offline_defaults
from mlsys.serving import ModelCache

if TYPE_CHECKING:
    from mlsys.store.api import Project
    from mlsys.systems.base import FieldSpec, System


def _input(field: FieldSpec) -> gr.components.Component:
    """The Gradio component of one field, its allowed values as the hint below it."""
    hint = field.allowed + (" (may be left empty)" if field.optional else "")
    if field.choices:
        return gr.Radio(list(field.choices), value=field.default_choice, label=field.title,
                        info=hint, elem_id=f"input-{field.name}")
    return gr.Number(value=field.default, label=field.title, info=hint, step=field.step,
                     elem_id=f"input-{field.name}")


def predictor_for(system: System) -> Callable[[Project], gr.Blocks]:
    """The one-argument builder of ``system``'s predictor (what the app registry loads)."""
    return functools.partial(build_predictor_app, system=system)


def build_predictor_app(project: Project, system: System) -> gr.Blocks:
    """The predictor of ``system`` over ``project``'s best model (loaded once, on first use)."""
    apply_offline_defaults()  # no Gradio analytics, whoever made the project

    cache = ModelCache(project, system)
    fields = system.inputs()

    @user_errors
    def run(*values: Any) -> tuple[str, dict[str, float], str]:
        p = predict(served_model(cache, system), system, list(values))
        return (p.label, p.probabilities,
                f"**What the class scores are:** {p.scores_are}. The predicted {system.label} "
                "is the one with the highest score.")

    title = system.name.capitalize()
    with gr.Blocks(title=f"{title}: which {system.label}?") as demo:
        gr.Markdown(f"# {title}: which {system.label}?\n{system.description}. Enter an item "
                    "and press **Predict**; defaults are the medians of the real data.")
        status = gr.Markdown(elem_id="model-status")
        with gr.Row():
            with gr.Column():
                inputs = [_input(f) for f in fields]
                button = gr.Button("Predict", variant="primary", elem_id="predict")
            with gr.Column():
                label = gr.Textbox(label=f"Predicted {system.label}", interactive=False,
                                   elem_id="prediction")
                probabilities = gr.Label(label="Class scores (not calibrated probabilities)",
                                         elem_id="probabilities")
                scores = gr.Markdown(elem_id="scores-are")
        button.click(run, inputs, [label, probabilities, scores], api_name="predict")
        # on every page load: after an empty start, a newly registered model shows up
        demo.load(lambda: model_status(cache, system), None, status, api_name=False)
    return demo
