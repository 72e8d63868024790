"""Settings from ``MLSYS_*`` environment variables, and the offline defaults mlsys applies."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from mlsys.errors import ConfigurationError

DEFAULT_HOME = Path("~/.mlsys")
DEFAULT_PROJECT = "mlsys"

# Libraries that phone home unless told not to; mlsys turns them off for its own processes.
# A user who wants them sets the variable themselves (setdefault never overrides).
OFFLINE_DEFAULTS = {
    "GX_ANALYTICS_ENABLED": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "MPLBACKEND": "Agg",
}


@dataclass(frozen=True)
class Settings:
    """Where and how mlsys stores things; see README "Configuration"."""

    backend: str
    home: Path
    project: str
    # False: open an existing store only (read-only verbs), so a mistyped MLSYS_HOME is an
    # error rather than a new empty store; a Hopsworks project always exists already
    create: bool = True

    @classmethod
    def from_env(cls, backend: str | None = None, home: str | Path | None = None,
                 project: str | None = None, create: bool = True) -> Settings:
        """Arguments win over ``MLSYS_BACKEND`` / ``MLSYS_HOME`` / ``MLSYS_PROJECT``."""
        backend = (backend or os.environ.get("MLSYS_BACKEND") or "local").strip().lower()
        raw_home = home or os.environ.get("MLSYS_HOME") or DEFAULT_HOME
        project = project or os.environ.get("MLSYS_PROJECT") or DEFAULT_PROJECT
        if not str(raw_home).strip():
            raise ConfigurationError("MLSYS_HOME is empty; unset it or point it at a directory")
        return cls(backend=backend, home=_home_folder(raw_home), project=project, create=create)


# "s3://", "gs://", "https://", "file://": a location with a scheme, not a folder name
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")


def _home_folder(raw: str | Path) -> Path:
    """The local store's root folder; a URL is refused rather than taken as a relative folder.

    ``s3://bucket/prefix`` read as a path is the folder ``./s3:/bucket/prefix``: the store
    would be written there and the bucket stay empty, so such a setting is an error.
    ``file://`` URLs name a folder and are accepted.
    """
    text = str(raw)
    match = _URL.match(text)
    if match is None:
        return Path(text).expanduser().resolve()
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(text)
    if match["scheme"].lower() == "file" and parts.netloc in ("", "localhost"):
        return Path(unquote(parts.path)).resolve()
    # the host and path only: a URL can carry a user name and secret, which never go in a message
    shown = f"{match['scheme']}://{parts.hostname or ''}{parts.path}"
    raise ConfigurationError(
        f"MLSYS_HOME {shown!r} is a URL; the embedded store lives in a local folder, not on "
        f"{match['scheme']}:// storage. Set MLSYS_HOME to a directory (e.g. ~/.mlsys), or use "
        "MLSYS_BACKEND=hopsworks for a store that several machines share")


def apply_offline_defaults() -> None:
    """Switch off analytics and hub look-ups of GE, Gradio and Hugging Face (unless set)."""
    for key, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
