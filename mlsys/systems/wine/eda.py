"""Wine Quality analysis: the figures behind the cleaning choices, the suite, an HTML report."""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsys.systems.wine.data import (
    CLASSES,
    COLUMNS,
    DROPPED,
    EVENT_TIME,
    LABEL,
    MEASUREMENTS,
    PRIMARY_KEY,
    QUALITIES,
    RAW_MEASUREMENTS,
    clean_result,
    load,
    read_raw,
    synthesis_plan,
)
from mlsys.validation.types import Expectation, ExpectationSuite

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.systems.wine.model import GranularityComparison

# Suite ranges: observed [min, max] widened by this share of the span on each side (lower bound
# clipped at 0: every measurement is a non-negative quantity). Wide enough for synthetic means
# (which always lie inside the real range) and for new real wines a little beyond it.
SUITE_MARGIN = 0.10
# Where the shipped suite lives in a source checkout (pyproject force-includes it in the wheel).
SUITE_PATH = Path(__file__).resolve().parents[3] / "expectations" / "wine.json"


@dataclass(frozen=True)
class SulfurCorrelation:
    """Pearson and Spearman correlation of free vs total sulfur dioxide on the complete rows."""

    pearson: float
    spearman: float
    rows: int


@dataclass(frozen=True)
class KeyCount:
    """Distinct wines under one choice of key columns, on the complete rows."""

    columns: tuple[str, ...]
    complete_rows: int
    distinct: int
    multi_quality: int  # keys seen with more than one quality
    red_and_white: int  # keys seen as both types


@dataclass(frozen=True)
class RedWhiteEvidence:
    """Where one measurement of a wine seen as both types falls among red and among white wines."""

    key: tuple[float, ...]
    column: str
    value: float
    red_below: float  # share of red wines with a lower value
    white_below: float  # share of white wines with a lower value


def _complete(raw: pd.DataFrame | None = None) -> pd.DataFrame:
    raw = read_raw() if raw is None else raw
    return raw.loc[~raw.isna().any(axis=1)]


def correlation_matrix(raw: pd.DataFrame | None = None) -> pd.DataFrame:
    """Pearson correlations of the eleven measurements, type_white and quality (complete rows)."""
    df = _complete(raw)
    numeric = df[list(RAW_MEASUREMENTS)].assign(
        type_white=(df["type"] == "white").astype("int64"), quality=df["quality"])
    return numeric.corr()


def sulfur_correlation(raw: pd.DataFrame | None = None) -> SulfurCorrelation:
    """Why ``total_sulfur_dioxide`` is dropped: its correlation with ``free_sulfur_dioxide``."""
    df = _complete(raw)
    free, total = df["free_sulfur_dioxide"], df[DROPPED]
    return SulfurCorrelation(float(free.corr(total)), float(free.corr(total, method="spearman")),
                             len(df))


def key_counts(raw: pd.DataFrame | None = None) -> tuple[KeyCount, ...]:
    """Distinct wines keyed on all eleven measurements and on the ten that are stored."""
    df = _complete(raw)
    out = []
    for cols in (RAW_MEASUREMENTS, PRIMARY_KEY):
        g = df.groupby(list(cols))
        out.append(KeyCount(tuple(cols), len(df), int(g.ngroups),
                            int((g["quality"].nunique() > 1).sum()),
                            int((g["type"].nunique() > 1).sum())))
    return tuple(out)


def red_white_evidence(raw: pd.DataFrame | None = None,
                       columns: tuple[str, ...] = (DROPPED, "free_sulfur_dioxide",
                                                   "volatile_acidity", "chlorides"),
                       ) -> tuple[RedWhiteEvidence, ...]:
    """For each wine seen as both red and white: percentiles of telling measurements per type.

    Total and free sulfur dioxide are much higher, volatile acidity and chlorides lower in white
    wines, so these say which file a doubled wine more likely belongs to.
    """
    df = _complete(raw)
    by_type = {t: df.loc[df["type"] == t] for t in QUALITIES}
    out = []
    for key in clean_result().red_white_keys:
        row = df.loc[(df[list(PRIMARY_KEY)].to_numpy() == key).all(axis=1)].iloc[0]
        for col in columns:
            v = float(row[col])
            out.append(RedWhiteEvidence(key, col, v,
                                        float((by_type["red"][col] < v).mean()),
                                        float((by_type["white"][col] < v).mean())))
    return tuple(out)


