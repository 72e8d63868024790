"""Typed configuration of the local backend and where each thing lives: on disk, or in a bucket.

A store in a bucket (``MLSYS_HOME=s3://bucket/prefix``) keeps its tables, catalog, models and
dataset files there; what only one machine needs (online stores built from the tables, writer
locks, staging copies) lives in a local cache folder, ``home`` (``MLSYS_CACHE``, default
``~/.cache/mlsys/s3/<bucket>/<prefix>``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsys.errors import ConfigurationError, InvalidNameError

if TYPE_CHECKING:
    from mlsys.config import Settings
    from mlsys.store.local.objects import Objects

# Options a Hopsworks login takes; accepted and ignored here so that switching MLSYS_BACKEND
# between backends needs no change to the login call.
HOPSWORKS_OPTIONS = frozenset({
    "host", "port", "api_key_value", "api_key_file", "engine", "hostname_verification",
    "trust_store_path", "region", "secrets_store",
})

_PROJECT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]{0,62}$")


@dataclass(frozen=True)
class LocalConfig:
    """Where the project lives and how long writers wait for each other."""

    home: Path  # the store's folder; for a bucket, the local cache folder
    project: str
    bucket: str | None = None  # "s3://bucket/prefix" when the store lives in a bucket
    lock_timeout_s: float = 600.0  # how long an insert waits for another writer of its group
    busy_timeout_ms: int = 60_000  # SQLite busy_timeout for the catalog and online stores
    # how often a serving process looks for commits behind its online store (see below)
    online_refresh_s: float | None = None

    def __post_init__(self) -> None:
        if not _PROJECT.fullmatch(self.project):
            raise InvalidNameError(
                f"project name {self.project!r} is not allowed; use 1-63 letters, digits, '_' "
                "or '-' with no path characters (set MLSYS_PROJECT or login(project=...))"
            )
        if self.lock_timeout_s <= 0 or self.busy_timeout_ms <= 0:
            raise ConfigurationError("lock_timeout_s and busy_timeout_ms must be positive")
        if self.online_refresh_s is not None and not self.online_refresh_s >= 0:
            raise ConfigurationError(f"online_refresh_s={self.online_refresh_s!r} must be 0 "
                                     "(every lookup) or more seconds")

    @property
    def online_refresh_every(self) -> float | None:
        """Seconds between a serving process's looks at the offline table for commits its
        online store lacks. A bucket's online stores are each machine's own (in its cache),
        so other machines' commits are only seen by looking: every 60 s by default, and at
        every ``init_serving``. None (a folder's default): a folder's writers update its one
        shared online store themselves, so it is looked at only on ``init_serving`` and
        online reads, as a check."""
        if self.online_refresh_s is not None:
            return self.online_refresh_s
        return 60.0 if self.bucket else None

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> LocalConfig:
        """The config for ``settings``; ``options`` may set the tuning fields above."""
        known = {f.name for f in fields(cls)} - {"home", "project", "bucket"}
        unknown = sorted(set(options) - known - HOPSWORKS_OPTIONS)
        if unknown:
            raise ConfigurationError(
                f"option(s) {unknown} are not known to the local backend; "
                f"known: {sorted(known)}"
            )
        tuning = {k: v for k, v in options.items() if k in known}
        if isinstance(settings.home, str):  # an s3:// URL (mlsys.config checked it)
            return cls(home=cache_folder(settings.home), project=settings.project,
                       bucket=settings.home, **tuning)
        return cls(home=Path(settings.home), project=settings.project, **tuning)

    # -- a store in a bucket
    @property
    def where(self) -> str:
        """The store's location as a user names it: its folder, or its bucket URL."""
        return f"{self.bucket}/{self.project}" if self.bucket else str(self.root)

    def objects(self, part: str) -> Objects:
        """The objects of ``part`` ("catalog", "models", "datasets") of a store in a bucket."""
        from mlsys.store.local.bucket import objects_at

        if self.bucket is None:
            raise ValueError("objects() is for a store in a bucket")
        return objects_at(f"{self.bucket}/{self.project}/{part}")

    # -- layout
    @property
    def root(self) -> Path:
        return self.home / self.project

    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog.sqlite"

    @property
    def feature_store_dir(self) -> Path:
        return self.root / "feature_store"

    @property
    def online_dir(self) -> Path:
        return self.root / "online"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def datasets_dir(self) -> Path:
        return self.root / "datasets"

    def inside(self, path: Path, what: str) -> Path:
        """``path`` if it resolves inside the store (a symbolic link in the store may lead
        elsewhere); InvalidNameError otherwise."""
        from mlsys.store.local.paths import inside

        return inside(self.root, path, what)

    def table_dir(self, name: str, version: int) -> Path | str:
        """The Delta table of feature group ``name`` v``version`` (a URL in a bucket)."""
        if self.bucket is not None:  # names are checked: no key can leave the prefix
            return f"{self.bucket}/{self.project}/feature_store/{name}_{version}"
        return self.inside(self.feature_store_dir / f"{name}_{version}",
                           f"the table of feature group {name} v{version}")

    def table_lock(self, name: str, version: int) -> Path:
        """The lock file its writers hold (next to the table, not inside it)."""
        return self.inside(self.feature_store_dir / f"{name}_{version}.lock",
                           f"the lock of feature group {name} v{version}")

    def online_path(self, name: str, version: int) -> Path:
        return self.inside(self.online_dir / f"{name}_{version}.sqlite",
                           f"the online table of feature group {name} v{version}")

    def model_dir(self, name: str, version: int) -> Path:
        return self.inside(self.models_dir / name / str(version),
                           f"the folder of model {name} v{version}")


def cache_folder(url: str) -> Path:
    """The local folder that holds what one machine keeps of the store at ``url``."""
    base = Path(os.environ.get("MLSYS_CACHE") or "~/.cache/mlsys").expanduser().resolve()
    return base / "s3" / Path(*url.removeprefix("s3://").split("/"))
