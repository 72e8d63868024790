"""Project files on Hopsworks: ``hopsworks_common.core.dataset_api.DatasetApi`` behind mlsys.

Paths are checked with the rules both backends share (:mod:`mlsys.store.rules.paths`:
relative, no ``..``) before any request.
Differences from the SDK that keep the contract:

- ``upload`` creates missing parent directories (the SDK needs them to exist) and uploads into
  a staging directory next to the target, then moves the file into place, so a reader never
  sees a half-uploaded file. With ``overwrite=True`` the SDK's move deletes the old target just
  before the move: for that instant the path is missing (never partial).
- A missing path raises :class:`~mlsys.errors.NotFoundError`; an existing target without
  ``overwrite`` raises :class:`~mlsys.errors.AlreadyExistsError`, locally as well.
- ``download`` handles files (the SDK streams one file per request), as ``read_bytes`` does.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mlsys.errors import AlreadyExistsError, NotFoundError
from mlsys.store.api import DatasetApi
from mlsys.store.rules.paths import STAGING_PREFIX, download_target, project_path

if TYPE_CHECKING:
    from mlsys.store.hopsworks.context import Context


class HopsworksDatasetApi(DatasetApi):
    """See the module docstring; ``sdk`` is the SDK's dataset API (an escape hatch)."""

    def __init__(self, sdk: Any, ctx: Context) -> None:
        self.sdk = sdk
        self._ctx = ctx

    def __repr__(self) -> str:
        return "HopsworksDatasetApi()"

    def _run(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return self._ctx.calls.run(what, fn, *args, **kwargs)

    def _missing(self, p: PurePosixPath) -> NotFoundError:
        parent = p.parent.as_posix()
        existing: list[str] = []
        if parent not in ("", ".") and self.exists(parent):
            existing = [PurePosixPath(x).name for x in self.list(parent)]
        return NotFoundError(f"project path in {parent}", p.name, existing)

    def _mkdirs(self, p: PurePosixPath) -> None:
        for i in range(1, len(p.parts) + 1):
            part = PurePosixPath(*p.parts[:i]).as_posix()
            if not self.exists(part):
                self._run(f"create directory {part}", self.sdk.mkdir, part)

    def upload(self, local_path: str, upload_path: str, overwrite: bool = False,
               **kwargs: Any) -> str:
        src = Path(local_path)
        if not src.exists():
            raise NotFoundError("local file", str(src), [])
        folder = project_path(upload_path)
        target = (folder / src.name).as_posix()
        if self.exists(target) and not overwrite:
            raise AlreadyExistsError(f"project path {target!r} exists; pass overwrite=True to "
                                     "replace it")
        self._mkdirs(folder)
        staging = (folder / f"{STAGING_PREFIX}{uuid.uuid4().hex}").as_posix()
        self._run(f"create directory {staging}", self.sdk.mkdir, staging)
        try:
            self._run(f"upload {src.name} to {upload_path}", self.sdk.upload, str(src.resolve()),
                      staging, overwrite=True, **kwargs)
            self._run(f"move {src.name} into {upload_path}", self.sdk.move,
                      f"{staging}/{src.name}", target, overwrite=True)
        finally:  # the staging path is reserved, so it bypasses the public path checks
            if self._run(f"check {staging}", self.sdk.exists, staging):
                self._run(f"remove {staging}", self.sdk.remove, staging)
        return target

    def download(self, path: str, local_path: str | None = None,
                 overwrite: bool = False, **kwargs: Any) -> str:
        p = project_path(path)
        if not self.exists(p.as_posix()):
            raise self._missing(p)
        dest = download_target(local_path, p.name, overwrite)
        got = self._run(f"download {p.as_posix()}", self.sdk.download, p.as_posix(), str(dest),
                        overwrite=overwrite, **kwargs)
        return str(Path(got).resolve())

    def exists(self, path: str) -> bool:
        p = project_path(path)
        return bool(self._run(f"check {p.as_posix()}", self.sdk.exists, p.as_posix()))

    def list(self, path: str, offset: int = 0, limit: int = 1000) -> list[str]:
        p = project_path(path)
        if not self.exists(p.as_posix()):
            raise self._missing(p)
        found = self._run(f"list {p.as_posix()}", self.sdk.list, p.as_posix(), offset=offset,
                          limit=limit)
        names = sorted(str(x) for x in found or [])
        return [x for x in names if not PurePosixPath(x).name.startswith(STAGING_PREFIX)]

    def remove(self, path: str) -> None:
        p = project_path(path)
        if not self.exists(p.as_posix()):
            raise self._missing(p)
        self._run(f"remove {p.as_posix()}", self.sdk.remove, p.as_posix())

    def mkdir(self, path: str) -> str:
        p = project_path(path)
        self._mkdirs(p)
        return p.as_posix()

    def read_bytes(self, path: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix="mlsys-read-") as tmp:
            return Path(self.download(path, tmp, overwrite=True)).read_bytes()
