"""The monitoring dashboards as real servers: what they show matches the store, and new data
after the daily pipeline shows on Refresh without a restart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import gradio as gr
import pandas as pd
import pytest
from apps_support import DAYS, END, Store, connect
from PIL import Image
from playwright.sync_api import Browser, expect

from mlsys.apps import build_app
from mlsys.pipelines.backfill import backfill
from mlsys.pipelines.common import PREDICTIONS_VERSION
from mlsys.pipelines.daily import daily
from mlsys.pipelines.infer import infer
from mlsys.serving import BEST_METRIC
from mlsys.systems import get_system
from mlsys.systems.base import System

Serve = Callable[[gr.Blocks], str]
OUTPUTS = ("status", "latest", "picture", "model", "history", "confusion", "accuracy",
           "validation", "drift", "drift_table")


def _refresh(url: str) -> dict[str, object]:
    out = connect(url).predict(api_name="/refresh")
    return dict(zip(OUTPUTS, out, strict=True))


def _table(value: object) -> pd.DataFrame:
    assert isinstance(value, dict)
    return pd.DataFrame(value["data"], columns=value["headers"])


def _png(path: object) -> Image.Image:
    assert isinstance(path, str) and Path(path).is_file()
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.load()
        return image.copy()


@pytest.mark.parametrize("name", ["iris", "wine"])
def test_dashboard_shows_what_the_store_holds(name: str, request: pytest.FixtureRequest,
                                              serve: Serve) -> None:
    store: Store = request.getfixturevalue(f"{name}_store")
    system = get_system(name)
    shown = _refresh(serve(build_app(f"{name}-dashboard", store.project())))
    fs = store.project().get_feature_store()
    predictions = fs.get_feature_group(system.predictions_group, PREDICTIONS_VERSION).read()
    predictions = predictions.sort_values(system.event_time, ascending=False)

    assert f"**{len(system.load())}** real and **{DAYS}** daily rows" in str(shown["status"])
    assert f"**{len(predictions)}** predictions" in str(shown["status"])
    newest = predictions.iloc[0]
    assert f"**{END:%Y-%m-%d}** — predicted **{newest['prediction']}**" in str(shown["latest"])
    assert f"actual **{newest['label']}**" in str(shown["latest"])

    history = _table(shown["history"])
    assert list(history[system.event_time]) == [
        f"{END - timedelta(days=k):%Y-%m-%d}" for k in range(DAYS)]
    assert list(history["prediction"]) == list(predictions["prediction"].astype(str))
    assert list(history["label"]) == list(predictions["label"].astype(str))
    expected_correct = ["yes" if p == lab else "no"
                        for p, lab in zip(predictions["prediction"], predictions["label"],
                                          strict=True)]
    assert list(history["correct"]) == expected_correct

    best = store.project().get_model_registry().get_best_model(system.model_name, BEST_METRIC,
                                                               "max")
    assert best is not None
    assert f"**{system.model_name} v{best.version}**" in str(shown["model"])

    report = fs.get_feature_group(system.feature_group, system.version)\
        .get_latest_validation_report()
    assert report is not None
    verdict = "passed" if report.success else "failed"
    assert f"**{verdict}**: suite `{report.suite_name}`" in str(shown["validation"])

    drift = _table(shown["drift_table"])
    assert list(drift["feature"]) == list(system.features)
    assert set(drift["n_daily"]) == {DAYS}
    for key in ("picture", "confusion", "accuracy", "drift"):
        image = _png(shown[key])
        assert image.width > 300 and image.height > 200, key


def _latest_day(shown: dict[str, object]) -> str:
    return str(shown["latest"]).split("**")[1]


def test_new_daily_data_shows_on_refresh_without_restart(iris_store: Store, serve: Serve,
                                                         tmp_path: Path) -> None:
    store = iris_store.copy(tmp_path / "store")
    system = get_system("iris")
    url = serve(build_app("iris-dashboard", store.project()))
    before = _refresh(url)
    assert _latest_day(before) == f"{END:%Y-%m-%d}"
    nxt = END + timedelta(days=1)
    project = store.project()
    daily(project, system, day=nxt)
    infer(project, system)
    after = _refresh(url)
    assert _latest_day(after) == f"{nxt:%Y-%m-%d}"
    assert f"**{DAYS + 1}** daily rows" in str(after["status"])
    assert _table(after["history"])[system.event_time].iloc[0] == f"{nxt:%Y-%m-%d}"
    assert set(_table(after["drift_table"])["n_daily"]) == {DAYS + 1}


@pytest.mark.parametrize("name", ["iris-dashboard", "wine-dashboard"])
def test_empty_store_says_to_run_the_pipelines(name: str, empty_store: Store,
                                               serve: Serve) -> None:
    shown = _refresh(serve(build_app(name, empty_store.project())))
    assert "Nothing to show yet" in str(shown["status"])
    assert "run the pipelines first: `mlsys demo`" in str(shown["status"]).lower()
    assert "No predictions yet" in str(shown["latest"])
    assert "registered yet" in str(shown["model"])
    assert "Nothing validated yet" in str(shown["validation"])
    for key in ("picture", "confusion", "accuracy", "drift"):
        assert shown[key] is None, key
    assert _table(shown["history"]).empty


def _backfilled_only(tmp_path: Path, system: System) -> Store:
    store = Store(tmp_path / "backfilled")
    backfill(store.project(), system)
    return store


def test_half_built_store_lists_what_to_run(tmp_path: Path, serve: Serve) -> None:
    system = get_system("iris")
    store = _backfilled_only(tmp_path, system)
    shown = _refresh(serve(build_app("iris-dashboard", store.project())))
    status = str(shown["status"])
    assert f"**{len(system.load())}** real and **0** daily rows" in status
    for step in ("mlsys daily iris", "mlsys train iris", "mlsys infer iris"):
        assert step in status
    assert "**passed**" in str(shown["validation"])  # the backfill's insert was validated
    assert shown["drift"] is None and shown["confusion"] is None


@pytest.mark.browser
def test_in_the_browser(iris_store: Store, serve: Serve, browser: Browser, artifacts: Path,
                        tmp_path: Path) -> None:
    store = iris_store.copy(tmp_path / "store")
    system = get_system("iris")
    url = serve(build_app("iris-dashboard", store.project()))
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url)
    # read on page load, without pressing anything
    expect(page.locator("#status")).to_contain_text("real and", timeout=30_000)
    expect(page.locator("#latest")).to_contain_text(f"{END:%Y-%m-%d}")
    expect(page.locator("#latest-picture img")).to_be_visible()
    expect(page.locator("#confusion img")).to_be_visible()
    expect(page.locator("#drift img")).to_be_visible()
    expect(page.locator("#history")).to_contain_text(f"{END - timedelta(days=DAYS - 1):%Y-%m-%d}")
    expect(page.locator("#validation")).to_contain_text("passed")
    page.screenshot(path=str(artifacts / "iris-dashboard.png"), full_page=True)

    nxt = END + timedelta(days=1)
    daily(store.project(), system, day=nxt)
    infer(store.project(), system)
    page.locator("#refresh").click()
    expect(page.locator("#latest")).to_contain_text(f"{nxt:%Y-%m-%d}", timeout=30_000)
    expect(page.locator("#history")).to_contain_text(f"{nxt:%Y-%m-%d}")
    page.close()


@pytest.mark.browser
def test_wine_dashboard_in_the_browser(wine_store: Store, serve: Serve, browser: Browser,
                                       artifacts: Path) -> None:
    url = serve(build_app("wine-dashboard", wine_store.project()))
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url)
    expect(page.locator("#status")).to_contain_text("real and", timeout=30_000)
    expect(page.locator("#latest-picture img")).to_be_visible()
    expect(page.locator("#drift-table")).to_contain_text("alcohol")
    page.screenshot(path=str(artifacts / "wine-dashboard.png"), full_page=True)
    page.close()
