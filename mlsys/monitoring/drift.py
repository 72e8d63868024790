"""Feature drift of new (daily) data against the reference (training) data, per feature."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mlsys.errors import SchemaError
from mlsys.monitoring._common import (
    new_figure,
    numeric_column,
    placeholder,
    save_png,
    validate_frame,
)

OK = "ok"
DRIFTED = "drifted"
INSUFFICIENT = "insufficient data"

# Empty PSI bins get this share instead of 0, so the log ratio stays finite.
PSI_EPSILON = 1e-4

REPORT_COLUMNS = ("feature", "n_reference", "n_current", "reference_mean", "current_mean",
                  "reference_std", "current_std", "ks_statistic", "ks_pvalue", "psi", "status",
                  "drifted")


@dataclass(frozen=True)
class DriftThresholds:
    """The drift rule's parameters (see :func:`feature_drift`)."""

    psi_threshold: float = 0.2  # the usual "significant shift" level of the PSI
    ks_alpha: float = 0.01
    min_samples: int = 5  # fewer rows on either side: "insufficient data"
    psi_min_samples: int = 30  # PSI only votes with at least this many current rows
    max_bins: int = 10
    rows_per_bin: int = 20  # current rows the PSI wants per bin on average


@dataclass(frozen=True)
class DriftReport:
    """Drift per feature: ``frame`` has one row per feature (columns :data:`REPORT_COLUMNS`)."""

    frame: pd.DataFrame
    drifted: list[str]
    insufficient: list[str]
    thresholds: DriftThresholds = field(default_factory=DriftThresholds)

    @property
    def any_drift(self) -> bool:
        return bool(self.drifted)

    def status(self, feature: str) -> str:
        """``"ok"``, ``"drifted"`` or ``"insufficient data"`` for ``feature``."""
        match = self.frame.loc[self.frame["feature"] == feature, "status"]
        if match.empty:
            raise SchemaError(f"feature {feature!r} is not in this drift report; it has "
                              f"{list(self.frame['feature'])}")
        return str(match.iloc[0])


