"""The Gradio apps (Iris and Wine predictors, their monitoring dashboards), built on demand.

``build_app(name, project)`` returns a ``gr.Blocks`` without launching it; the CLI's ``serve``
and the Spaces under ``spaces/`` launch it. Gradio is imported only when an app is built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from mlsys.errors import NotFoundError

if TYPE_CHECKING:
    import gradio as gr

    from mlsys.store.api import Project

# app name -> (module, builder function); the module is imported only when the app is built
APPS: dict[str, tuple[str, str]] = {
    "iris": ("mlsys.apps.iris", "build_iris_app"),
    "wine": ("mlsys.apps.wine", "build_wine_app"),
    "iris-dashboard": ("mlsys.apps.dashboard", "build_iris_dashboard"),
    "wine-dashboard": ("mlsys.apps.dashboard", "build_wine_dashboard"),
}


def build_app(name: str, project: Project) -> gr.Blocks:
    """The app called ``name`` (one of :data:`APPS`) over ``project``, ready to ``launch()``."""
    target = APPS.get(name)
    if target is None:
        raise NotFoundError("app", name, APPS)
    module, builder = target
    blocks: gr.Blocks = getattr(importlib.import_module(module), builder)(project)
    return blocks


__all__ = ["APPS", "build_app"]
