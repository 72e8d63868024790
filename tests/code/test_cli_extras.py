"""A missing optional dependency names the extra to install, and a busy port names the port and
``--port``: one line on stderr, exit 2, no traceback (the real process, not CliRunner)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# run the CLI with some modules made unimportable, as in an environment without that extra
HIDE_AND_RUN = ("import sys\n"
                "for name in sys.argv[1].split(','):\n"
                "    sys.modules[name] = None  # `import name` now raises ImportError\n"
                "sys.argv = ['mlsys', *sys.argv[2:]]\n"
                "from mlsys.cli import main\n"
                "main()\n")


def _mlsys(tmp_path: Path, hidden: str, *args: str,
           **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("MLSYS_", "HOPSWORKS_", "HF_", "GRADIO_SERVER"))}
    clean.update(MLSYS_HOME=str(tmp_path / "home"), HF_HUB_OFFLINE="1", **env)
    return subprocess.run([sys.executable, "-c", HIDE_AND_RUN, hidden, *args], env=clean,
                          cwd=tmp_path, capture_output=True, text=True, timeout=180)


def _one_line_usage_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something listens on (as a second server on 7860 would)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


@pytest.mark.parametrize("app", ["iris", "iris-dashboard", "wine", "wine-dashboard"])
def test_serve_without_gradio_names_the_ui_extra(app: str, tmp_path: Path) -> None:
    done = _mlsys(tmp_path, "gradio", "serve", app, "--port", "7999")
    _one_line_usage_error(done, "gradio", "pip install 'mlsys[ui]'", app)


def test_the_hopsworks_backend_without_the_sdk_names_its_extra(tmp_path: Path) -> None:
    done = _mlsys(tmp_path, "hopsworks", "status", MLSYS_BACKEND="hopsworks",
                  HOPSWORKS_API_KEY="not-a-key")
    _one_line_usage_error(done, "pip install 'mlsys[hopsworks]'")
    assert "not-a-key" not in done.stderr


def test_push_without_huggingface_hub_names_the_ui_extra(tmp_path: Path) -> None:
    done = _mlsys(tmp_path, "huggingface_hub", "space", "iris", "--out", str(tmp_path / "s"),
                  "--push", "me/iris", HF_TOKEN="hf_x")
    assert "pip install 'mlsys[ui]'" in done.stderr and done.returncode == 2, done.stderr
    assert (tmp_path / "s" / "app.py").is_file()  # the folder is there to push by hand


def test_serve_on_a_busy_port_names_it_and_the_option(busy_port: int, tmp_path: Path) -> None:
    done = _mlsys(tmp_path, "", "serve", "iris", "--port", str(busy_port))
    _one_line_usage_error(done, f"port {busy_port} on 127.0.0.1 is already in use", "--port")


def test_a_port_taken_after_the_check_is_the_same_error(busy_port: int) -> None:
    # in a process of its own: gradio leaks the socket of its failed port probe
    code = ("import gradio as gr\n"
            "from mlsys.apps import launch\n"
            "with gr.Blocks() as blocks:\n"
            "    gr.Markdown('x')\n"
            "try:\n"
            f"    launch(blocks, '127.0.0.1', {busy_port})\n"
            "except Exception as err:\n"
            "    print(type(err).__name__, err)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    assert done.stdout.startswith(f"ConfigurationError port {busy_port} on 127.0.0.1 is "
                                  "already in use"), done.stdout + done.stderr
    assert "--port" in done.stdout
