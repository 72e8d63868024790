"""`mlsys ui` in headless Chromium over a pipeline-built store: every page renders, a failed
validation shows on the group page, time travel shows older rows, the served model is marked,
and nothing can write."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from apps_support import Store, free_port
from playwright.sync_api import Browser, Page

from mlsys.errors import DataValidationError


@pytest.fixture
def console(iris_store: Store, tmp_path: Path) -> Iterator[tuple[str, Store]]:
    """`mlsys ui` on 127.0.0.1 over a copy of the store with one rejected (failing) insert."""
    store = iris_store.copy(tmp_path / "store")
    with store.project() as project:
        fg = project.get_feature_store().get_feature_group("iris", 1)
        bad = fg.read_page(0, 1).rows.assign(sepal_length=1000.0)
        bad[fg.primary_key[0]] = bad[fg.primary_key[0]].astype(str) + "-bad" \
            if bad[fg.primary_key[0]].dtype == object else bad[fg.primary_key[0]] + 10**6
        with pytest.raises(DataValidationError):
            fg.insert(bad)  # STRICT: nothing written, the report stored as REJECTED
    port = free_port()
    env = {**os.environ, "MLSYS_HOME": str(store.home), "MLSYS_BACKEND": "local"}
    server = subprocess.Popen([sys.executable, "-m", "mlsys.cli", "ui", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/groups", timeout=5) as r:
                    assert r.status == 200
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    out, err = server.communicate(timeout=10)
                    pytest.fail(f"mlsys ui did not start: {out!r} {err!r}")
                time.sleep(0.2)
        yield url, store
    finally:
        server.terminate()
        server.communicate(timeout=30)  # waits, and closes its pipes


def _open(browser: Browser) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport={"width": 1300, "height": 1400})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


@pytest.mark.browser
def test_console_pages_in_a_browser(console: tuple[str, Store], browser: Browser,
                                    artifacts: Path) -> None:
    url, _ = console
    page, errors = _open(browser)
    try:
        page.goto(f"{url}/")
        assert page.url == f"{url}/groups"
        listed = page.inner_text("#groups")
        assert "iris" in listed and "iris_predictions" in listed
        page.click("#groups a:text-is('iris')")
        assert page.url == f"{url}/groups/iris/1"

        # the rejected insert is in the validation history, with its observed value
        history = page.inner_text("#validations")
        first = history.split("\n")[1:3]
        assert "REJECTED" in history and "FAILED" in history, history
        assert "sepal_length" in history and "1000" in history, first
        page.screenshot(path=str(artifacts / "console_group.png"), full_page=True)

        latest_total = int(re.search(r"of (\d+)", page.inner_text(".pager")).group(1))
        page.click("a[rel=next]")
        assert "rows 51–100" in page.inner_text(".pager")

        # time travel: the oldest commit (the backfill) has fewer rows than today
        oldest = page.locator("#commit-list tbody tr").last.locator("a")
        commit = oldest.inner_text()
        oldest.click()
        assert page.url.endswith(f"?commit={commit}#rows")
        old_total = int(re.search(r"of (\d+)", page.inner_text(".pager")).group(1))
        assert old_total < latest_total
        assert "shown" in page.locator("#commit-list tbody tr").last.inner_text()
        # the same through the form: pick a commit by number
        page.fill("input[name=commit]", commit)
        page.click("button[type=submit]")
        assert f"commit={commit}" in page.url and f"of {old_total}" in page.inner_text(".pager")

        page.click("text=statistics and distributions")
        assert "sepal_length (double)" in page.inner_text("main")

        page.goto(f"{url}/views")
        page.click("#views a:text-is('iris')")
        datasets = page.inner_text("#training-datasets")
        assert "stratified" in datasets and "iris_model v1" in datasets
        page.click("#training-datasets a:text-is('iris_model v1')")
        served = [r for r in page.locator("#versions tbody tr").all_inner_texts()
                  if "SERVED" in r]
        assert len(served) == 1 and "best macro_f1" in served[0]
        assert "macro F1" in served[0] and "majority-class baseline" in served[0]
        assert "sha256 verified" in page.inner_text("#artefacts")
        sizes = page.eval_on_selector_all("#artefacts img", "i => i.map(x => x.naturalWidth)")
        assert sizes and all(w > 0 for w in sizes)
        page.screenshot(path=str(artifacts / "console_model.png"), full_page=True)

        page.goto(f"{url}/monitoring")
        assert "mlsys serve iris-dashboard" in page.inner_text("#system-iris")
        sizes = page.eval_on_selector_all("img", "i => i.map(x => x.naturalWidth)")
        assert sizes and all(w > 0 for w in sizes)
        page.click("#system-iris a:text-matches('iris_predictions')")
        assert "/groups/iris_predictions/" in page.url
        assert errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_nothing_in_the_console_can_write(console: tuple[str, Store], browser: Browser) -> None:
    url, store = console
    with store.project() as project:
        before = project.get_feature_store().get_feature_group("iris", 1).commit_details()
    page, _ = _open(browser)
    try:
        page.goto(f"{url}/groups/iris/1")
        assert page.locator("form[method=post], form[method=POST]").count() == 0
        for method in ("post", "put", "delete", "patch"):
            for path in ("/groups/iris/1", "/models/iris_model/1", "/groups"):
                r = getattr(page.request, method)(f"{url}{path}", data="id=1")
                assert r.status == 405, (method, path, r.status)
    finally:
        page.close()
    with store.project() as project:
        after = project.get_feature_store().get_feature_group("iris", 1).commit_details()
    assert after == before
