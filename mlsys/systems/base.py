"""What a reference system is: a small declarative spec the generic pipelines run."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mlsys.errors import SchemaError

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

    from mlsys.training import TrainedModel
    from mlsys.validation.types import ExpectationSuite

# Event time of every real (backfilled) row: fixed, so a second backfill changes nothing, and
# earlier than every daily row, so "daily data" is simply "event time after this".
REFERENCE_TIME = datetime(2000, 1, 1, tzinfo=UTC)
# The registry metric that picks the model in service (higher is better), unless a system says
# otherwise, and the file a registered model's estimator is saved in.
BEST_METRIC = "macro_f1"
MODEL_FILE = "model.pkl"


def day_start(day: date) -> datetime:
    """Midnight UTC of ``day``: the event time of the synthetic row made for that day."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _shown(value: Any, limit: int = 40) -> str:
    """``repr(value)``, cut short: a 400-digit number or a long text would swamp the message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


@dataclass(frozen=True)
class FieldSpec:
    """One model input as the UI shows it: name, label, unit, allowed range or choices, default.

    A field with ``choices`` is categorical (its value is one of them, compared case-blind);
    otherwise it is a number in [minimum, maximum]. An ``optional`` field may be left empty,
    which is a missing value the model handles (``nan``, or ``None`` for a choice).
    """

    name: str  # the input's name, e.g. "sepal_length"
    label: str  # what the user reads, e.g. "sepal length"
    unit: str = ""
    minimum: float = 0.0
    maximum: float = 0.0
    include_min: bool = True  # False: the minimum itself is not allowed (a size of 0 cm)
    default: float | None = None  # a number field's starting value
    default_choice: str | None = None  # a choice field's starting value
    choices: tuple[str, ...] = ()
    optional: bool = False

    @property
    def allowed(self) -> str:
        """The allowed values in words, e.g. "greater than 0 and at most 16 cm"."""
        if self.choices:
            return f"one of {list(self.choices)}"
        unit = f" {self.unit}" if self.unit else ""
        if self.include_min:
            return f"between {self.minimum:g} and {self.maximum:g}{unit}"
        return f"greater than {self.minimum:g} and at most {self.maximum:g}{unit}"

    @property
    def step(self) -> float:
        """A power of ten near a hundredth of the range: the UI's spin-button increment."""
        return float(10 ** math.floor(math.log10((self.maximum - self.minimum) / 100)))

    @property
    def title(self) -> str:
        """The label with its unit, for input boxes: "sepal length (cm)"."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def check(self, value: Any) -> Any:
        """``value`` as the model takes it (a float in range, or one of the choices), or a
        SchemaError naming the field and what it allows."""
        empty = value is None or (isinstance(value, str) and not value.strip())
        if empty and self.optional:
            return None if self.choices else math.nan
        if self.choices:
            return self._choice(value)
        if empty:
            raise SchemaError(f"{self.label} is empty; enter a number {self.allowed}")
        import numpy as np

        try:
            if isinstance(value, bool | np.bool_ | bytes):  # True is not 1 cm
                raise TypeError
            number = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError, ArithmeticError):  # ArithmeticError: 10**400, 1e999999
            raise SchemaError(f"{self.label} must be a number {self.allowed}; got "
                              f"{_shown(value)}") from None
        if not math.isfinite(number):
            raise SchemaError(f"{self.label} must be a finite number {self.allowed}; got "
                              f"{_shown(value)}")
        too_low = number < self.minimum or (not self.include_min and number == self.minimum)
        if too_low or number > self.maximum:
            raise SchemaError(f"{self.label} must be {self.allowed}; got {number:g}")
        return number

    def _choice(self, value: Any) -> str:
        text = value.strip().lower() if isinstance(value, str) else None
        for choice in self.choices:
            if text == choice.lower():
                return choice
        raise SchemaError(f"{self.label} must be {self.allowed}; got {_shown(value)}")


class Synthesizer(Protocol):
    """One synthetic row for a day, seeded by the date; ``attempt`` n > 0 draws again (daily
    asks for it when the row's primary key is already stored, so no item is stored twice)."""

    def __call__(self, day: date, attempt: int = 0) -> pd.DataFrame: ...


class Trainer(Protocol):
    """The system's candidate models on a given split, each with its held-out metrics."""

    def __call__(self, x_train: pd.DataFrame, y_train: pd.Series, x_test: pd.DataFrame,
                 y_test: pd.Series, seed: int, /) -> list[TrainedModel]: ...


class ItemDrawer(Protocol):
    """A picture of one predicted item (its stored row) for the dashboard, saved at ``path``."""

    def __call__(self, row: Any, predicted: str, actual: str | None,
                 path: str | Path, /) -> Path: ...


@dataclass(frozen=True, kw_only=True)
class System:
    """A serverless ML system: its store names, its data, its model, its app's inputs.

    Pipelines (``mlsys.pipelines``), apps and reports need nothing else, so a third data set
    needs only a new ``systems/<name>/`` package whose ``__init__`` defines ``SYSTEM``, and its
    entry in :data:`mlsys.systems.SYSTEMS`.
    """

    name: str  # "iris"
    version: int
    primary_key: tuple[str, ...]
    event_time: str  # column holding the event time (UTC timestamps)
    label: str  # the label column the model predicts
    classes: tuple[str, ...]  # label values in display order
    features: tuple[str, ...]  # model inputs, in order
    description: str
    # -- behaviour
    load: Callable[[], pd.DataFrame]  # real data, cleaned, keyed, with event time; fits ``schema``
    synthesize: Synthesizer
    schema: Callable[[], pa.DataFrameSchema]  # the Pandera schema of the feature frame
    train: Trainer
    # the app's input fields, in the order the app shows them (computed on first use: defaults
    # may come from the real data)
    inputs: Callable[[], tuple[FieldSpec, ...]]
    # the checked inputs (by field name) as the model's features, when they differ (a choice
    # one-hot encoded by hand); None: each feature is the input of the same name
    encode_inputs: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    # -- names, derived from ``name`` unless given ("" means derive): the feature group (and
    # view), the registry's model, the monitoring group, the suite file
    feature_group: str = ""  # "iris"
    model_name: str = ""  # "iris_model"
    predictions_group: str = ""  # "iris_predictions"
    suite_file: str = ""  # "iris.json": a name under expectations/, or under ``suite_dir``
    extra_columns: tuple[str, ...] = ()  # stored with the features but not model inputs
    categorical: tuple[str, ...] = ()  # features that are categories, not numbers (no drift)
    suite_dir: Path | None = None  # where ``suite_file`` is when not shipped in expectations/
    best_metric: str = BEST_METRIC  # the registry metric that picks the model in service
    draw_item: ItemDrawer | None = None
    # one line on how ``load`` prepared the real data (what was dropped or collapsed), if any
    describe_load: Callable[[], str] | None = None
    # a measurement ``train`` reports beside the models, from the seed (wine: 3 vs 7 classes)
    training_study: Callable[[int], str] | None = None
    # writes the exploratory report into a folder and returns its index page
    eda: Callable[[Path], Path] | None = None
    eda_contents: str = "charts"  # what the EDA report holds, in a few words (for progress)
    items: str = "items"  # the plural noun of one row, as the apps say it ("flowers")

    def __post_init__(self) -> None:
        # frozen: the derived names are set once, here, the way dataclasses set fields
        derived = {"feature_group": self.name, "model_name": f"{self.name}_model",
                   "predictions_group": f"{self.name}_predictions",
                   "suite_file": f"{self.name}.json"}
        for field, value in derived.items():
            if not getattr(self, field):
                object.__setattr__(self, field, value)

    @property
    def numeric_features(self) -> tuple[str, ...]:
        """The features that are numbers: what drift is measured on."""
        return tuple(f for f in self.features if f not in self.categorical)

    def suite(self) -> ExpectationSuite:
        """The system's expectation suite, read from ``suite_dir`` or the shipped suites."""
        from mlsys.validation.suite_io import load_suite_file, parse_suite

        if self.suite_dir is not None:
            return parse_suite(self.suite_dir / self.suite_file)
        return load_suite_file(self.suite_file)

    @property
    def view_name(self) -> str:
        """The feature view name (the group's name, as in the course)."""
        return self.feature_group

    def predictions_schema(self) -> Any:
        """Pandera schema of the monitoring group ``predictions_group``: the row's key and event
        time (as in the feature schema), the predicted class, the true label (missing until it
        is known), the model version, the model's training-dataset version and whether the row
        was in its training split, and when the prediction was made (UTC)."""
        import pandas as pd
        import pandera.pandas as pa

        features = self.schema().columns
        keys = {k: features[k] for k in (*self.primary_key, self.event_time)}

        def utc(s: pd.Series) -> bool:
            return isinstance(s.dtype, pd.DatetimeTZDtype) and str(s.dtype.tz) == "UTC"

        return pa.DataFrameSchema({
            **keys,
            "prediction": pa.Column(str, pa.Check.isin(list(self.classes)), nullable=False),
            "label": pa.Column(str, pa.Check.isin(list(self.classes)), nullable=True),
            "model_version": pa.Column("int64", pa.Check.ge(1), nullable=False),
            "training_dataset_version": pa.Column("int64", pa.Check.ge(1), nullable=False),
            "in_training_data": pa.Column(bool, nullable=False),
            "predicted_at": pa.Column(None, pa.Check(utc, element_wise=False,
                                                     error="predicted_at must be UTC timestamps"),
                                      nullable=False),
        }, strict=True, name=self.predictions_group)
