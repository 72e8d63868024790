"""The Wine app as a real server: over HTTP with gradio_client, and in headless Chromium."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import gradio as gr
import pandas as pd
import pytest
from apps_support import Store, connect
from gradio_client.exceptions import AppError
from playwright.sync_api import Browser, expect

from mlsys.apps import build_app
from mlsys.serving import LoadedModel, load_best_model
from mlsys.systems import get_system
from mlsys.systems.wine.inputs import wine_fields

WINE = get_system("wine")
Serve = Callable[[gr.Blocks], str]


@pytest.fixture(scope="module")
def model(wine_store: Store) -> LoadedModel:
    return load_best_model(wine_store.project(), WINE)


def _inputs(row: pd.Series) -> list[object]:
    kind = "white" if int(row["type_white"]) == 1 else "red"
    return [kind, *(float(row[f.name]) for f in wine_fields())]


def _real(n: int, seed: int) -> pd.DataFrame:
    return WINE.load().sample(n, random_state=seed)


def _is_knn(model: LoadedModel) -> bool:
    return hasattr(model.estimator, "steps") and "KNeighbors" in type(model.estimator[-1]).__name__


def test_predicts_over_http(wine_store: Store, serve: Serve, model: LoadedModel) -> None:
    client = connect(serve(build_app("wine", wine_store.project())))
    wines = _real(3, seed=11)
    expected = model.estimator.predict(wines[list(WINE.features)])
    for (_, row), want in zip(wines.iterrows(), expected, strict=True):
        quality, label, neighbours, method = client.predict(*_inputs(row), api_name="/predict")
        assert quality == label["label"] == str(want)
        probabilities = {c["label"]: c["confidence"] for c in label["confidences"]}
        assert set(probabilities) == set(WINE.classes)
        assert math.isclose(sum(probabilities.values()), 1.0, abs_tol=1e-9)
        table = pd.DataFrame(neighbours["data"], columns=neighbours["headers"])
        assert list(table["rank"]) == [1, 2, 3, 4, 5]
        assert table["distance"].is_monotonic_increasing
        assert set(table["type"]) <= {"red", "white"}
        assert set(table[WINE.label]) <= set(WINE.classes)
        assert f"**What the class scores are:** {model.scores_are}" in method
        if _is_knn(model):
            assert "served model itself" in method
        else:
            # an index over every real wine: the wine entered is its own nearest neighbour
            assert "no neighbours of its own" in method
            assert table["distance"].iloc[0] == 0.0
            assert table["type"].iloc[0] == _inputs(row)[0]


def test_bad_input_is_a_readable_error(wine_store: Store, serve: Serve) -> None:
    client = connect(serve(build_app("wine", wine_store.project())))
    inputs = _inputs(_real(1, seed=5).iloc[0])
    names = [f.name for f in wine_fields()]
    alcohol = wine_fields()[names.index("alcohol")]
    too_strong = list(inputs)
    too_strong[1 + names.index("alcohol")] = 99.0
    with pytest.raises(AppError) as err:
        client.predict(*too_strong, api_name="/predict")
    assert f"alcohol must be {alcohol.allowed}; got 99" in str(err.value)
    empty = list(inputs)
    empty[1 + names.index("density")] = None
    with pytest.raises(AppError, match="density is empty"):
        client.predict(*empty, api_name="/predict")
    with pytest.raises(AppError, match="wine type must be one of"):
        client.predict(None, *inputs[1:], api_name="/predict")
    with pytest.raises(AppError, match="pink"):  # gradio's own check of the radio choices
        client.predict("pink", *inputs[1:], api_name="/predict")


def test_empty_store_says_to_run_the_pipelines(empty_store: Store, serve: Serve) -> None:
    client = connect(serve(build_app("wine", empty_store.project())))
    inputs = _inputs(_real(1, seed=5).iloc[0])
    with pytest.raises(AppError, match="run the pipelines first: `mlsys demo`"):
        client.predict(*inputs, api_name="/predict")


@pytest.mark.browser
def test_in_the_browser(wine_store: Store, serve: Serve, browser: Browser, artifacts: Path,
                        model: LoadedModel) -> None:
    url = serve(build_app("wine", wine_store.project()))
    real = WINE.load()
    red = real[real["type_white"] == 0].sample(1, random_state=2)
    expected = str(model.estimator.predict(red[list(WINE.features)])[0])
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(url)
    expect(page.locator("#model-status")).to_contain_text("Model in service: wine_model v")
    page.locator("#input-type").get_by_label("red").check()
    row = red.iloc[0]
    for f in wine_fields():
        page.locator(f"#input-{f.name} input").fill(repr(float(row[f.name])))
    page.locator("#predict").click()
    expect(page.locator("#quality textarea")).to_have_value(expected, timeout=30_000)
    expect(page.locator("#probabilities")).to_contain_text(expected)
    expect(page.locator("#neighbours-method")).to_contain_text(
        "served model itself" if _is_knn(model) else "no neighbours of its own")
    expect(page.locator("#neighbours")).to_contain_text("red")
    page.screenshot(path=str(artifacts / "wine-app.png"), full_page=True)

    page.locator("#input-ph input").fill("")
    page.locator("#predict").click()
    expect(page.locator("[data-testid=toast-text]")).to_contain_text("pH is empty",
                                                                     timeout=20_000)
    page.close()
