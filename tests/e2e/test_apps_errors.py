"""Failures inside an app handler reach the user as one readable sentence, never a trace."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import apps_support
import gradio as gr
import pytest
from apps_support import chromium_path, connect
from gradio_client.exceptions import AppError

from mlsys.apps.common import user_errors
from mlsys.errors import NotFoundError

Serve = Callable[[gr.Blocks], str]


def _app() -> gr.Blocks:
    @user_errors
    def fail(kind: str) -> str:
        if kind == "mlsys":
            raise NotFoundError("feature group", "tulips v1", ["iris", "wine"])
        if kind == "gradio":
            raise gr.Error("a message of the app's own")
        if kind == "bug":
            return str(1 / 0)
        return kind

    with gr.Blocks() as demo:
        box = gr.Textbox()
        out = gr.Textbox()
        box.submit(fail, box, out, api_name="fail")
    return demo


def test_handler_errors_become_readable_messages(serve: Serve,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    client = connect(serve(_app()))
    assert client.predict("fine", api_name="/fail") == "fine"
    with pytest.raises(AppError) as err:
        client.predict("mlsys", api_name="/fail")
    assert str(err.value) == "feature group 'tulips v1' does not exist; existing: iris, wine"
    with pytest.raises(AppError, match="a message of the app's own"):
        client.predict("gradio", api_name="/fail")
    with caplog.at_level(logging.ERROR, logger="mlsys.apps.common"), \
            pytest.raises(AppError) as err:
        client.predict("bug", api_name="/fail")
    message = str(err.value)
    assert message.startswith("internal error (ZeroDivisionError)")
    assert "Traceback" not in message and "1 / 0" not in message
    # the details go to the server log instead
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)


def test_browser_tests_fail_without_chromium(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    monkeypatch.delenv("MLSYS_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium on it
    monkeypatch.setattr(apps_support, "DEBIAN_CHROMIUM", str(tmp_path / "chromium"))
    with pytest.raises(pytest.fail.Exception, match="Chromium not found"):
        chromium_path()
    monkeypatch.setenv("MLSYS_CHROMIUM", str(tmp_path / "nowhere"))
    with pytest.raises(pytest.fail.Exception, match="is not a file"):
        chromium_path()
