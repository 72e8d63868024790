"""The monitoring dashboard of a system: read from the store on page load and on Refresh."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from mlsys.apps.common import pipelines_hint, user_errors
from mlsys.apps.dashboard_data import (
    DashboardData,
    describe_model,
    describe_validation,
    drift_table,
    history_table,
    read_dashboard,
)
from mlsys.config import apply_offline_defaults

if TYPE_CHECKING:
    from PIL.Image import Image

    from mlsys.store.api import Project
    from mlsys.systems.base import System

HISTORY_ROWS = 10


def _png(draw: Callable[[Path], Any], workdir: Path, name: str) -> Image:
    """Draw to a PNG in ``workdir`` and load it fully, so the file can go right after."""
    from PIL import Image as PILImage

    path = Path(draw(workdir / f"{name}.png"))
    with PILImage.open(path) as image:
        image.load()
        return image.copy()


def headline(data: DashboardData) -> str:
    """The status line at the top: what the store holds, or what to run first."""
    name = data.system.name
    if not data.has_group:
        return (f"### Nothing to show yet\nThe store has no {name} data. "
                f"{pipelines_hint(data.system).capitalize()}.")
    parts = [f"**{data.real_rows}** real and **{data.daily_rows}** daily rows"]
    e = data.evaluation
    if not data.history.empty and e is not None:
        if e.accuracy_unseen is None or e.baseline_accuracy_unseen is None:
            shown = "n/a (no labelled unseen rows yet)"
        else:
            beaten = e.accuracy_unseen > e.baseline_accuracy_unseen
            shown = (f"**{e.accuracy_unseen:.1%}** (majority-class baseline "
                     f"{e.baseline_accuracy_unseen:.1%}{'' if beaten else ', NOT beaten'})")
        parts.append(f"**{len(data.history)}** predictions, **{e.unseen}** of rows the model "
                     f"never saw: accuracy on those {shown}")
    if data.model is not None:
        parts.append(f"model in service **v{data.model.version}**")
    text = f"{name}: " + "; ".join(parts) + "."
    if data.missing:
        text += "\n\nStill to do: " + "; ".join(data.missing) + "."
    return text


def latest_text(data: DashboardData) -> str:
    """Today's item in words: its date, predicted and actual class."""
    item = data.latest
    if item is None:
        return f"No predictions yet: run `mlsys infer {data.system.name}` after the daily data."
    actual = item.label if item.label is not None else "not known yet"
    verdict = {True: "correct", False: "wrong", None: "label pending"}[item.correct]
    version = f" by model v{item.model_version}" if item.model_version is not None else ""
    return (f"**{item.event_time:%Y-%m-%d}** — predicted **{item.prediction}**{version}, "
            f"actual **{actual}** ({verdict}).")


def render(data: DashboardData) -> tuple[Any, ...]:
    """The value of every dashboard output, in the order :func:`build_dashboard` lists them."""
    from mlsys import monitoring

    system = data.system
    with tempfile.TemporaryDirectory(prefix="mlsys-dashboard-") as tmp:
        work = Path(tmp)
        picture = confusion = accuracy = drift = None
        draw_item = system.draw_item
        if data.latest is not None and draw_item is not None:
            item = data.latest
            picture = _png(lambda p: draw_item(item.row, item.prediction, item.label, p),
                           work, "latest")
        if not data.history.empty:
            unseen = data.unseen_history
            confusion = _png(lambda p: monitoring.confusion_matrix_png(
                unseen, p, f"{system.name}: predictions of rows the model never saw "
                f"(n={len(unseen)} of {len(data.history)})",
                classes=list(system.classes)), work, "confusion")
            accuracy = _png(lambda p: monitoring.accuracy_png(
                unseen, p, title=f"{system.name}: accuracy over time, rows the model never saw",
                event_time=system.event_time), work, "accuracy")
        if data.drift is not None and data.reference is not None and data.current is not None:
            reference, current = data.reference, data.current
            drift = _png(lambda p: monitoring.drift_png(
                reference, current, list(system.numeric_features), p, report=data.drift,
                title=f"{system.name}: daily vs real data", reference_name="real",
                current_name="daily"), work, "drift")
    return (headline(data), latest_text(data), picture, describe_model(data.model, system),
            history_table(data, HISTORY_ROWS), confusion, accuracy,
            describe_validation(data.validation) if data.has_group
            else "Nothing validated yet: the feature group holds no data.", drift,
            drift_table(data))


def _image(label: str, elem_id: str) -> gr.Image:
    """An output image of a drawn figure (PNG, so lines and text stay crisp)."""
    return gr.Image(label=label, type="pil", format="png", interactive=False, elem_id=elem_id)


def dashboard_for(system: System) -> Callable[[Project], gr.Blocks]:
    """The one-argument builder of ``system``'s dashboard (what the app registry loads)."""
    return functools.partial(build_dashboard, system=system)


def build_dashboard(project: Project, system: System) -> gr.Blocks:
    """The monitoring dashboard of ``system``; every page load and Refresh re-reads the store."""

    apply_offline_defaults()  # no Gradio analytics, whoever made the project

    @user_errors
    def refresh() -> tuple[Any, ...]:
        return render(read_dashboard(project, system))

    title = f"{system.name} monitoring"
    with gr.Blocks(title=title) as demo:
        gr.Markdown(f"# {system.name.capitalize()}: monitoring dashboard\n{system.description}.")
        with gr.Row():
            status = gr.Markdown(elem_id="status")
            button = gr.Button("Refresh", variant="secondary", scale=0, elem_id="refresh")
        with gr.Row():
            with gr.Column():
                gr.Markdown("## Today's item")
                latest = gr.Markdown(elem_id="latest")
                picture = _image("Latest predicted item", "latest-picture")
            with gr.Column():
                gr.Markdown("## Model in service")
                model = gr.Markdown(elem_id="model")
                gr.Markdown("## Latest data validation")
                validation = gr.Markdown(elem_id="validation")
        gr.Markdown("## Recent predictions\n*seen* = the row was in the predicting model's "
                    "training data, so it is left out of the accuracy and the charts below.")
        history = gr.Dataframe(interactive=False, elem_id="history")
        with gr.Row():
            confusion = _image("Confusion matrix: rows the model never saw", "confusion")
            accuracy = _image("Accuracy over time: rows the model never saw", "accuracy")
        gr.Markdown("## Drift: daily data against the real data, per feature")
        drift = _image("Feature distributions", "drift")
        drift_frame = gr.Dataframe(interactive=False, elem_id="drift-table")
        outputs = [status, latest, picture, model, history, confusion, accuracy, validation,
                   drift, drift_frame]
        button.click(refresh, None, outputs, api_name="refresh")
        demo.load(refresh, None, outputs, api_name=False)
    return demo
