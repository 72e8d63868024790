"""The Hugging Face Space folders: front matter, requirements, thin app.py; one runs for real."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

import gradio as gr
import httpx
import pytest
from apps_support import Store, connect, free_port

from mlsys.apps import APPS, build_app
from mlsys.apps.common import launch_options
from mlsys.errors import NotFoundError

SPACES = Path(__file__).resolve().parents[2] / "spaces"
HF_COLOURS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}


def _front_matter(readme: Path) -> dict[str, str]:
    lines = readme.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "---", f"{readme} must start with the Space front matter"
    end = lines.index("---", 1)
    return dict(line.split(": ", 1) for line in lines[1:end])


def test_every_app_has_a_space_folder() -> None:
    assert sorted(p.name for p in SPACES.iterdir() if p.is_dir()) == sorted(APPS)


@pytest.mark.parametrize("name", sorted(APPS))
def test_space_front_matter(name: str) -> None:
    meta = _front_matter(SPACES / name / "README.md")
    assert meta["sdk"] == "gradio"
    assert meta["sdk_version"] == gr.__version__
    assert meta["app_file"] == "app.py" and (SPACES / name / "app.py").is_file()
    assert meta["pinned"] == "false"
    assert meta["title"] and meta["emoji"]
    assert {meta["colorFrom"], meta["colorTo"]} <= HF_COLOURS
    text = (SPACES / name / "README.md").read_text(encoding="utf-8")
    assert "MLSYS_BACKEND=hopsworks" in text and "HOPSWORKS_API_KEY" in text
    assert "MLSYS_HOME=.mlsys" in text


@pytest.mark.parametrize("name", sorted(APPS))
def test_space_requirements_pin_the_same_gradio(name: str) -> None:
    lines = [line.strip() for line in (SPACES / name / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert f"gradio=={gr.__version__}" in lines
    assert any(line.startswith("mlsys[ui") and "git+https://" in line for line in lines)


@pytest.mark.parametrize("name", sorted(APPS))
def test_space_app_is_a_thin_wrapper_over_its_builder(name: str) -> None:
    module, builder = APPS[name]
    tree = ast.parse((SPACES / name / "app.py").read_text(encoding="utf-8"))
    imported = {(node.module, alias.name) for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert (module, builder) in imported
    assert ("mlsys.apps.common", "launch_options") in imported
    calls = {node.func.attr for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    assert {"login", "launch"} <= calls


def test_unknown_app_lists_the_known_ones(empty_store: Store) -> None:
    with pytest.raises(NotFoundError, match="iris-dashboard"):
        build_app("tulip", empty_store.project())


def test_launch_binds_loopback_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    assert launch_options([]) == {"server_name": "127.0.0.1", "server_port": 7860}
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")  # what Hugging Face Spaces set
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7861")
    assert launch_options([]) == {"server_name": "0.0.0.0", "server_port": 7861}
    assert launch_options(["--host", "127.0.0.1", "--port", "8000"]) == {
        "server_name": "127.0.0.1", "server_port": 8000}


def _serves_setosa(cmd: list[str], cwd: Path, store: Store, tmp_path: Path, port: int) -> None:
    """Start ``cmd`` as a process on ``port``, predict a clear Setosa over HTTP, stop it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADIO_SERVER")}
    env.update(MLSYS_HOME=str(store.home), MLSYS_BACKEND="local",
               GRADIO_ANALYTICS_ENABLED="False", GRADIO_TEMP_DIR=str(tmp_path / "gradio"))
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the server did not start:\n{log.read_text()}"
            time.sleep(0.3)
        variety, _, _ = connect(url).predict(5.1, 3.5, 1.4, 0.2, api_name="/predict")
        assert variety == "Setosa"
        assert f"http://127.0.0.1:{port}" in log.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_iris_space_runs_as_a_process(iris_store: Store, tmp_path: Path) -> None:
    port = free_port()
    _serves_setosa([sys.executable, "app.py", "--port", str(port)], SPACES / "iris", iris_store,
                   tmp_path, port)


def test_mlsys_serve_runs_the_app(iris_store: Store, tmp_path: Path) -> None:
    port = free_port()
    _serves_setosa([sys.executable, "-m", "mlsys.cli", "serve", "iris", "--port", str(port)],
                   tmp_path, iris_store, tmp_path, port)
