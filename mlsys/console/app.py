"""The console's ASGI app: GET routes over one project, server-side HTML, nothing that writes.

Read-only by construction: there is no route that writes, and any method other than GET or
HEAD is refused with 405 before routing, so no request can change the store.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from mlsys.console import groups, models, monitoring, views
from mlsys.console.artefacts import IMAGE_TYPES, ArtefactCache
from mlsys.console.html import page, tag
from mlsys.console.stats import StatsCache
from mlsys.errors import InvalidArgumentError, MlsysError, NotFoundError

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from mlsys.store.api import Project

READ_METHODS = frozenset({"GET", "HEAD"})
# no script may run on a page, whatever a stored value holds; styles are inline, images ours
HEADERS = {"Content-Security-Policy": "default-src 'none'; img-src 'self'; "
           "style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class ReadOnly:
    """ASGI middleware refusing every method that could write (405), before any route runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in READ_METHODS:
            response = HTMLResponse(
                page("Read-only", tag("p", f"{scope['method']} is refused: the console only "
                                      "reads the store.")), status_code=405,
                headers={"Allow": "GET, HEAD", **HEADERS})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _int(request: Request, name: str, source: str = "query") -> int | None:
    raw = (request.query_params if source == "query" else request.path_params).get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidArgumentError(f"{name} {raw!r} is not a whole number; give e.g. "
                                   f"{name}=1") from None
    if value < 0:
        raise InvalidArgumentError(f"{name} {value} is negative; give 0 or more")
    return value


def create_app(project: Project) -> Starlette:
    """The console over ``project``; the caller closes the project after the app stops."""
    lock = threading.Lock()  # one store call at a time: backends are not promised thread-safe
    stats, artefacts = StatsCache(), ArtefactCache()

    def html(build: Callable[[Request], str]) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            try:
                with lock:
                    body = build(request)
                return HTMLResponse(body, headers=HEADERS)
            except NotFoundError as err:
                return _error(404, "Not found", err)
            except InvalidArgumentError as err:
                return _error(400, "Bad request", err)
            except MlsysError as err:
                return _error(500, "The store could not answer", err)
        return endpoint

    def name_version(request: Request) -> tuple[str, int]:
        version = _int(request, "version", "path")
        assert version is not None  # the route's pattern needs one
        return str(request.path_params["name"]), version

    def group(request: Request) -> str:
        name, version = name_version(request)
        return groups.group_page(project, name, version, _int(request, "commit"),
                                 _int(request, "page") or 0)

    def group_stats(request: Request) -> str:
        name, version = name_version(request)
        commit = _int(request, "commit")
        fg = project.get_feature_store().get_feature_group(name, version)
        return groups.stats_page(project, name, version, commit, stats.get(fg, commit))

    def view(request: Request) -> str:
        return views.view_page(project, *name_version(request))

    def model(request: Request) -> str:
        name, version = name_version(request)
        return models.model_page(project, name, version, artefacts)

    def model_file(request: Request) -> Response:
        try:
            name, version = name_version(request)
            with lock:
                found = project.get_model_registry().get_model(name, version)
                path = artefacts.file(found, str(request.path_params["path"]))
        except NotFoundError as err:
            return _error(404, "Not found", err)
        except MlsysError as err:
            return _error(400, "Bad request", err)
        kind = IMAGE_TYPES.get(path.suffix.lower())
        if kind is not None:
            return FileResponse(path, media_type=kind, headers=HEADERS)
        return FileResponse(path, media_type="application/octet-stream", filename=path.name,
                            headers=HEADERS)

    def image(request: Request) -> Response:
        try:
            with lock:
                data = monitoring.image_bytes(project, str(request.path_params["name"]))
        except MlsysError as err:
            return _error(404, "Not found", err)
        return Response(data, media_type="image/png", headers=HEADERS)

    routes = [
        Route("/", lambda _: RedirectResponse("/groups"), methods=["GET"]),
        Route("/groups", html(lambda _: groups.groups_page(project)), methods=["GET"]),
        Route("/groups/{name}/{version:int}", html(group), methods=["GET"]),
        Route("/groups/{name}/{version:int}/stats", html(group_stats), methods=["GET"]),
        Route("/views", html(lambda _: views.views_page(project)), methods=["GET"]),
        Route("/views/{name}/{version:int}", html(view), methods=["GET"]),
        Route("/models", html(lambda _: models.models_page(project)), methods=["GET"]),
        Route("/models/{name}/{version:int}", html(model), methods=["GET"]),
        Route("/models/{name}/{version:int}/files/{path:path}", model_file, methods=["GET"]),
        Route("/monitoring", html(lambda _: monitoring.monitoring_page(project)),
              methods=["GET"]),
        Route("/images/{name}", image, methods=["GET"]),
    ]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:  # the verified model copies go with the app
            artefacts.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(ReadOnly)
    return app


def _error(status: int, title: str, err: Exception) -> Response:
    return HTMLResponse(page(title, tag("p", str(err), class_="error")), status_code=status,
                        headers=HEADERS)

