"""The Palmer penguins reference system: 344 real penguins with their gaps, a synthetic penguin
per day, a pipeline that imputes and one-hot encodes before a logistic regression.

``data`` holds the penguins, their schemas and the generator, ``model`` the pipeline,
``inputs`` the app's fields, ``suite.json`` the expectation suite and ``app`` the apps (the
generic predictor and dashboard); this module is only the spec.
"""

from __future__ import annotations

from pathlib import Path

from mlsys.systems.base import System
from mlsys.systems.penguins.data import (
    CATEGORICAL,
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
from mlsys.systems.penguins.inputs import penguin_fields
from mlsys.systems.penguins.model import train

SYSTEM = System(
    name="penguins",
    version=1,
    primary_key=(KEY,),
    event_time=EVENT_TIME,
    label=LABEL,
    classes=CLASSES,
    features=FEATURES,
    suite_file="suite.json",
    suite_dir=Path(__file__).resolve().parent,
    description="Palmer penguins (Gorman et al. 2014): bill length and depth, flipper length "
                "and body mass, island and sex of Adelie, Chinstrap and Gentoo penguins; 344 "
                "real penguins, some with gaps, plus one synthetic penguin per day",
    load=load,
    synthesize=synthesize,
    schema=schema,
    train=train,
    inputs=penguin_fields,
    categorical=CATEGORICAL,
    describe_load=describe_load,
    items="penguins",
)

__all__ = ["SYSTEM"]
