"""Settings from ``MLSYS_*`` environment variables, and the offline defaults mlsys applies."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsys.errors import ConfigurationError

if TYPE_CHECKING:
    from urllib.parse import SplitResult

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
    home: Path | str  # a folder, or an ``s3://bucket/prefix`` URL (see ``_home``)
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
        return cls(backend=backend, home=_home(raw_home), project=project, create=create)


# "s3://", "gs://", "https://", "file://": a location with a scheme, not a folder name
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")


def _home(raw: str | Path) -> Path | str:
    """The local store's root folder, or its bucket as ``s3://bucket/prefix``.

    Other URLs are refused rather than taken as relative folders: ``gs://bucket/prefix`` read
    as a path is the folder ``./gs:/bucket/prefix``, where the store would be written while the
    bucket stayed empty. ``file://`` URLs name a folder and are accepted.
    """
    text = str(raw)
    match = _URL.match(text)
    if match is None:
        return Path(text).expanduser().resolve()
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(text)
    scheme = match["scheme"].lower()
    if scheme == "file" and parts.netloc in ("", "localhost"):
        return Path(unquote(parts.path)).resolve()
    if "@" in text[match.end():]:
        # user:secret@ (nothing else in a location has an '@'); a secret with a '/' (as AWS
        # keys often have) ends urlsplit's netloc early, so nothing of this URL is shown
        raise ConfigurationError(
            f"MLSYS_HOME, a {match['scheme']}:// URL with an '@', carries credentials; give "
            "only s3://bucket/prefix and set the keys as AWS_ACCESS_KEY_ID / "
            "AWS_SECRET_ACCESS_KEY")
    # the host and path only: a URL can carry a user name and secret, which never go in a message
    shown = f"{match['scheme']}://{parts.hostname or ''}{parts.path}"
    if scheme in ("s3", "s3a"):
        return bucket_home(parts, shown)
    raise ConfigurationError(
        f"MLSYS_HOME {shown!r} is a {match['scheme']}:// URL, which the embedded store cannot "
        "use; it lives in a local folder (e.g. ~/.mlsys) or an S3-compatible bucket "
        "(s3://bucket/prefix, with AWS_ENDPOINT_URL for R2, MinIO and others), or use "
        "MLSYS_BACKEND=hopsworks")


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")  # S3's bucket-name rules
_PREFIX_PART = re.compile(r"^[A-Za-z0-9_.\-]+$")


def bucket_home(parts: SplitResult, shown: str) -> str:
    """``s3://bucket/prefix`` normalised, or a ConfigurationError naming what is wrong."""
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigurationError(
            f"MLSYS_HOME {shown!r} carries credentials, a query or a fragment; give only "
            "s3://bucket/prefix and set the keys as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
    bucket = parts.netloc
    if not _BUCKET.fullmatch(bucket):
        raise ConfigurationError(
            f"MLSYS_HOME {shown!r}: {bucket!r} is not a bucket name (3-63 lower-case letters, "
            "digits, '.' or '-'); write it as s3://bucket/prefix")
    prefix = [p for p in parts.path.split("/") if p]
    bad = [p for p in prefix if not _PREFIX_PART.fullmatch(p) or p in (".", "..")]
    if bad:
        raise ConfigurationError(
            f"MLSYS_HOME {shown!r}: the prefix part(s) {bad} are not allowed; use letters, "
            "digits, '_', '.' and '-' between slashes")
    return "s3://" + "/".join([bucket, *prefix])


def apply_offline_defaults() -> None:
    """Switch off analytics and hub look-ups of GE, Gradio and Hugging Face (unless set)."""
    for key, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
