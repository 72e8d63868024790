"""How a model's quality is shown everywhere: macro F1 first, each beside the majority baseline.

The reference systems' classes are imbalanced (a poor wine is ~4% of the wines), so accuracy
alone flatters a model that always says "fair": macro F1 leads, and every figure stands beside
what always predicting the most frequent training class scores on the same rows. A model that
does not beat that baseline on a metric says so in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

HEADLINE = ("macro_f1", "balanced_accuracy", "accuracy")  # the order they are shown in
BASELINE_PREFIX = "baseline_"
LABELS = {"macro_f1": "macro F1", "balanced_accuracy": "balanced accuracy",
          "accuracy": "accuracy"}


@dataclass(frozen=True)
class MetricVsBaseline:
    """One held-out metric of a model and the majority-class baseline's on the same rows."""

    metric: str  # e.g. "macro_f1"
    value: float
    baseline: float | None  # None when the baseline was not measured

    @property
    def below_baseline(self) -> bool:
        """True when the model does not beat always predicting the majority class."""
        return self.baseline is not None and self.value <= self.baseline

    def text(self) -> str:
        """E.g. ``macro F1 0.556 (majority-class baseline 0.290)``, plus a warning if not above."""
        shown = f"{LABELS.get(self.metric, self.metric)} {self.value:.3f}"
        if self.baseline is None:
            return shown
        shown += f" (majority-class baseline {self.baseline:.3f})"
        if self.below_baseline:
            shown += " — NOT above the baseline"
        return shown

    def as_dict(self) -> dict[str, object]:
        return {"metric": self.metric, "value": self.value, "baseline": self.baseline,
                "below_baseline": self.below_baseline}


def versus_baseline(metrics: Mapping[str, float]) -> list[MetricVsBaseline]:
    """The headline metrics present in ``metrics`` (macro F1 first), each with its
    ``baseline_<metric>`` when recorded."""
    return [MetricVsBaseline(k, float(metrics[k]),
                             None if f"{BASELINE_PREFIX}{k}" not in metrics
                             else float(metrics[f"{BASELINE_PREFIX}{k}"]))
            for k in HEADLINE if k in metrics]


def describe_quality(metrics: Mapping[str, float], sep: str = "; ") -> str:
    """The headline metrics in words, each beside its baseline (``""`` when none is recorded)."""
    return sep.join(m.text() for m in versus_baseline(metrics))
