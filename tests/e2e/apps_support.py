"""Helpers of the app tests: stores built by the real pipelines, app servers, Chromium."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import mlsys

if TYPE_CHECKING:
    import gradio as gr
    from gradio_client import Client

    from mlsys.store.api import Project

END = date(2026, 1, 30)  # the last daily row's day; fixed so every run sees the same data
DAYS = 10
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@dataclass(frozen=True)
class Store:
    """A local store on disk; ``project()`` opens it (a fresh Project each call)."""

    home: Path

    def project(self) -> Project:
        return mlsys.login(backend="local", home=self.home)

    def copy(self, target: Path) -> Store:
        """An independent copy, for tests that write to the store."""
        shutil.copytree(self.home, target)
        return Store(target)


def build_store(home: Path, systems: tuple[str, ...]) -> Store:
    """Run the real pipelines for ``systems`` into a new local store at ``home``."""
    from mlsys.pipelines.backfill import backfill
    from mlsys.pipelines.daily import daily
    from mlsys.pipelines.infer import infer
    from mlsys.pipelines.train import train
    from mlsys.systems import get_system

    project = mlsys.login(backend="local", home=home)
    for name in systems:
        system = get_system(name)
        backfill(project, system)
        daily(project, system, day=END, since=END - timedelta(days=DAYS - 1))
        train(project, system)
        infer(project, system)
    return Store(home)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(demo: gr.Blocks) -> Iterator[str]:
    """``demo`` launched as a real HTTP server on 127.0.0.1 and a free port; yields its URL."""
    _, url, _ = demo.launch(prevent_thread_lock=True, server_name="127.0.0.1",
                            server_port=free_port(), quiet=True)
    try:
        yield url
    finally:
        demo.close()


def connect(url: str) -> Client:
    """A gradio_client for ``url``, its telemetry off (its default is on, whatever the env says)."""
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False)


def chromium_path() -> str:
    """``MLSYS_CHROMIUM``, else Debian's ``chromium``; none is a test failure, never a skip."""
    wanted = os.environ.get("MLSYS_CHROMIUM")
    if wanted:
        if Path(wanted).is_file():
            return wanted
        pytest.fail(f"MLSYS_CHROMIUM={wanted} is not a file; point it at a Chromium binary or "
                    "unset it to use Debian's 'chromium'", pytrace=False)
    found = shutil.which("chromium") or (DEBIAN_CHROMIUM if Path(DEBIAN_CHROMIUM).is_file()
                                         else None)
    if found is None:
        pytest.fail("Chromium not found: the browser tests need Debian's 'chromium' package "
                    "(apt-get install chromium) or MLSYS_CHROMIUM pointing at a Chromium binary",
                    pytrace=False)
    return found
