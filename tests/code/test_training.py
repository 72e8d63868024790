"""The generic training helpers: metrics, confusion counts, baseline, KNN search, PNG output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from mlsys.errors import PipelineError
from mlsys.training import (
    TrainedModel,
    confusion_frame,
    evaluate,
    knn_search,
    majority_baseline,
)

CLASSES = ("a", "b", "c")


class Fixed:
    """An 'estimator' that predicts a given sequence, so metrics can be checked by hand."""

    def __init__(self, predictions: list[str]) -> None:
        self.predictions = np.asarray(predictions, dtype=object)

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        return self.predictions[: len(x)]


def _blobs(n_per_class: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Three well separated clusters in two features of very different scales."""
    rng = np.random.default_rng(seed)
    centres = {"a": (0.0, 0.0), "b": (5.0, 500.0), "c": (10.0, 0.0)}
    rows, labels = [], []
    for label, (cx, cy) in centres.items():
        rows.append(np.column_stack([rng.normal(cx, 1.0, n_per_class),
                                     rng.normal(cy, 100.0, n_per_class)]))
        labels += [label] * n_per_class
    return pd.DataFrame(np.vstack(rows), columns=["x", "y"]), pd.Series(labels, name="label")


def test_evaluate_matches_sklearn_and_counts_by_hand() -> None:
    y_true = pd.Series(["a", "a", "b", "b", "c", "c"])
    y_pred = ["a", "b", "b", "b", "c", "a"]
    x = pd.DataFrame({"f": range(6)})
    metrics, confusion = evaluate(Fixed(y_pred), x, y_true, CLASSES)
    assert metrics["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert metrics["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y_true, y_pred))
    assert metrics["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert (metrics["recall_a"], metrics["recall_b"], metrics["recall_c"]) == (0.5, 1.0, 0.5)
    assert confusion.loc["a"].tolist() == [1, 1, 0]
    assert confusion.loc["b"].tolist() == [0, 2, 0]
    assert confusion.loc["c"].tolist() == [1, 0, 1]
    assert (confusion.index.name, confusion.columns.name) == ("true", "predicted")


def test_confusion_keeps_every_class_in_order_even_if_absent() -> None:
    confusion = confusion_frame(["b", "b"], ["b", "c"], CLASSES)
    assert list(confusion.index) == list(confusion.columns) == list(CLASSES)
    assert confusion.to_numpy().tolist() == [[0, 0, 0], [0, 1, 1], [0, 0, 0]]
    assert str(confusion.dtypes.unique()[0]) == "int64"


def test_metrics_of_a_test_set_missing_a_class_emit_no_warning() -> None:
    # pytest turns warnings into errors, so this also checks sklearn stays quiet
    metrics, _ = evaluate(Fixed(["a", "c"]), pd.DataFrame({"f": [0, 1]}),
                          pd.Series(["a", "a"]), CLASSES)
    assert metrics["accuracy"] == 0.5
    assert metrics["balanced_accuracy"] == 0.5  # mean recall over the classes present: a only
    assert metrics["recall_b"] == 0.0


def test_evaluate_refuses_an_empty_test_set() -> None:
    with pytest.raises(PipelineError, match="empty test set"):
        evaluate(Fixed([]), pd.DataFrame({"f": []}), pd.Series([], dtype=str), CLASSES)


def test_majority_baseline_predicts_the_most_frequent_training_class() -> None:
    y_train = pd.Series(["b", "b", "b", "a"])
    y_test = pd.Series(["a", "b", "c", "b"])
    metrics = majority_baseline(y_train, pd.DataFrame({"f": range(4)}), y_test, CLASSES)
    assert metrics["accuracy"] == 0.5
    assert metrics["recall_b"] == 1.0 and metrics["recall_a"] == 0.0
    with pytest.raises(PipelineError):
        majority_baseline(pd.Series([], dtype=str), pd.DataFrame(), y_test, CLASSES)


def test_knn_search_finds_a_good_reproducible_pipeline() -> None:
    x, y = _blobs(40, seed=0)
    pipeline, params = knn_search(x, y, seed=3, n_iter=10)
    again, params_again = knn_search(x, y, seed=3, n_iter=10)
    assert params == params_again
    assert {"n_neighbors", "weights", "metric", "scale", "cv_score"} <= set(params)
    assert [name for name, _ in pipeline.steps] == ["scale", "knn"]
    x_test, y_test = _blobs(20, seed=1)
    metrics, _ = evaluate(pipeline, x_test, y_test, CLASSES)
    assert metrics["accuracy"] >= 0.95
    assert np.allclose(pipeline.predict_proba(x_test).sum(axis=1), 1.0)
    np.testing.assert_array_equal(pipeline.predict(x_test), again.predict(x_test))


def test_scaling_matters_when_features_have_unlike_units() -> None:
    # y's spread (sd 100) swamps x's class separation unless features are standardised
    x, y = _blobs(40, seed=0)
    x_test, y_test = _blobs(40, seed=2)
    scaled, _ = knn_search(x, y, seed=0, n_iter=6)
    raw, raw_params = knn_search(x, y, seed=0, n_iter=6, scale=False)
    assert [name for name, _ in raw.steps] == ["knn"] and raw_params["scale"] is False
    acc_scaled = evaluate(scaled, x_test, y_test, CLASSES)[0]["accuracy"]
    acc_raw = evaluate(raw, x_test, y_test, CLASSES)[0]["accuracy"]
    assert acc_scaled > acc_raw


def test_knn_search_copes_with_a_rare_class_and_refuses_hopeless_data() -> None:
    x, y = _blobs(30, seed=0)
    keep = np.r_[0:30, 30:60, 60:63]  # class c has 3 examples: fewer than 5 folds
    pipeline, params = knn_search(x.iloc[keep], y.iloc[keep], seed=0, n_iter=5)
    assert params["n_neighbors"] >= 1 and hasattr(pipeline, "predict_proba")
    with pytest.raises(PipelineError, match="two classes"):
        knn_search(x.head(30), y.head(30), seed=0)
    with pytest.raises(PipelineError, match="single example"):
        knn_search(x.iloc[np.r_[0:30, 30]], y.iloc[np.r_[0:30, 30]], seed=0)


def test_confusion_frames_draw_with_the_monitoring_plot(tmp_path: Path) -> None:
    from mlsys.monitoring import confusion_matrix_png as confusion_png

    confusion = confusion_frame(["a", "b", "c", "c"], ["a", "b", "b", "c"], CLASSES)
    out = confusion_png(confusion, tmp_path / "sub" / "cm.png", "test")
    assert out == tmp_path / "sub" / "cm.png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    empty = confusion_png(confusion * 0, tmp_path / "empty.png", "no predictions yet")
    assert empty.stat().st_size > 0


def test_majority_baseline_keeps_integer_labels() -> None:
    y_train = pd.Series([5, 5, 6])
    metrics = majority_baseline(y_train, pd.DataFrame({"x": [0, 1]}), pd.Series([5, 6]), [5, 6])
    assert metrics["accuracy"] == 0.5


def test_trained_model_is_immutable() -> None:
    model = TrainedModel("m", None, {"accuracy": 1.0}, {}, pd.DataFrame(), CLASSES)
    with pytest.raises(AttributeError):
        model.name = "other"  # type: ignore[misc]
