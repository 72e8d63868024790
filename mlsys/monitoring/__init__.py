"""Monitoring: confusion matrix, prediction history, accuracy over time, drift, item pictures.

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
from mlsys.monitoring.flower import (
    FlowerSize,
    draw_flower,
    predicted_vs_actual_flower_png,
)
from mlsys.monitoring.history import (
    accuracy_over_time,
    accuracy_png,
    history_table_png,
    recent_history,
    with_correct,
)
from mlsys.monitoring.plots import confusion_matrix_frame, confusion_matrix_png
from mlsys.monitoring.wine_card import wine_card_png

__all__ = [
    "DriftReport",
    "DriftThresholds",
    "FlowerSize",
    "accuracy_over_time",
    "accuracy_png",
    "confusion_matrix_frame",
    "confusion_matrix_png",
    "draw_flower",
    "drift_png",
    "feature_drift",
    "history_table_png",
    "population_stability_index",
    "predicted_vs_actual_flower_png",
    "recent_history",
    "wine_card_png",
    "with_correct",
]
