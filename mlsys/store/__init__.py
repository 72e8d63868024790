"""Backends of the store API, chosen by short name and imported only when used."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlsys.errors import ConfigurationError
from mlsys.registry import LazyRegistry

if TYPE_CHECKING:
    from mlsys.config import Settings
    from mlsys.store.api import Project

# short name -> the function taking (Settings, **options) and returning a Project; the hopsworks
# backend's dependencies are an optional extra of the mlsys package
BACKENDS: LazyRegistry[Callable[..., Any]] = LazyRegistry(
    "backend",
    {"local": "mlsys.store.local.project:connect",
     "hopsworks": "mlsys.store.hopsworks.project:connect"},
    Callable,  # type: ignore[arg-type]  # the ABC, so isinstance checks for a callable
    extras={"hopsworks": "hopsworks"},
)


def connect(settings: Settings, **options: object) -> Project:
    """Open the project of ``settings.backend``; unknown names list the known ones."""
    if settings.backend not in BACKENDS:
        raise ConfigurationError(
            f"backend {settings.backend!r} is not known; set MLSYS_BACKEND to one of "
            f"{', '.join(sorted(BACKENDS))}"
        )
    project: Project = BACKENDS.load(settings.backend)(settings, **options)
    return project
