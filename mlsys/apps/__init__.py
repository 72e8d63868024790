"""The Gradio apps (each system's predictor and monitoring dashboard), built on demand.

``build_app(name, project)`` returns a ``gr.Blocks`` without launching it; the CLI's ``serve``
and the Spaces under ``spaces/`` launch it. Gradio is imported only when an app is built.
Every system of :data:`mlsys.systems.SYSTEMS` has two apps, ``<system>`` and
``<system>-dashboard``, built by ``build_app`` and ``build_dashboard`` of its ``app`` module.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from mlsys.errors import ConfigurationError
from mlsys.extras import missing_extra
from mlsys.registry import LazyRegistry
from mlsys.systems import SYSTEMS

if TYPE_CHECKING:
    import gradio as gr

    from mlsys.store.api import Project

DASHBOARD_SUFFIX = "-dashboard"


def _app_entries() -> dict[str, str]:
    entries: dict[str, str] = {}
    for system in SYSTEMS.names():
        module = SYSTEMS[system][0]
        entries[system] = f"{module}.app:build_app"
        entries[f"{system}{DASHBOARD_SUFFIX}"] = f"{module}.app:build_dashboard"
    return entries


# app name -> (module, builder function); the module is imported only when the app is built
APPS: LazyRegistry[Callable[[Project], gr.Blocks]] = LazyRegistry(
    "app", _app_entries(), Callable,  # type: ignore[arg-type]  # the ABC: any callable
)


def load_app_builder(name: str) -> Callable[[Project], gr.Blocks]:
    """The ``build_*`` function of the app called ``name`` (one of :data:`APPS`).

    Imported before any store is opened, so a missing ``ui`` extra is reported first.
    """
    APPS.target(name)  # an unknown name lists the known ones
    try:
        return APPS.load(name)
    except ImportError as err:
        missing = missing_extra(err, f"the {name} app")
        if missing is None:
            raise
        raise missing from None


def build_app(name: str, project: Project) -> gr.Blocks:
    """The app called ``name`` (one of :data:`APPS`) over ``project``, ready to ``launch()``."""
    return load_app_builder(name)(project)


def _port_in_use(host: str, port: int) -> ConfigurationError:
    return ConfigurationError(
        f"port {port} on {host} is already in use (another server is running there); stop it "
        f"or pick a free port with --port, e.g. --port {port + 1 if port < 65535 else 7861}")


def check_port_free(host: str, port: int) -> None:
    """Raise ConfigurationError naming ``port`` and ``--port`` when ``host:port`` is taken.

    Bound and released as gradio and uvicorn bind it (SO_REUSEADDR: only a listening socket
    makes it busy), so that building an app, which loads its model, is not wasted on a port the
    launch would refuse.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise ConfigurationError(
            f"cannot bind to host {host!r} ({err.strerror}); use an address of this machine, "
            "e.g. --host 127.0.0.1") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise _port_in_use(host, port) from None
            raise ConfigurationError(
                f"cannot bind to {host}:{port} ({err.strerror}); pick another --host or "
                "--port") from None


def launch(blocks: gr.Blocks, host: str, port: int) -> None:
    """``blocks.launch`` on ``host:port`` (blocking); a port taken meanwhile is one clear error.

    Gradio raises a bare OSError ("Cannot find empty port in range") when the port it was
    given is busy; a server started between :func:`check_port_free` and here gets the same
    message.
    """
    try:
        blocks.launch(server_name=host, server_port=port)
    except OSError as err:
        if "empty port" not in str(err) and err.errno != errno.EADDRINUSE:
            raise
        raise _port_in_use(host, port) from None


__all__ = ["APPS", "build_app", "check_port_free", "launch", "load_app_builder"]
