"""Wine EDA: the analysis figures against plain pandas, and the HTML report with its pictures."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from mlsys.systems.wine.data import read_raw
from mlsys.systems.wine.eda import (
    correlation_matrix,
    red_white_evidence,
    sulfur_correlation,
    write_eda_report,
)

PNG = b"\x89PNG\r\n\x1a\n"


def test_sulfur_correlation_is_measured_on_complete_rows() -> None:
    df = read_raw().dropna()
    expected = np.corrcoef(df["free_sulfur_dioxide"], df["total_sulfur_dioxide"])[0, 1]
    s = sulfur_correlation()
    assert s.pearson == pytest.approx(expected, abs=1e-12)
    assert s.rows == len(df) == 6463
    assert s.pearson > 0.7  # "highly correlated", the reason the column is dropped


def test_correlation_matrix_shape_and_values() -> None:
    corr = correlation_matrix()
    assert list(corr.index) == list(corr.columns)
    assert {"type_white", "quality", "total_sulfur_dioxide"} <= set(corr.columns)
    assert np.allclose(np.diag(corr), 1.0)
    assert np.allclose(corr.to_numpy(), corr.to_numpy().T)
    df = read_raw().dropna()
    assert corr.loc["alcohol", "quality"] == pytest.approx(df["alcohol"].corr(df["quality"]))


def test_red_white_evidence_percentiles() -> None:
    df = read_raw().dropna()
    ev = red_white_evidence()
    assert len({e.key for e in ev}) == 2
    for e in ev:
        reds = df[df["type"] == "red"][e.column]
        assert e.red_below == (reds < e.value).mean()
    # the stated reason for keeping them white: total SO2 is far above typical reds
    so2 = [e for e in ev if e.column == "total_sulfur_dioxide"]
    assert all(e.red_below > 0.9 for e in so2)


def test_report_is_self_contained_html_with_its_pictures(tmp_path: Path) -> None:
    index = write_eda_report(tmp_path / "eda", include_models=False)
    text = index.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and text.rstrip().endswith("</html>")
    images = re.findall(r"<img src='([^']+)'", text)
    assert images
    for name in images:
        assert "/" not in name
        assert (index.parent / name).read_bytes()[:8] == PNG
    assert f"{sulfur_correlation().pearson:.3f}" in text
    assert "0.57%" in text and "0.38%" in text  # missing shares per type
    assert "5286" in text and "Cortez" in text
