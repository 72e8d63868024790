"""Backends of the store API, chosen by short name and imported only when used."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from mlsys.errors import ConfigurationError, MissingExtraError

if TYPE_CHECKING:
    from mlsys.config import Settings
    from mlsys.store.api import Project

# short name -> "module:function" taking (Settings, **options) and returning a Project
BACKENDS: dict[str, str] = {
    "local": "mlsys.store.local.project:connect",
    "hopsworks": "mlsys.store.hopsworks.project:connect",
}
# backends whose dependencies are an optional extra of the mlsys package
EXTRAS: dict[str, str] = {"hopsworks": "hopsworks"}


def connect(settings: Settings, **options: object) -> Project:
    """Open the project of ``settings.backend``; unknown names list the known ones."""
    target = BACKENDS.get(settings.backend)
    if target is None:
        raise ConfigurationError(
            f"backend {settings.backend!r} is not known; set MLSYS_BACKEND to one of "
            f"{', '.join(sorted(BACKENDS))}"
        )
    module_name, func_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        if settings.backend not in EXTRAS:
            raise
        raise MissingExtraError(
            f"backend {settings.backend!r} needs an optional extra: "
            f"pip install 'mlsys[{EXTRAS[settings.backend]}]' ({err})"
        ) from err
    project: Project = getattr(module, func_name)(settings, **options)
    return project
