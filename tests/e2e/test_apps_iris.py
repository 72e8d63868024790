"""The Iris app as a real server: over HTTP with gradio_client, and in headless Chromium."""

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

import mlsys.serving
from mlsys.apps import build_app
from mlsys.serving import LoadedModel, load_best_model
from mlsys.systems import get_system
from mlsys.systems.iris.inputs import iris_examples

IRIS = get_system("iris")
Serve = Callable[[gr.Blocks], str]


def _confidences(label: dict) -> dict[str, float]:
    return {c["label"]: c["confidence"] for c in label["confidences"]}


def test_predicts_over_http(iris_store: Store, serve: Serve) -> None:
    client = connect(serve(build_app("iris", iris_store.project())))
    model = load_best_model(iris_store.project(), IRIS)
    for variety, values in iris_examples().items():
        predicted, label, flower = client.predict(*values, api_name="/predict")
        assert predicted == variety == label["label"]
        probabilities = _confidences(label)
        assert set(probabilities) == set(IRIS.classes)
        assert math.isclose(sum(probabilities.values()), 1.0, abs_tol=1e-9)
        expected = model.predict_proba(_frame(values)).iloc[0].to_dict()
        assert probabilities == pytest.approx(expected)
        assert flower["type"] == "matplotlib"
        assert flower["plot"].startswith("data:image/png;base64,")


def _frame(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame([values], columns=list(IRIS.features))


@pytest.mark.parametrize(("values", "message"), [
    ((5.1, 3.5, 100, 0.2), "petal length must be greater than 0 and at most 14 cm; got 100"),
    ((5.1, None, 1.4, 0.2), "sepal width is empty; enter a number greater than 0 and at most 9"),
    ((-2, 3.5, 1.4, 0.2), "sepal length must be greater than 0 and at most 16 cm; got -2"),
])
def test_bad_input_is_a_readable_error(iris_store: Store, serve: Serve, values: tuple,
                                       message: str) -> None:
    client = connect(serve(build_app("iris", iris_store.project())))
    with pytest.raises(AppError) as err:
        client.predict(*values, api_name="/predict")
    assert message in str(err.value)
    assert "Traceback" not in str(err.value)


def test_model_is_loaded_once_per_process(iris_store: Store, serve: Serve,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[LoadedModel] = []
    real_load = mlsys.serving.load_best_model

    def counting(*args: object) -> LoadedModel:
        loads.append(real_load(*args))  # type: ignore[arg-type]
        return loads[-1]

    monkeypatch.setattr(mlsys.serving, "load_best_model", counting)
    client = connect(serve(build_app("iris", iris_store.project())))
    for values in iris_examples().values():
        client.predict(*values, api_name="/predict")
    assert len(loads) == 1


def test_empty_store_says_to_run_the_pipelines(empty_store: Store, serve: Serve) -> None:
    client = connect(serve(build_app("iris", empty_store.project())))
    with pytest.raises(AppError) as err:
        client.predict(5.1, 3.5, 1.4, 0.2, api_name="/predict")
    assert "no iris model to serve yet" in str(err.value)
    assert "run the pipelines first: `mlsys demo`" in str(err.value)


def test_a_tampered_model_is_reported_not_served(iris_store: Store, serve: Serve,
                                                 tmp_path: Path) -> None:
    from mlsys.apps.common import model_status
    from mlsys.serving import ModelCache

    store = iris_store.copy(tmp_path / "store")
    for pickle in store.home.rglob("model.pkl"):  # every registered version changes
        with pickle.open("ab") as fh:
            fh.write(b"\0")
    status = model_status(ModelCache(store.project(), IRIS), IRIS)
    assert "cannot be served" in status and "sha256" in status, status
    assert "No iris model registered yet" not in status
    client = connect(serve(build_app("iris", store.project())))
    with pytest.raises(AppError, match="sha256"):
        client.predict(5.1, 3.5, 1.4, 0.2, api_name="/predict")


@pytest.mark.browser
def test_in_the_browser(iris_store: Store, serve: Serve, browser: Browser,
                        artifacts: Path) -> None:
    url = serve(build_app("iris", iris_store.project()))
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    expect(page.locator("#model-status")).to_contain_text("Model in service: iris_model v")
    for name, value in zip(IRIS.features, (6.9, 3.1, 5.4, 2.1), strict=True):
        page.locator(f"#input-{name} input").fill(str(value))
    page.locator("#predict").click()
    expect(page.locator("#variety textarea")).to_have_value("Virginica", timeout=20_000)
    expect(page.locator("#probabilities")).to_contain_text("Virginica")
    expect(page.locator("#flower img")).to_be_visible()
    page.screenshot(path=str(artifacts / "iris-app.png"), full_page=True)

    # clicking a real example fills the inputs; its variety is predicted
    page.locator("button.gallery-item", has_text="Setosa").click()
    setosa = iris_examples()["Setosa"]
    expect(page.locator("#input-petal_length input")).to_have_value(f"{setosa[2]:g}")
    page.locator("#predict").click()
    expect(page.locator("#variety textarea")).to_have_value("Setosa", timeout=20_000)

    # a measurement out of range shows the readable message, not a trace
    page.locator("#input-petal_length input").fill("100")
    page.locator("#predict").click()
    toast = page.locator("[data-testid=toast-text]")
    expect(toast).to_have_text("petal length must be greater than 0 and at most 14 cm; got 100",
                               timeout=20_000)
    # the toast is fixed to the viewport, so a full-page screenshot would miss it
    page.screenshot(path=str(artifacts / "iris-app-error.png"))
    page.close()
    assert requests and all(r.startswith(url) or r.startswith(("data:", "blob:"))
                            for r in requests), sorted(set(requests))
