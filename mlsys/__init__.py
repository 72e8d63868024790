"""mlsys: small serverless ML systems on an embedded, Hopsworks-shaped feature store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlsys.errors import (
    DataValidationError,
    DataValidationException,
    MlsysError,
    NotFoundError,
    SchemaError,
)

if TYPE_CHECKING:
    from pathlib import Path

    from mlsys.store.api import ModelSchema, Project, Schema

__version__ = "0.1.0"


def login(backend: str | None = None, home: str | Path | None = None,
          project: str | None = None, create: bool = True, **options: Any) -> Project:
    """Open a project, as ``hopsworks.login()`` does.

    ``backend`` defaults to ``MLSYS_BACKEND`` or ``"local"``; ``home`` (local store root) to
    ``MLSYS_HOME`` or ``~/.mlsys``; ``project`` to ``MLSYS_PROJECT`` or ``"mlsys"``. Other keyword
    arguments go to the backend (e.g. ``api_key_value``, ``host`` for Hopsworks).
    ``create=False`` opens an existing local store only: where none is, ConfigurationError says
    so and how to make one, instead of an empty store being created (for read-only work).
    """
    from mlsys.config import Settings, apply_offline_defaults
    from mlsys.store import connect

    apply_offline_defaults()
    return connect(Settings.from_env(backend=backend, home=home, project=project,
                                     create=create), **options)


def __getattr__(name: str) -> object:
    # Schema and ModelSchema (hsml's constructors) load the store package only when asked for.
    if name in ("Schema", "ModelSchema"):
        from mlsys.store.api import schema

        return getattr(schema, name)
    raise AttributeError(f"module 'mlsys' has no attribute {name!r}")


__all__ = [
    "DataValidationError",
    "DataValidationException",
    "MlsysError",
    "ModelSchema",
    "NotFoundError",
    "Schema",
    "SchemaError",
    "__version__",
    "login",
]
