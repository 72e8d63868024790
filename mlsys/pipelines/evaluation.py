"""Which rows a model trained on, and the monitoring figures on the rows it never saw.

A prediction of a row the model was trained on says little about the model (a nearest-neighbours
model finds the row itself), so every stored prediction records the training-dataset version of
the model that made it and whether its row was in that dataset's training split; monitoring
counts the unseen rows, labelled as such, beside the majority-class baseline on the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlsys.errors import PipelineError

if TYPE_CHECKING:
    from mlsys.store.api import Project
    from mlsys.systems.base import System

TD_COLUMN = "training_dataset_version"
SEEN_COLUMN = "in_training_data"


@dataclass(frozen=True)
class TrainingMembership:
    """The training split of one recorded training dataset: its row keys and majority class."""

    version: int
    keys: pd.DataFrame  # primary key + event time of every training row
    majority_class: str  # the most frequent training label (what the baseline predicts)

    def contains(self, frame: pd.DataFrame) -> pd.Series:
        """Per row of ``frame`` (which holds the key columns): was it a training row?"""
        cols = list(self.keys.columns)
        if frame.empty:
            return pd.Series(dtype=bool, index=frame.index)
        mine = frame[cols].astype(self.keys.dtypes.to_dict())
        marker = self.keys.drop_duplicates().assign(_seen=True)
        merged = mine.merge(marker, on=cols, how="left")
        # matched rows carry the marker, the others NaN; notna() avoids an object-dtype
        # fillna, which pandas 2.x (pinned by the hopsworks SDK) warns about
        return pd.Series(merged["_seen"].notna().to_numpy(), index=frame.index)


def training_membership(project: Project, system: System, version: int) -> TrainingMembership:
    """Re-read training dataset ``version`` of the system's view (exactly the recorded rows)."""
    from mlsys.pipelines.train import VIEW_VERSION

    fv = project.get_feature_store().get_feature_view(system.view_name, VIEW_VERSION)
    x_train, _, y_train, _ = fv.get_train_test_split(version, primary_key=True, event_time=True)
    keys = [*system.primary_key, system.event_time]
    labels = y_train[system.label].astype(str)
    if labels.empty:
        raise PipelineError(f"training dataset {version} of {system.view_name} has no rows")
    return TrainingMembership(version, x_train[keys].reset_index(drop=True),
                              str(labels.value_counts().index[0]))


def membership_reader(project: Project, system: System
                      ) -> Callable[[int], TrainingMembership]:
    """:func:`training_membership`, read once per version for the life of the returned call."""
    cache: dict[int, TrainingMembership] = {}

    def read(version: int) -> TrainingMembership:
        if version not in cache:
            cache[version] = training_membership(project, system, version)
        return cache[version]

    return read


@dataclass(frozen=True)
class ServedEvaluation:
    """The stored predictions scored against their labels, on unseen rows and on all rows.

    ``unseen`` counts predictions whose row was not in the predicting model's training split;
    ``baseline_accuracy_unseen`` is what always predicting that model's majority training class
    scores on the same labelled unseen rows.
    """

    predictions: int
    labelled: int
    unseen: int
    unseen_labelled: int
    accuracy_unseen: float | None
    macro_f1_unseen: float | None
    baseline_accuracy_unseen: float | None
    baseline_macro_f1_unseen: float | None
    accuracy_all: float | None  # every labelled prediction, training rows included

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def text(self) -> str:
        """E.g. "12 predictions, 12 on rows the model never saw: accuracy 0.750 (baseline ...)"."""
        head = f"{self.predictions} predictions, {self.unseen} on rows the model never saw"
        if self.accuracy_unseen is None:
            return head + " (none with a known label yet)"
        from mlsys.quality import describe_quality

        metrics = {"accuracy": self.accuracy_unseen}
        if self.macro_f1_unseen is not None:
            metrics["macro_f1"] = self.macro_f1_unseen
        if self.baseline_accuracy_unseen is not None:
            metrics["baseline_accuracy"] = self.baseline_accuracy_unseen
        if self.baseline_macro_f1_unseen is not None:
            metrics["baseline_macro_f1"] = self.baseline_macro_f1_unseen
        return f"{head}; on those: {describe_quality(metrics)}"


def unseen_rows(history: pd.DataFrame) -> pd.DataFrame:
    """The predictions whose row the predicting model never trained on."""
    if history.empty:
        return history
    seen = history[SEEN_COLUMN].astype("boolean")
    return history.loc[(seen == False).fillna(False).to_numpy()]  # noqa: E712 (nullable)


def evaluate_predictions(history: pd.DataFrame, majority: Callable[[int], str | None]
                         ) -> ServedEvaluation:
    """Score ``history`` (stored predictions with ``label``, ``training_dataset_version`` and
    ``in_training_data``); ``majority(version)`` is that training dataset's majority class
    (None when it cannot be read: the baseline is then not given, rather than guessed)."""
    from sklearn.metrics import f1_score

    if history.empty:
        return ServedEvaluation(0, 0, 0, 0, None, None, None, None, None)
    labelled = history.loc[history["label"].notna()]
    unseen = unseen_rows(history)
    known = unseen.loc[unseen["label"].notna()]

    def acc(frame: pd.DataFrame, column: str = "prediction") -> float | None:
        if frame.empty:
            return None
        return float((frame[column].astype(str) == frame["label"].astype(str)).mean())

    def f1(frame: pd.DataFrame, column: str = "prediction") -> float | None:
        if frame.empty:
            return None
        return float(f1_score(frame["label"].astype(str), frame[column].astype(str),
                              labels=None, average="macro", zero_division=0))

    classes = pd.Series([majority(int(v)) for v in known[TD_COLUMN]], index=known.index,
                        dtype=object)
    # one unreadable training dataset and the baseline is not given (an empty frame scores None)
    baseline = known.assign(_baseline=classes).iloc[:0 if classes.isna().any() else len(known)]
    return ServedEvaluation(
        predictions=len(history), labelled=len(labelled), unseen=len(unseen),
        unseen_labelled=len(known), accuracy_unseen=acc(known), macro_f1_unseen=f1(known),
        baseline_accuracy_unseen=acc(baseline, "_baseline"),
        baseline_macro_f1_unseen=f1(baseline, "_baseline"), accuracy_all=acc(labelled))


def evaluate_stored(project: Project, system: System, history: pd.DataFrame
                    ) -> ServedEvaluation:
    """:func:`evaluate_predictions` with each training dataset's majority read from the store.

    A training dataset that cannot be re-read (its rows vacuumed, the view deleted) leaves the
    baseline out; the figures of the predictions themselves need only the stored rows.
    """
    from mlsys.errors import MlsysError

    read = membership_reader(project, system)

    def majority(version: int) -> str | None:
        try:
            return read(version).majority_class
        except MlsysError:
            return None

    return evaluate_predictions(history, majority)
