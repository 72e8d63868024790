"""The data-quality report of a real store renders in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from apps_support import Store
from playwright.sync_api import Browser

from mlsys.pipelines.common import PREDICTIONS_VERSION
from mlsys.pipelines.validate import validate_all


@pytest.mark.browser
def test_quality_report_renders(iris_store: Store, browser: Browser, artifacts: Path,
                                tmp_path: Path) -> None:
    store = iris_store.copy(tmp_path / "store")  # validate_all saves a report: write to a copy
    result = validate_all(store.project(), tmp_path / "quality")
    assert result.success, result.lines
    page = browser.new_page(viewport={"width": 1200, "height": 1400})
    try:
        page.goto(result.index.as_uri())
        assert "iris" in page.inner_text("body")
        page.click("a[href=\"iris_v1.html\"]")
        body = page.inner_text("body")
        assert "Data quality: iris v1" in body
        assert "Latest validation report" in body
        assert "expect_column_values_to_be_between" in body
        # every embedded plot decodes into a real image
        sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        assert sizes and all(w > 0 for w in sizes)
        page.screenshot(path=str(artifacts / "quality_report_iris.png"), full_page=False)
    finally:
        page.close()


def test_cli_report_runs_the_schemas_of_every_group(iris_store: Store, tmp_path: Path) -> None:
    """`mlsys report` checks the feature group and the predictions group with their schemas."""
    import os
    import subprocess
    import sys

    store = iris_store.copy(tmp_path / "store")
    out = tmp_path / "quality"
    env = {**os.environ, "MLSYS_HOME": str(store.home), "MLSYS_BACKEND": "local"}
    run = subprocess.run([sys.executable, "-m", "mlsys.cli", "report", "--out", str(out)],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    predictions = f"iris_predictions_v{PREDICTIONS_VERSION}.html"
    pages = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*_v*.html")}
    assert set(pages) == {"iris_v1.html", predictions}
    for name, html in pages.items():
        assert "No Pandera schema was given" not in html, name
        assert "every check passed" in html, name
    assert "in_training_data" in pages[predictions]