def quality_table(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Wines per quality (rows) and type (columns), with each quality's class."""
    import pandas as pd

    frame = load() if frame is None else frame
    types = frame["type_white"].map({0: "red", 1: "white"})
    table = pd.crosstab(frame["quality"], types).reindex(columns=list(QUALITIES), fill_value=0)
    table.columns.name = None
    table[LABEL] = [str(c) for c in frame.groupby("quality")[LABEL].first().loc[table.index]]
    return table


# --------------------------------------------------------------------------- the suite


def _outward(x: float, up: bool) -> float:
    """Round to 6 decimals away from the data, so rounding never narrows the range."""
    return (math.ceil if up else math.floor)(x * 1e6) / 1e6


def build_suite(frame: pd.DataFrame | None = None,
                margin: float = SUITE_MARGIN) -> ExpectationSuite:
    """The GE suite of the ``wine`` group: columns, non-null, observed ranges +- margin, sets."""
    frame = load() if frame is None else frame
    exps = [Expectation("expect_table_columns_to_match_set",
                        {"column_set": list(COLUMNS), "exact_match": True})]
    exps += [Expectation("expect_column_values_to_not_be_null", {"column": c}) for c in COLUMNS]
    ranges = {}
    for c in MEASUREMENTS:
        lo, hi = float(frame[c].min()), float(frame[c].max())
        pad = margin * (hi - lo)
        ranges[c] = (lo, hi)
        exps.append(Expectation("expect_column_values_to_be_between", {
            "column": c, "min_value": _outward(max(0.0, lo - pad), up=False),
            "max_value": _outward(hi + pad, up=True)}))
    qualities = sorted({q for qs in QUALITIES.values() for q in qs})
    exps += [
        Expectation("expect_column_values_to_be_in_set", {"column": "type_white",
                                                          "value_set": [0, 1]}),
        Expectation("expect_column_values_to_be_in_set", {"column": "quality",
                                                          "value_set": qualities}),
        Expectation("expect_column_values_to_be_in_set", {"column": LABEL,
                                                          "value_set": list(CLASSES)}),
    ]
    meta = {
        "description": "Wine Quality feature group 'wine' v1 (mlsys.systems.wine).",
        "margin": f"each range is the observed [min, max] of the {len(frame)} de-duplicated "
                  f"real wines widened by {margin:.0%} of (max - min) on both sides, lower "
                  "bound clipped at 0, rounded outward to 6 decimals",
        "observed_ranges": {c: list(v) for c, v in ranges.items()},
        "regenerate": "python -c 'from mlsys.systems.wine.eda import write_suite; write_suite()'",
        "event_time": f"{EVENT_TIME} is checked for nulls only (real rows: 2000-01-01 UTC)",
    }
    return ExpectationSuite("wine", tuple(exps), meta)


def suite_text(suite: ExpectationSuite | None = None) -> str:
    """The suite as the JSON written to ``expectations/wine.json``."""
    suite = build_suite() if suite is None else suite
    return json.dumps(suite.to_dict(), indent=2) + "\n"


def write_suite(path: Path = SUITE_PATH) -> Path:
    """(Re)write the shipped suite file from the shipped data."""
    path.write_text(suite_text(), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the report


def _table(frame: pd.DataFrame, floatfmt: str = "{:.3f}", index: bool = True) -> str:
    return frame.to_html(float_format=floatfmt.format, border=0, classes="t", index=index)


def _correlation_png(corr: pd.DataFrame, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 7))
    try:
        im = ax.imshow(corr.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        names = list(corr.columns)
        ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(names)), names, fontsize=8)
        for i in range(len(names)):
            for j in range(len(names)):
                r = float(corr.to_numpy()[i, j])
                ax.text(j, i, f"{r:.2f}", ha="center", va="center", fontsize=6,
                        color="white" if abs(r) > 0.6 else "black")
        ax.set_title("Pearson correlation (complete rows)")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return path