def psi_bins(n_current: int, thresholds: DriftThresholds | None = None) -> int:
    """How many reference-quantile bins the PSI uses for ``n_current`` rows (2 to max_bins).

    The PSI of two samples of the same distribution grows like (bins - 1) * (1/n + 1/m), so
    bins are kept to about ``rows_per_bin`` current rows each.
    """
    t = thresholds or DriftThresholds()
    return int(min(t.max_bins, max(2, n_current // t.rows_per_bin)))


def population_stability_index(reference: Sequence[float] | np.ndarray,
                               current: Sequence[float] | np.ndarray, bins: int = 10) -> float:
    """PSI = sum over bins of (c - r) * ln(c / r), with r, c the bin shares of each sample.

    Bins are the reference's ``bins``-quantiles (repeated edges merged), open-ended so current
    values beyond the reference range fall into the outer bins; a value on an edge belongs to
    the lower bin. Empty bins count as :data:`PSI_EPSILON`. Both samples must be non-empty.
    """
    ref = np.asarray(reference, dtype="float64")
    cur = np.asarray(current, dtype="float64")
    if ref.size == 0 or cur.size == 0 or bins < 1:
        raise SchemaError("the PSI needs a non-empty reference, a non-empty current sample "
                          f"and at least one bin; got {ref.size}, {cur.size} values, {bins} bins")
    inner = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    r = np.bincount(np.searchsorted(inner, ref, side="left"), minlength=inner.size + 1) / ref.size
    c = np.bincount(np.searchsorted(inner, cur, side="left"), minlength=inner.size + 1) / cur.size
    r = np.maximum(r, PSI_EPSILON)
    c = np.maximum(c, PSI_EPSILON)
    return float(np.sum((c - r) * np.log(c / r)))


def _check(reference: pd.DataFrame, current: pd.DataFrame,
           features: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    import pandera.pandas as pa

    if isinstance(features, str) or not features:
        raise SchemaError(f"features must be a non-empty list of column names, got {features!r}")
    schema = pa.DataFrameSchema({f: numeric_column(nullable=True) for f in features})
    return (validate_frame(schema, reference, "drift reference data"),
            validate_frame(schema, current, "drift current data"))


def feature_drift(reference: pd.DataFrame, current: pd.DataFrame, features: Sequence[str],
                  thresholds: DriftThresholds | None = None) -> DriftReport:
    """Compare each numeric feature of ``current`` with ``reference``.

    Per feature, on the non-missing values: count, mean and standard deviation of each side,
    the two-sample Kolmogorov–Smirnov statistic and p-value, and the Population Stability
    Index (:func:`population_stability_index` over :func:`psi_bins` reference-quantile bins).

    The rule (defaults of :class:`DriftThresholds`):

    - **insufficient data** when either side has fewer than 5 values: no verdict is possible;
    - **drifted** when the KS p-value < 0.01, or the PSI > 0.2 with at least 30 current values
      (below that the PSI of a sample from the very same distribution often exceeds 0.2, while
      the KS p-value already accounts for the sample size);
    - **ok** otherwise.

    Missing or non-numeric feature columns are a :class:`~mlsys.errors.SchemaError`.
    """
    from scipy.stats import ks_2samp

    t = thresholds or DriftThresholds()
    reference, current = _check(reference, current, features)
    rows = []
    for feature in features:
        ref = reference[feature].dropna().to_numpy(dtype="float64")
        cur = current[feature].dropna().to_numpy(dtype="float64")
        row: dict[str, object] = {
            "feature": feature, "n_reference": ref.size, "n_current": cur.size,
            "reference_mean": _stat(ref, np.mean), "current_mean": _stat(cur, np.mean),
            "reference_std": _stat(ref, _std), "current_std": _stat(cur, _std),
            "ks_statistic": math.nan, "ks_pvalue": math.nan, "psi": math.nan,
        }
        if min(ref.size, cur.size) < t.min_samples:
            row["status"] = INSUFFICIENT
        else:
            ks = ks_2samp(ref, cur)
            pvalue = float(ks.pvalue)
            psi = population_stability_index(ref, cur, psi_bins(cur.size, t))
            psi_votes = cur.size >= t.psi_min_samples and psi > t.psi_threshold
            row.update(ks_statistic=float(ks.statistic), ks_pvalue=pvalue, psi=psi,
                       status=DRIFTED if pvalue < t.ks_alpha or psi_votes else OK)
        row["drifted"] = row["status"] == DRIFTED
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    return DriftReport(
        frame=frame,
        drifted=[f for f, s in zip(frame["feature"], frame["status"], strict=True) if s == DRIFTED],
        insufficient=[f for f, s in zip(frame["feature"], frame["status"], strict=True)
                      if s == INSUFFICIENT],
        thresholds=t,
    )


def _std(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1)) if values.size > 1 else math.nan


def _stat(values: np.ndarray, how: object) -> float:
    return float(how(values)) if values.size else math.nan  # type: ignore[operator]


def drift_png(reference: pd.DataFrame, current: pd.DataFrame, features: Sequence[str],
              path: str | os.PathLike[str], *, title: str = "Feature drift",
              report: DriftReport | None = None, reference_name: str = "reference",
              current_name: str = "current") -> Path:
    """Small multiples: per feature, overlaid histograms (shares) of reference and current.

    Each panel's title gives the drift status with PSI and KS p-value (computed here unless
    ``report`` is passed). Drifted panels are framed red. Returns ``path``.
    """
    report = report or feature_drift(reference, current, features)
    cols = min(3, len(features))
    n_rows = math.ceil(len(features) / cols)
    fig = new_figure(max(4.0 * cols, 5.0), 0.6 + 2.9 * n_rows)
    short = f", {len(report.insufficient)} with too little data" if report.insufficient else ""
    fig.suptitle(f"{title}: {len(report.drifted)} of {len(features)} features drifted{short}",
                 fontsize=12)
    stats = report.frame.set_index("feature")
    for i, feature in enumerate(features):
        ax = fig.add_subplot(n_rows, cols, i + 1)
        ref = reference[feature].dropna().to_numpy(dtype="float64")
        cur = current[feature].dropna().to_numpy(dtype="float64")
        both = np.concatenate([ref, cur])
        if both.size == 0:
            placeholder(ax, f"{feature}: no values")
            continue
        edges = np.histogram_bin_edges(both, bins=20)
        for values, name, colour in ((ref, reference_name, "#4c72b0"),
                                     (cur, current_name, "#dd8452")):
            if values.size:
                # weights make each side sum to 1, so samples of different sizes compare
                ax.hist(values, bins=edges.tolist(), weights=np.full(values.size, 1 / values.size),
                        alpha=0.55, color=colour, label=f"{name} (n={values.size})")
        s = stats.loc[feature]
        detail = (f"PSI {s['psi']:.2f}, KS p {s['ks_pvalue']:.2g}"
                  if s["status"] != INSUFFICIENT else f"n={s['n_current']}")
        ax.set_title(f"{feature}\n{s['status']} ({detail})", fontsize=9,
                     color="#b22222" if s["drifted"] else "black")
        if s["drifted"]:
            for spine in ax.spines.values():
                spine.set_edgecolor("#b22222")
                spine.set_linewidth(1.5)
        ax.tick_params(labelsize=7)
        ax.set_ylabel("share", fontsize=7)
        ax.legend(fontsize=6, frameon=False)
    # margins in inches turned into fractions: the same layout whatever the number of panels
    # (and no tight_layout, which warns when it gives up)
    width, height = fig.get_figwidth(), fig.get_figheight()
    fig.subplots_adjust(left=0.6 / width, right=1 - 0.15 / width, bottom=0.35 / height,
                        top=1 - 1.0 / height, wspace=0.3, hspace=0.5)
    return save_png(fig, path)
