"""The confusion matrix of predictions so far, as counts and as a PNG."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from mlsys.errors import SchemaError
from mlsys.monitoring._common import (
    check_classes,
    new_figure,
    placeholder,
    save_png,
    text_column,
    validate_frame,
)


def confusion_matrix_frame(df: pd.DataFrame, label_col: str = "label",
                           prediction_col: str = "prediction",
                           classes: Sequence[str] | None = None) -> pd.DataFrame:
    """Counts of (actual, predicted) pairs: index ``actual``, columns ``predicted``.

    Each row of ``df`` is one prediction already paired with its true label by key (the
    pipeline's job). Rows whose label is still missing are not counted. The classes shown are
    those that appear in either column, so the matrix is useful with one or two classes seen so
    far; with ``classes`` they are in that order (and any other value is a :class:`SchemaError`),
    without it they are sorted. No predictions gives an empty 0 x 0 frame.
    """
    import pandera.pandas as pa

    schema = pa.DataFrameSchema({label_col: text_column(nullable=True),
                                 prediction_col: text_column(nullable=False)})
    df = validate_frame(schema, df, "predictions for the confusion matrix")
    paired = df.loc[df[label_col].notna(), [label_col, prediction_col]].astype(str)
    shown = check_classes(pd.concat([paired[label_col], paired[prediction_col]]).unique(),
                          classes, "predictions for the confusion matrix")
    counts = (paired.groupby([label_col, prediction_col]).size()
              .unstack(fill_value=0)
              .reindex(index=shown, columns=shown, fill_value=0)
              .astype("int64"))
    counts.index = pd.Index(shown, name="actual", dtype=object)
    counts.columns = pd.Index(shown, name="predicted", dtype=object)
    return counts


def _as_matrix(data: pd.DataFrame, label_col: str, prediction_col: str,
               classes: Sequence[str] | None) -> pd.DataFrame:
    """``data`` as a count matrix: computed from predictions, or checked if already a matrix."""
    if not isinstance(data, pd.DataFrame):
        raise SchemaError(f"confusion_matrix_png needs a DataFrame, got {type(data).__name__}")
    if label_col in data.columns or prediction_col in data.columns:
        return confusion_matrix_frame(data, label_col, prediction_col, classes)
    if list(data.index) != list(data.columns):
        raise SchemaError(
            "confusion_matrix_png got neither predictions (columns "
            f"{label_col!r} and {prediction_col!r}) nor a square count matrix with the same "
            f"classes on both axes; columns present: {list(map(str, data.columns))}")
    if not all(pd.api.types.is_integer_dtype(t) for t in data.dtypes) or (data < 0).any().any():
        raise SchemaError("a confusion matrix holds non-negative integer counts; "
                          f"got dtypes {sorted({str(t) for t in data.dtypes})}")
    return data


def confusion_matrix_png(data: pd.DataFrame, path: str | os.PathLike[str],
                         title: str = "Confusion matrix", *, label_col: str = "label",
                         prediction_col: str = "prediction",
                         classes: Sequence[str] | None = None) -> Path:
    """Draw a confusion matrix (counts annotated in each cell) to ``path``; returns the path.

    ``data`` is either the predictions (with ``label_col`` and ``prediction_col``) or a matrix
    from :func:`confusion_matrix_frame`. With no predictions yet the image says so.
    """
    matrix = _as_matrix(data, label_col, prediction_col, classes)
    fig = new_figure(5.5, 5.0)
    ax = fig.add_subplot()
    if matrix.empty:
        placeholder(ax, "No labelled predictions yet")
        ax.set_title(title)
        return save_png(fig, path)
    values = matrix.to_numpy()
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=max(int(values.max()), 1))
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="count")
    names = [str(c) for c in matrix.columns]
    ax.set_xticks(range(len(names)), labels=names, rotation=30, ha="right")
    ax.set_yticks(range(len(names)), labels=[str(c) for c in matrix.index])
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    # dark cells get white text so every count stays readable
    threshold = values.max() / 2
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            ax.text(j, i, str(int(values[i, j])), ha="center", va="center", fontsize=12,
                    color="white" if values[i, j] > threshold else "black")
    total = int(values.sum())
    accuracy = values.trace() / total if total else float("nan")
    ax.set_title(f"{title}\n{total} predictions, accuracy {accuracy:.1%}", fontsize=11)
    fig.subplots_adjust(left=0.2, bottom=0.2, right=0.88, top=0.86)
    return save_png(fig, path)
