"""The data-quality report of a real store renders in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from apps_support import Store
from playwright.sync_api import Browser

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
