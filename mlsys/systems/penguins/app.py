"""The penguins apps: the generic predictor over the spec's inputs and the generic dashboard.

The app layer of the system (it imports ``mlsys.apps`` and so gradio): nothing below it imports
this module. The app registry loads ``build_app`` and ``build_dashboard`` from here.
"""

from __future__ import annotations

from mlsys.apps.dashboard import dashboard_for
from mlsys.apps.predictor import predictor_for
from mlsys.systems.penguins import SYSTEM

build_app = predictor_for(SYSTEM)
build_dashboard = dashboard_for(SYSTEM)