def _quality_png(table: pd.DataFrame, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    try:
        x = range(len(table.index))
        ax.bar([i - 0.2 for i in x], table["red"], width=0.4, label="red", color="#8b1a1a")
        ax.bar([i + 0.2 for i in x], table["white"], width=0.4, label="white", color="#d8c86a")
        ax.set_xticks(list(x), [f"{q}\n{c}" for q, c in zip(table.index, table[LABEL],
                                                             strict=True)])
        ax.set_ylabel("wines")
        ax.set_title("Quality and class of the de-duplicated wines")
        ax.legend()
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return path


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def write_eda_report(out_dir: Path, *, include_models: bool = True, seed: int = 42) -> Path:
    """Write ``out_dir/index.html`` (self-contained but for its PNGs beside it); return its path.

    With ``include_models`` the 3-class vs 7-class comparison is trained too (a few seconds).
    """
    import pandas as pd

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = read_raw()
    cr = clean_result()
    corr = correlation_matrix(raw)
    sulfur = sulfur_correlation(raw)
    keys = key_counts(raw)
    evidence = red_white_evidence(raw)
    qtable = quality_table(cr.frame)
    _correlation_png(corr, out_dir / "correlation.png")
    _quality_png(qtable, out_dir / "quality.png")
    missing = pd.DataFrame({
        "rows": cr.rows_by_type, "rows with a missing value": cr.missing_by_type,
        "share": {t: _pct(s) for t, s in cr.missing_share_by_type.items()}})
    per_column = raw.isna().sum().loc[lambda s: s > 0].rename("empty cells").to_frame()
    key_frame = pd.DataFrame([{"key": f"{len(k.columns)} measurements" + (
        f" (without {DROPPED})" if DROPPED not in k.columns else ""),
        "complete rows": k.complete_rows, "distinct wines": k.distinct,
        "with two qualities": k.multi_quality, "red and white": k.red_and_white} for k in keys])
    ev = pd.DataFrame([{"wine (fixed acidity, ...)": e.key[:3], "measurement": e.column,
                        "value": e.value, "share of reds below": _pct(e.red_below),
                        "share of whites below": _pct(e.white_below)} for e in evidence])
    plan = synthesis_plan()
    plan_frame = pd.DataFrame(plan.quality_p).rename_axis("quality").fillna(0.0)
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Wine Quality EDA</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
        "table.t{border-collapse:collapse}table.t td,table.t th{padding:2px 8px;"
        "border-bottom:1px solid #ddd;text-align:right}</style></head><body>",
        "<h1>Wine Quality: analysis behind the features</h1>",
        "<p>Data: P. Cortez, A. Cerdeira, F. Almeida, T. Matos and J. Reis, <i>Modeling wine "
        "preferences by data mining from physicochemical properties</i>, Decision Support "
        "Systems 47(4):547-553, 2009; UCI Machine Learning Repository, Wine Quality, CC BY 4.0. "
        f"{cr.raw_rows} rows as shipped.</p>",
        "<h2>Missing values (rows dropped)</h2>", _table(missing), _table(per_column),
        "<h2>Correlation</h2><img src='correlation.png' alt='correlation matrix'>",
        f"<p>free vs total sulfur dioxide: Pearson <b>{sulfur.pearson:.3f}</b>, Spearman "
        f"{sulfur.spearman:.3f} ({sulfur.rows} complete rows): <code>{DROPPED}</code> is "
        "dropped.</p>",
        "<h2>Features</h2><p><code>type</code> is one-hot encoded with the first level (red) "
        "dropped: <code>type_white</code> (0/1). <code>quality</code> is binned into "
        "<code>quality_class</code>: poor (&lt; 5), fair (5-6), excellent (&gt; 6); the raw "
        "quality is kept.</p><img src='quality.png' alt='quality per type'>", _table(qtable),
        "<h2>Key and duplicates</h2>", _table(key_frame, index=False),
        f"<p>Key: the {len(PRIMARY_KEY)} stored measurements ({esc(', '.join(PRIMARY_KEY))}). "
        f"{cr.complete_rows} complete rows hold {cr.wines} wines: {cr.rows_collapsed} rows "
        f"collapsed in {cr.duplicate_groups} groups, {cr.conflicting_quality} with conflicting "
        f"qualities, {cr.red_white_pairs} seen as both red and white, kept as <b>white</b>:</p>",
        _table(ev, index=False),
        "<h2>Synthetic wines</h2><p>Type drawn by its share of the real wines "
        + esc(", ".join(f"{t} {_pct(p)}" for t, p in plan.type_p.items()))
        + "; then quality by its share within the type (below); then the mean of two distinct "
        "real wines of that type and quality.</p>", _table(plan_frame, "{:.4f}"),
    ]
    if include_models:
        from mlsys.systems.wine.model import compare_granularity

        parts += ["<h2>Three classes or seven qualities?</h2>",
                  _comparison_html(compare_granularity(cr.frame, seed))]
    parts.append("</body></html>")
    index = out_dir / "index.html"
    index.write_text("\n".join(parts), encoding="utf-8")
    return index


def _comparison_html(c: GranularityComparison) -> str:
    import pandas as pd

    rows = pd.DataFrame({
        "3 classes: tuned KNN": c.three_class, "3 classes: majority baseline": c.baseline_three,
        "7 qualities: tuned KNN": c.seven_class, "7 qualities: majority baseline": c.baseline_seven,
        "7-quality KNN, predictions binned to 3 classes": c.seven_binned,
    }).T
    recall = pd.Series(c.seven_class_recall, name="recall").rename_axis("quality").to_frame().T
    return (_table(rows) + "<p>Recall per quality of the 7-class model:</p>" + _table(recall)
            + f"<p>{html.escape(c.summary)}</p>")
