"""Fixtures of the app tests: pipeline-built stores (once per session), servers, Chromium."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from apps_support import ARTIFACTS, CHROMIUM_ARGS, Store, build_store, chromium_path, serving

if TYPE_CHECKING:
    import gradio as gr
    from playwright.sync_api import Browser


@pytest.fixture(scope="session", autouse=True)
def _gradio_temp_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Gradio's file cache (server and client) in the session's temporary directory."""
    previous = os.environ.get("GRADIO_TEMP_DIR")
    os.environ["GRADIO_TEMP_DIR"] = str(tmp_path_factory.mktemp("gradio"))
    yield
    if previous is None:
        os.environ.pop("GRADIO_TEMP_DIR", None)
    else:
        os.environ["GRADIO_TEMP_DIR"] = previous


@pytest.fixture(scope="session")
def iris_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """backfill -> 10 daily flowers -> train -> infer, once per session."""
    return build_store(tmp_path_factory.mktemp("iris-store"), ("iris",))


@pytest.fixture(scope="session")
def wine_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """backfill -> 10 daily wines -> train -> infer, once per session."""
    return build_store(tmp_path_factory.mktemp("wine-store"), ("wine",))


@pytest.fixture
def empty_store(tmp_path: Path) -> Store:
    return Store(tmp_path / "empty-store")


@pytest.fixture
def serve() -> Iterator[Callable[[gr.Blocks], str]]:
    """Launch apps as real servers for one test; each is closed afterwards."""
    running: list[AbstractContextManager[str]] = []

    def start(demo: gr.Blocks) -> str:
        cm = serving(demo)
        url = cm.__enter__()
        running.append(cm)
        return url

    yield start
    for cm in reversed(running):
        cm.__exit__(None, None, None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium driven by Playwright (its own browser download is not used)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where browser tests save screenshots (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
