"""The prediction history: the recent predictions as a table image, and accuracy over time."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mlsys.errors import MlsysError, SchemaError
from mlsys.monitoring._common import (
    datetime_column,
    new_figure,
    placeholder,
    save_png,
    text_column,
    validate_frame,
)

if TYPE_CHECKING:
    import pandera.pandas as pa

# Columns a history table shows first, in this order, when present; other columns (the key)
# come before them, up to MAX_TABLE_COLUMNS in all so the image stays readable.
STANDARD_COLUMNS = ("event_time", "prediction", "label", "correct", "model_version")
MAX_TABLE_COLUMNS = 8


def _history_schema(event_time: str) -> pa.DataFrameSchema:
    import pandera.pandas as pa

    return pa.DataFrameSchema({
        event_time: datetime_column(),
        "prediction": text_column(nullable=False),
        "label": text_column(nullable=True),  # a label not known yet is allowed
    })


def with_correct(history: pd.DataFrame, event_time: str = "event_time") -> pd.DataFrame:
    """``history`` checked, with a boolean-or-missing ``correct`` column (prediction == label).

    An existing ``correct`` column is recomputed, so it can never disagree with the labels;
    it is missing (``pd.NA``) where the label is.
    """
    history = validate_frame(_history_schema(event_time), history, "prediction history")
    out = history.copy()
    known = out["label"].notna()
    correct = pd.Series(pd.NA, index=out.index, dtype="boolean")
    correct[known] = (out.loc[known, "prediction"].astype(str)
                      == out.loc[known, "label"].astype(str)).to_numpy()
    out["correct"] = correct
    return out


def recent_history(history: pd.DataFrame, n: int = 10,
                   event_time: str = "event_time") -> pd.DataFrame:
    """The ``n`` newest predictions, newest first, with ``correct``; ties keep their order."""
    if n < 1:
        raise MlsysError(f"n must be at least 1 to show any history, got {n}")
    out = with_correct(history, event_time)
    out = out.sort_values(event_time, ascending=False, kind="stable").head(n)
    return out.reset_index(drop=True)


def _table_columns(frame: pd.DataFrame, columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise SchemaError(f"history has no columns {missing}; it has {list(frame.columns)}")
        return list(columns)
    standard = [c for c in STANDARD_COLUMNS if c in frame.columns]
    others = [c for c in frame.columns if c not in standard]
    return others[: max(MAX_TABLE_COLUMNS - len(standard), 0)] + standard


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


def history_table_png(history: pd.DataFrame, path: str | os.PathLike[str], n: int = 10,
                      title: str = "Recent predictions", *,
                      columns: Sequence[str] | None = None,
                      event_time: str = "event_time") -> Path:
    """The ``n`` newest predictions as a table image, newest first; returns ``path``.

    ``columns`` picks and orders the columns; by default the key columns come first, then
    event time, prediction, label, correct and model version (at most 8 columns). Correct
    rows are tinted green, wrong ones red, unlabelled ones left white.
    """
    recent = recent_history(history, n, event_time)
    shown = _table_columns(recent, columns)
    from matplotlib.transforms import Bbox

    # the figure height follows the fixed row budget n, not the rows present, so the image
    # size of a given call never changes as history accumulates
    fig = new_figure(max(6.0, 1.45 * len(shown)), 1.1 + 0.32 * (n + 1))
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, fontsize=12)
    if recent.empty:
        placeholder(ax, "No predictions yet")
        return save_png(fig, path)
    cells = [[_cell(v) for v in row] for row in recent[shown].itertuples(index=False)]
    colours = [[_tint(ok)] * len(shown) for ok in recent["correct"]]
    # anchor the table at the top and size it by the row budget, so fewer rows leave space below
    height = (len(recent) + 1) / (n + 1)
    table = ax.table(cellText=cells, colLabels=shown, cellColours=colours, loc="upper center",
                     bbox=Bbox.from_bounds(0.0, 1.0 - height, 1.0, height))
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    for (row, _col), cell in table.get_celld().items():
        if row == 0:
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#e6e6e6")
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=1 - 0.5 / fig.get_figheight())
    return save_png(fig, path)


def _tint(correct: object) -> str:
    """Row colour: green when right, red when wrong, white when the label is not known yet."""
    if correct is None or correct is pd.NA:
        return "white"
    return "#d8f0d8" if bool(correct) else "#f6d5d5"


def accuracy_over_time(history: pd.DataFrame, freq: str = "D",
                       event_time: str = "event_time") -> pd.DataFrame:
    """Accuracy per period of event time.

    Columns: ``date, n, correct, accuracy, cumulative_accuracy``.

    Only predictions with a known label count. Periods come from pandas' resampling with
    ``freq`` (``"D"`` days, ``"W"`` weeks, ``"MS"`` months, ...) and are labelled as pandas
    labels them; periods without labelled predictions are left out rather than shown as 0.
    ``cumulative_accuracy`` is the accuracy of all labelled predictions up to that period.
    """
    try:
        pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        raise MlsysError(f"freq {freq!r} is not a pandas frequency; use e.g. 'D', 'W' or 'MS'")\
            from None
    frame = with_correct(history, event_time)
    frame = frame.loc[frame["correct"].notna(), [event_time, "correct"]]
    columns = ["date", "n", "correct", "accuracy", "cumulative_accuracy"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    frame = frame.assign(correct=frame["correct"].astype("int64"))
    grouped = frame.set_index(event_time)["correct"].resample(freq)
    out = pd.DataFrame({"n": grouped.count(), "correct": grouped.sum()})
    out = out.loc[out["n"] > 0].astype("int64")
    out["accuracy"] = out["correct"] / out["n"]
    out["cumulative_accuracy"] = out["correct"].cumsum() / out["n"].cumsum()
    out.index.name = "date"
    return out.reset_index()[columns]


def accuracy_png(history: pd.DataFrame, path: str | os.PathLike[str], freq: str = "D",
                 title: str = "Accuracy over time", *, event_time: str = "event_time") -> Path:
    """Plot :func:`accuracy_over_time`: accuracy per period, cumulative accuracy, and counts."""
    table = accuracy_over_time(history, freq, event_time)
    fig = new_figure(8.0, 4.0)
    import matplotlib.dates as mdates  # after new_figure, which selects the Agg backend

    ax = fig.add_subplot()
    ax.set_title(title)
    if table.empty:
        placeholder(ax, "No labelled predictions yet")
        return save_png(fig, path)
    counts = ax.twinx()
    counts.bar(table["date"], table["n"], color="0.85", label="predictions",
               width=_bar_width(table["date"]))
    counts.set_ylabel("predictions per period")
    counts.set_ylim(0, max(int(table["n"].max()) * 3, 1))  # keep the bars low, behind the lines
    # draw the lines above the bars of the twin axis
    ax.set_zorder(counts.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.plot(table["date"], table["accuracy"], marker="o", label="accuracy per period")
    ax.plot(table["date"], table["cumulative_accuracy"], linestyle="--",
            label="cumulative accuracy")
    ax.set_ylim(-0.02, 1.19)  # headroom for the legend above the 100% line
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_ylabel("accuracy")
    ax.legend(loc="upper center", ncols=2, fontsize=8, frameon=False)
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return save_png(fig, path)


def _bar_width(dates: pd.Series) -> float:
    """Bar width in days: 80% of the smallest gap between periods (1 day for a single period)."""
    if len(dates) < 2:
        return 0.8
    gaps = pd.Series(dates).diff().dropna().dt.total_seconds() / 86400
    return float(gaps.min()) * 0.8
