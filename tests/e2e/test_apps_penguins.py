"""The penguins apps, which no code outside its folder was written for: the generic predictor
built from the spec's inputs and the generic dashboard, as real servers over HTTP and in
headless Chromium."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import gradio as gr
import pandas as pd
import pytest
from apps_support import DAYS, Store, build_store, connect
from gradio_client.exceptions import AppError
from playwright.sync_api import Browser, expect

from mlsys.apps import build_app
from mlsys.apps.predict import predict
from mlsys.serving import LoadedModel, load_best_model
from mlsys.systems import get_system

PENGUINS = get_system("penguins")
Serve = Callable[[gr.Blocks], str]


@pytest.fixture(scope="module")
def penguins_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """backfill -> daily penguins -> train -> infer, once for the module."""
    return build_store(tmp_path_factory.mktemp("penguins-store"), ("penguins",))


@pytest.fixture(scope="module")
def model(penguins_store: Store) -> LoadedModel:
    return load_best_model(penguins_store.project(), PENGUINS)


def _inputs(row: pd.Series) -> list[object]:
    """A stored penguin as the app's inputs, in field order; a gap is an empty input."""
    out: list[object] = []
    for f in PENGUINS.inputs():
        value = row[f.name]
        out.append(None if pd.isna(value) else (value if f.choices else float(value)))
    return out


def test_predicts_over_http_with_and_without_gaps(penguins_store: Store, serve: Serve,
                                                  model: LoadedModel) -> None:
    client = connect(serve(build_app("penguins", penguins_store.project())))
    real = PENGUINS.load()
    gappy = real[real[list(PENGUINS.features)].isna().any(axis=1)].head(2)
    rows = pd.concat([real.sample(3, random_state=4), gappy])
    assert rows["sex"].isna().any()
    expected = model.estimator.predict(rows[list(PENGUINS.features)])
    for (_, row), want in zip(rows.iterrows(), expected, strict=True):
        species, label, scores = client.predict(*_inputs(row), api_name="/predict")
        assert species == label["label"] == str(want)
        confidences = {c["label"]: c["confidence"] for c in label["confidences"]}
        assert set(confidences) == set(PENGUINS.classes)
        assert math.isclose(sum(confidences.values()), 1.0, abs_tol=1e-9)
        assert model.scores_are in scores


def test_the_app_and_the_library_agree(penguins_store: Store, serve: Serve,
                                       model: LoadedModel) -> None:
    client = connect(serve(build_app("penguins", penguins_store.project())))
    values = [45.0, 15.0, None, 5000.0, "Biscoe", None]
    species, label, _ = client.predict(*values, api_name="/predict")
    mine = predict(model, PENGUINS, values)
    assert species == mine.label == "Gentoo"
    shown = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert shown == pytest.approx(mine.probabilities)


def test_bad_input_is_a_readable_error(penguins_store: Store, serve: Serve) -> None:
    client = connect(serve(build_app("penguins", penguins_store.project())))
    with pytest.raises(AppError) as err:
        client.predict(45.0, 15.0, 210.0, 99_999.0, "Biscoe", "male", api_name="/predict")
    assert "body mass must be greater than 0 and at most 12600 g; got 99999" in str(err.value)
    assert "Traceback" not in str(err.value)
    with pytest.raises(AppError, match="island must be one of"):
        client.predict(45.0, 15.0, 210.0, 5000.0, None, "male", api_name="/predict")


def test_empty_store_says_to_run_the_pipelines(empty_store: Store, serve: Serve) -> None:
    client = connect(serve(build_app("penguins", empty_store.project())))
    with pytest.raises(AppError) as err:
        client.predict(45.0, 15.0, 210.0, 5000.0, "Biscoe", "male", api_name="/predict")
    assert "no penguins model to serve yet" in str(err.value)
    assert "mlsys backfill penguins" in str(err.value)


def test_dashboard_measures_drift_on_the_numbers_only(penguins_store: Store,
                                                      serve: Serve) -> None:
    out = connect(serve(build_app("penguins-dashboard", penguins_store.project()))).predict(
        api_name="/refresh")
    status, drift_table = str(out[0]), out[9]
    assert f"**{len(PENGUINS.load())}** real and **{DAYS}** daily rows" in status
    drift = pd.DataFrame(drift_table["data"], columns=drift_table["headers"])
    assert list(drift["feature"]) == list(PENGUINS.numeric_features)
    assert out[2] is None  # no picture of an item: the spec draws none


@pytest.mark.browser
def test_in_the_browser(penguins_store: Store, serve: Serve, browser: Browser,
                        artifacts: Path) -> None:
    url = serve(build_app("penguins", penguins_store.project()))
    page = browser.new_page(viewport={"width": 1280, "height": 1200})
    page.goto(url)
    expect(page.locator("#model-status")).to_contain_text("Model in service: penguins_model v")
    for name, value in (("bill_length_mm", 39.1), ("bill_depth_mm", 18.7),
                        ("flipper_length_mm", 181), ("body_mass_g", 3750)):
        page.locator(f"#input-{name} input").fill(str(value))
    page.locator("#input-island").get_by_label("Torgersen").check()
    page.locator("#predict").click()
    expect(page.locator("#prediction textarea")).to_have_value("Adelie", timeout=20_000)
    expect(page.locator("#probabilities")).to_contain_text("Adelie")
    page.screenshot(path=str(artifacts / "penguins-app.png"), full_page=True)
    page.locator("#input-bill_depth_mm input").fill("-3")
    page.locator("#predict").click()
    expect(page.locator("[data-testid=toast-text]")).to_contain_text(
        "bill depth must be greater than 0", timeout=20_000)
    page.close()
