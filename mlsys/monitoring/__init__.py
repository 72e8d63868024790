"""Monitoring: confusion matrix, prediction history, accuracy over time, drift (generic plots;
a system's own pictures of an item live in its folder, e.g. ``systems/iris/flower.py``).

Pure functions on DataFrames (no store access): the pipelines call them to write PNG artefacts,
the dashboards to show figures. matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

from mlsys.monitoring.drift import (
    DriftReport,
    DriftThresholds,
    drift_png,
    feature_drift,
    population_stability_index,
)
from mlsys.monitoring.history import (
    accuracy_over_time,
    accuracy_png,
    history_table_png,
    recent_history,
    with_correct,
)
from mlsys.monitoring.plots import confusion_matrix_frame, confusion_matrix_png

__all__ = [
    "DriftReport",
    "DriftThresholds",
    "accuracy_over_time",
    "accuracy_png",
    "confusion_matrix_frame",
    "confusion_matrix_png",
    "drift_png",
    "feature_drift",
    "history_table_png",
    "population_stability_index",
    "recent_history",
    "with_correct",
]
