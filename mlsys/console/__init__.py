"""``mlsys ui``: a read-only web console over one project's feature store and model registry.

Server-side HTML on a small Starlette app (``mlsys.console.app``), made only of store-contract
calls, so it shows an embedded or a Hopsworks project alike. Starlette and uvicorn come with
the ``ui`` extra and are imported only when the console is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mlsys.extras import missing_extra

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from mlsys.store.api import Project


def build_console(project: Project) -> Starlette:
    """The console app over ``project`` (not started); a missing ``ui`` extra is named."""
    try:
        from mlsys.console.app import create_app
    except ImportError as err:
        missing = missing_extra(err, "mlsys ui")
        if missing is None:
            raise
        raise missing from None
    return create_app(project)


def serve_console(project: Project, host: str = "127.0.0.1", port: int = 8760,
                  announce: Callable[[str], None] | None = None) -> None:
    """Serve the console on ``host:port`` until interrupted (Ctrl-C), then close ``project``."""
    app = build_console(project)
    import uvicorn

    if announce is not None:
        announce(f"mlsys ui: http://{host}:{port}/groups (read-only; Ctrl-C stops it)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        project.close()


__all__ = ["build_console", "serve_console"]
