"""Shared plumbing of the monitoring figures: schema guards, Agg figures and atomic PNG writes."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlsys.errors import SchemaError

if TYPE_CHECKING:
    import pandera.pandas as pa
    from matplotlib.figure import Figure

# Every PNG is written at this resolution, so a figure of a given size always gives the same pixels.
DPI = 100
# How many failure cases an error message shows; more only makes it unreadable.
_SHOWN_FAILURES = 3


def validate_frame(schema: pa.DataFrameSchema, df: object, what: str) -> pd.DataFrame:
    """``df`` checked against ``schema``; any failure becomes one readable :class:`SchemaError`.

    ``what`` names the frame in the message (e.g. ``"prediction history"``).
    """
    from mlsys.validation.schemas import check_frame

    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    return check_frame(schema, df, what)


def is_text(values: pd.Series) -> pd.Series:
    """Which values are strings (class names); works on object, string and categorical dtypes."""
    return pd.Series([isinstance(v, str) for v in values], index=values.index, dtype=bool)


def text_column(nullable: bool = False) -> pa.Column:
    """A column of class names: strings, whatever pandas string dtype the store gave back."""
    import pandera.pandas as pa

    return pa.Column(
        checks=pa.Check(is_text, ignore_na=True, name="is_string"),
        nullable=nullable,
    )


def numeric_column(nullable: bool = True) -> pa.Column:
    """A column of a numeric dtype (ints, floats or bools); strings are rejected, not coerced."""
    import pandera.pandas as pa

    return pa.Column(
        checks=pa.Check(lambda s: pd.api.types.is_numeric_dtype(s), name="is_numeric"),
        nullable=nullable,
    )


def datetime_column() -> pa.Column:
    """A column of timestamps (naive or tz-aware)."""
    import pandera.pandas as pa

    return pa.Column(
        checks=pa.Check(lambda s: pd.api.types.is_datetime64_any_dtype(s), name="is_datetime"),
        nullable=False,
    )


def check_classes(values: Sequence[str], classes: Sequence[str] | None, what: str) -> list[str]:
    """The classes to show: those in ``values``, in ``classes`` order when given, else sorted.

    A value outside ``classes`` is an error rather than silently dropped, because it means the
    caller passed the wrong class list (or the model predicts a class the system does not know).
    """
    seen = {str(v) for v in values}
    if classes is None:
        return sorted(seen)
    unknown = sorted(seen - set(classes))
    if unknown:
        raise SchemaError(f"{what} holds classes {unknown} that are not in "
                          f"classes={list(classes)}; pass the full class list of the system")
    return [c for c in classes if c in seen]


def new_figure(width: float, height: float) -> Figure:
    """A figure of ``width`` x ``height`` inches on the Agg canvas, outside pyplot's registry.

    Created without pyplot, so nothing accumulates in pyplot's figure list (no leak, no
    "too many figures" warning) however many images a long-running app draws.
    """
    import matplotlib

    matplotlib.use("Agg")  # headless: pipelines and servers have no display
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` to ``path`` as PNG atomically and release it; returns ``path``.

    The image goes to a temporary file in the same directory first and is then renamed, so a
    reader (the dataset API upload, a dashboard) never sees a half-written PNG. No tight bounding
    box: the output size is exactly the figure size times :data:`DPI`.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            fig.savefig(handle, format="png", dpi=DPI, metadata={"Software": None})
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    finally:
        fig.clear()
    return target


def placeholder(ax: Any, message: str) -> None:
    """An empty panel saying why there is nothing to draw (e.g. no predictions yet)."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="0.35",
            transform=ax.transAxes, wrap=True)


def verdict(predicted: str, actual: str | None) -> tuple[str, str]:
    """Headline and its colour: green when right, red when wrong, grey when not known yet."""
    if actual is None:
        return "prediction awaiting its label", "0.35"
    if str(predicted).strip().lower() == str(actual).strip().lower():
        return "correct prediction", "#1b7a1b"
    return "wrong prediction", "#b22222"
