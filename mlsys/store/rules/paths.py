"""Project paths as both backends' dataset APIs accept them, and where a download lands.

A project path is checked as text here (relative, no ``..``, no reserved staging name, within
file-system limits) before any request or file access; the local backend then also resolves
links on disk (:mod:`mlsys.store.local.paths`), which is local-only.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from mlsys.errors import AlreadyExistsError, InvalidNameError

STAGING_PREFIX = ".mlsys-staging-"
"""Names starting with this are uploads in flight; both backends reserve and hide them."""

# File-system limits (Linux NAME_MAX; a path budget well inside PATH_MAX for the store's prefix)
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 1024


def project_path(path: object) -> PurePosixPath:
    """A safe relative project path; ``..``, absolute paths, NUL or empty raise."""
    if not isinstance(path, str) or not path.strip():
        raise InvalidNameError(f"project path {path!r} is empty; give e.g. 'Resources/images'")
    if "\x00" in path or "\\" in path:
        raise InvalidNameError(f"project path {path!r} holds a NUL or backslash; use '/' "
                               "between plain names")
    p = PurePosixPath(path.strip())
    if p.is_absolute() or ".." in p.parts:
        raise InvalidNameError(f"project path {path!r} is absolute or climbs out with '..'; "
                               "give a path inside the project, e.g. 'Resources/images/x.png'")
    if any(part.startswith(STAGING_PREFIX) for part in p.parts):
        raise InvalidNameError(f"project path {path!r} uses the reserved prefix "
                               f"{STAGING_PREFIX!r}")
    try:
        sizes = [len(part.encode("utf-8")) for part in p.parts]
    except UnicodeEncodeError:
        raise InvalidNameError(f"project path {path!r} is not valid text (it holds an unpaired "
                               "surrogate); use plain UTF-8 names") from None
    if any(n > MAX_NAME_BYTES for n in sizes) or sum(sizes) + len(sizes) > MAX_PATH_BYTES:
        raise InvalidNameError(
            f"project path {path[:60]!r}... is too long; each name may hold at most "
            f"{MAX_NAME_BYTES} bytes and the whole path {MAX_PATH_BYTES}")
    return p


def download_target(local_path: str | None, name: str, overwrite: bool) -> Path:
    """Where ``download`` writes the project file ``name``: ``local_path`` (a file, or a folder
    to put it in; default the working directory), its parent created; an existing file
    without ``overwrite`` raises AlreadyExistsError before anything is fetched."""
    dest = Path(local_path) if local_path is not None else Path.cwd()
    if dest.is_dir():
        dest = dest / name
    if dest.exists() and not overwrite:
        raise AlreadyExistsError(f"{dest} exists; pass overwrite=True to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest
