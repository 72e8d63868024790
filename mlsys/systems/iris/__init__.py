"""The Iris reference system: 150 real flowers, a synthetic flower per day, a KNN classifier.

``data`` holds the flowers and their schemas, ``model`` the classifier, ``flower`` the drawing,
``inputs`` the app's fields and ``app`` the Gradio apps; this module is only the spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlsys.systems.base import System
from mlsys.systems.iris.data import (
    CLASSES,
    EVENT_TIME,
    FEATURES,
    KEY,
    LABEL,
    describe_load,
    load,
    schema,
    synthesize,
)
from mlsys.systems.iris.inputs import iris_fields
from mlsys.systems.iris.model import train


def draw_flower(row: Any, predicted: str, actual: str | None, path: str | Path) -> Path:
    """The flower of ``row`` drawn to scale, coloured as predicted and as it is."""
    from mlsys.systems.iris.flower import predicted_vs_actual_flower_png

    return predicted_vs_actual_flower_png(row, predicted, actual, path)


SYSTEM = System(
    name="iris",
    version=1,
    primary_key=(KEY,),
    event_time=EVENT_TIME,
    label=LABEL,
    classes=CLASSES,
    features=FEATURES,
    description="Iris flowers: sepal and petal length and width (cm) and the variety; "
    "150 real flowers plus one synthetic flower per day",
    load=load,
    synthesize=synthesize,
    schema=schema,
    train=train,
    inputs=iris_fields,
    draw_item=draw_flower,
    describe_load=describe_load,
    items="flowers",
)

__all__ = ["SYSTEM"]
