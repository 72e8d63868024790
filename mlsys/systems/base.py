"""What a reference system is: a small declarative spec the generic pipelines run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# Event time of every real (backfilled) row: fixed, so a second backfill changes nothing, and
# earlier than every daily row, so "daily data" is simply "event time after this".
REFERENCE_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def day_start(day: date) -> datetime:
    """Midnight UTC of ``day``: the event time of the synthetic row made for that day."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class System:
    """A serverless ML system: its store names, its data, its model.

    Pipelines (``mlsys.pipelines``) need nothing else, so a third data set needs only a new
    ``systems/<name>.py`` defining ``SYSTEM``.
    """

    name: str  # "iris"
    feature_group: str  # feature group name, version ``version``
    version: int
    primary_key: tuple[str, ...]
    event_time: str  # column holding the event time (UTC timestamps)
    label: str  # the label column the model predicts
    classes: tuple[str, ...]  # label values in display order
    features: tuple[str, ...]  # model inputs, in order
    suite_file: str  # file name under expectations/
    model_name: str  # registry name, e.g. "iris_model"
    predictions_group: str  # monitoring feature group, e.g. "iris_predictions"
    description: str
    # -- behaviour
    load: Callable[[], pd.DataFrame]  # real data, cleaned, keyed, with event time; fits ``schema``
    # one synthetic row for a day, seeded by the date; ``attempt`` n > 0 draws again (daily asks
    # for it when the row's primary key is already stored, so no item is stored twice)
    synthesize: Callable[..., pd.DataFrame]
    schema: Callable[[], Any]  # the Pandera schema of the feature frame (built on demand)
    train: Callable[..., Any]  # (X_train, y_train, X_test, y_test, seed) -> list[TrainedModel]
    extra_columns: tuple[str, ...] = ()  # stored with the features but not model inputs
    # (row, predicted, actual, path) -> path: a picture of one predicted item for the dashboard
    draw_item: Callable[..., Any] | None = None
    # one line on how ``load`` prepared the real data (what was dropped or collapsed), if any
    describe_load: Callable[[], str] | None = None
    # a measurement ``train`` reports beside the models, from the seed (wine: 3 vs 7 classes)
    training_study: Callable[[int], str] | None = None

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
