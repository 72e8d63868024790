"""The Wine Quality reference system: cleaned real wines, a synthetic wine a day, KNN, boosting.

``data`` holds the wines and their schemas, ``model`` the models and the 3- vs 7-class study,
``eda`` the exploratory report, ``card`` the picture of one wine, ``inputs`` the app's fields
and ``app`` the Gradio apps; this module is only the spec. The imports run one way: the spec
reads the model, the model reads the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlsys.systems.base import System
from mlsys.systems.wine.data import (
    CLASSES,
    EVENT_TIME,
    FEATURES,
    LABEL,
    MEASUREMENTS,
    PRIMARY_KEY,
    clean_result,
    feature_schema,
    load,
    synthesize,
)
from mlsys.systems.wine.inputs import app_inputs, wine_type_flag
from mlsys.systems.wine.model import compare_granularity, train


def _label_study(seed: int) -> str:
    """Why three classes: the tuned KNN on the 7 raw qualities vs on the 3 classes."""
    return compare_granularity(load(), seed).summary


def _eda(out_dir: Path) -> Path:
    from mlsys.systems.wine.eda import write_eda_report

    return write_eda_report(out_dir)


def _encode(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The app's inputs as the model's features: the type as the one-hot ``type_white``."""
    row = {name: inputs[name] for name in MEASUREMENTS}
    row["type_white"] = float(wine_type_flag(inputs["type"]))
    return row


def draw_wine(row: Any, predicted: str, actual: str | None, path: str | Path) -> Path:
    """A card of one wine: its chemistry, predicted and actual class (for the dashboard)."""
    from mlsys.systems.wine.card import wine_card_png

    return wine_card_png(row, predicted, actual, path)


SYSTEM = System(
    name="wine",
    version=1,
    primary_key=PRIMARY_KEY,
    event_time=EVENT_TIME,
    label=LABEL,
    classes=CLASSES,
    features=FEATURES,
    description="Wine Quality (Cortez et al. 2009): chemistry of red and white vinho verde "
                "wines and their quality class",
    load=load,
    synthesize=synthesize,
    schema=feature_schema,
    train=train,
    inputs=app_inputs,
    encode_inputs=_encode,
    extra_columns=("quality",),
    draw_item=draw_wine,
    describe_load=lambda: clean_result().summary(),
    training_study=_label_study,
    eda=_eda,
    eda_contents="charts and the 3- vs 7-class study",
    items="wines",
)

__all__ = ["SYSTEM"]
