"""Plots of the data-quality pages, as inline base64 PNGs (matplotlib, no pyplot, no GUI)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.validation.types import ValidationReport

MAX_PLOTTED_FEATURES = 24


def esc(value: Any) -> str:
    """Any value as escaped HTML text (quotes too, so it is safe inside attributes)."""
    return escape(str(value), quote=True)


def is_numeric(s: pd.Series) -> bool:
    """Numbers worth a histogram and a mean (booleans are not)."""
    import pandas as pd

    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(png: str, caption: str) -> str:
    return (f'<figure><img alt="{esc(caption)}" src="data:image/png;base64,{png}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def _figure(width: float, height: float) -> tuple[Any, Any]:
    """A figure and its axes, made without pyplot: no global backend switch, no GUI window,
    nothing left open to close (the figure is freed with its last reference)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def render_feature_plots(df: pd.DataFrame) -> str:
    """A small histogram per numeric feature, a bar chart per low-cardinality other feature."""
    if df.empty:
        return '<p class="muted">No rows to plot.</p>'
    figures = []
    for name in list(df.columns)[:MAX_PLOTTED_FEATURES]:
        s = df[name].dropna()
        if s.empty:
            continue
        if is_numeric(s):
            fig, ax = _figure(3.0, 2.0)
            ax.hist(s.to_numpy(dtype=float), bins=30, color="#3b6fd8")
        else:
            try:
                counts = s.astype(str).value_counts()
            except TypeError:
                continue
            if len(counts) > 20 or len(counts) == len(s) > 20:  # identifiers are not plotted
                continue
            fig, ax = _figure(3.0, 2.0)
            ax.bar([str(k)[:12] for k in counts.index], counts.to_numpy(), color="#3b6fd8")
            ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.tick_params(labelsize=7)
        ax.set_title(str(name)[:40], fontsize=9)
        figures.append(_img(_png(fig), f"distribution of {name}"))
    if not figures:
        return '<p class="muted">No feature can be plotted.</p>'
    return f'<div class="grid">{"".join(figures)}</div>'


def render_history_plot(reports: Sequence[ValidationReport]) -> str:
    """Share of expectations met per report over time (oldest left)."""
    if len(reports) < 2:
        return ""
    ordered = sorted(reports, key=lambda r: r.validation_time)
    fig, ax = _figure(6.0, 2.2)
    times = [r.validation_time for r in ordered]
    ax.plot(times, [r.statistics["success_percent"] for r in ordered], marker="o",
            markersize=3, color="#3b6fd8")
    bad = [r for r in ordered if not r.success]
    ax.scatter([r.validation_time for r in bad], [r.statistics["success_percent"] for r in bad],
               color="#b3261e", zorder=3, s=14, label="failed")
    ax.set_ylim(-5, 105)
    ax.set_ylabel("% met", fontsize=8)
    ax.tick_params(labelsize=7)
    fig.autofmt_xdate()
    return f'<div class="grid">{_img(_png(fig), "expectations met per validation report")}</div>'
