"""The Iris predictor app: four measurements in, variety, class scores and a drawn flower out.

The app layer of the system (it imports ``mlsys.apps``): nothing below it imports this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from mlsys.apps.common import model_status, served_model, user_errors
from mlsys.apps.dashboard import dashboard_for
from mlsys.apps.predict import Prediction, check_inputs, predict_row
from mlsys.config import apply_offline_defaults
from mlsys.serving import ModelCache
from mlsys.systems.iris import SYSTEM
from mlsys.systems.iris.data import FEATURES
from mlsys.systems.iris.inputs import iris_examples, iris_fields

if TYPE_CHECKING:
    from mlsys.serving import LoadedModel
    from mlsys.store.api import Project


def predict_iris(model: LoadedModel, sepal_length: Any, sepal_width: Any, petal_length: Any,
                 petal_width: Any) -> Prediction:
    """The variety of one flower (measurements in cm), checked first.

    Example: ``predict_iris(model, 5.1, 3.5, 1.4, 0.2).label == "Setosa"``.
    """
    values = check_inputs(iris_fields(), (sepal_length, sepal_width, petal_length, petal_width))
    return predict_row(model, values, FEATURES)


def build_iris_app(project: Project) -> gr.Blocks:
    """The Iris app over ``project``'s best ``iris_model`` (loaded once, on first use)."""
    from mlsys.systems.iris.flower import draw_flower

    apply_offline_defaults()  # no Gradio analytics, whoever made the project

    system = SYSTEM
    cache = ModelCache(project, system)
    fields = iris_fields()

    @user_errors
    def predict(sepal_length: Any, sepal_width: Any, petal_length: Any,
                petal_width: Any) -> tuple[str, dict[str, float], Any]:
        model = served_model(cache, system)
        p = predict_iris(model, sepal_length, sepal_width, petal_length, petal_width)
        size = p.inputs
        flower = draw_flower(size["sepal_length"], size["sepal_width"], size["petal_length"],
                             size["petal_width"], p.label, title=f"Iris {p.label} (as predicted)")
        return p.label, p.probabilities, flower

    with gr.Blocks(title="Iris: which variety?") as demo:
        gr.Markdown("# Iris: which variety is this flower?\n"
                    "Enter the four measurements of a flower in centimetres and press "
                    "**Predict**. The flower is drawn to scale from what you entered.")
        status = gr.Markdown(elem_id="model-status")
        with gr.Row():
            with gr.Column():
                inputs = [gr.Number(value=f.default, label=f.title, info=f.allowed, step=f.step,
                                    elem_id=f"input-{f.name}") for f in fields]
                button = gr.Button("Predict", variant="primary", elem_id="predict")
                examples = iris_examples()
                gr.Examples(list(examples.values()), inputs=inputs,
                            example_labels=list(examples),
                            label="Real flowers, one per variety (click one to fill it in)")
            with gr.Column():
                variety = gr.Textbox(label="Predicted variety", interactive=False,
                                     elem_id="variety")
                probabilities = gr.Label(
                    label="Class scores: the nearest training flowers' vote share (not "
                          "calibrated probabilities)", elem_id="probabilities")
                picture = gr.Plot(label="The flower, to scale", format="png", elem_id="flower")
        button.click(predict, inputs, [variety, probabilities, picture], api_name="predict")
        # on every page load: after an empty start, a newly registered model shows up
        demo.load(lambda: model_status(cache, system), None, status, api_name=False)
    return demo


# what the app registry loads for ``iris`` and ``iris-dashboard``
build_app = build_iris_app
build_dashboard = dashboard_for(SYSTEM)
