"""The dataset API of a store in a bucket: project files as objects under ``datasets/``."""

from __future__ import annotations

import os
import uuid
from pathlib import Path, PurePosixPath
from typing import Any

from mlsys.errors import AlreadyExistsError, InvalidNameError, NotFoundError
from mlsys.store.api import DatasetApi
from mlsys.store.local.objects import Objects
from mlsys.store.local.paths import resolved, tree_files
from mlsys.store.rules.paths import STAGING_PREFIX, download_target, project_path

_FOLDER = ".folder"  # marks a folder made by mkdir (object storage has no empty folders)


class BucketDatasetApi(DatasetApi):
    """Files of the project in a bucket (see :class:`mlsys.store.api.DatasetApi`).

    A file is one object, written whole: a reader gets the old or the new file, never half.
    A folder's upload writes its files one by one (object storage has no atomic folder swap);
    a reader during it can see some new files beside old ones.
    """

    def __init__(self, objects: Objects) -> None:
        self.objects = objects

    @staticmethod
    def _key(p: PurePosixPath) -> str:
        return p.as_posix()

    def _under(self, p: PurePosixPath) -> list[str]:
        """The keys below folder ``p`` (relative to the datasets prefix)."""
        prefix = f"{p.as_posix()}/" if p.parts else ""
        return [k for k in self.objects.keys(prefix) if k.startswith(prefix)]

    def _kind(self, p: PurePosixPath) -> str | None:
        """"file", "folder", or None when nothing is at ``p``."""
        if not p.parts:
            return "folder"
        if self.objects.read(self._key(p)) is not None:
            return "file"
        return "folder" if self._under(p) else None

    def _missing(self, p: PurePosixPath) -> NotFoundError:
        names = sorted({k.split("/")[len(p.parent.parts)] for k in self._under(p.parent)}
                       - {_FOLDER}) if self._kind(p.parent) else []
        return NotFoundError(f"project path in {p.parent.as_posix()}", p.name, names)

    def upload(self, local_path: str, upload_path: str, overwrite: bool = False,
               **kwargs: Any) -> str:
        """Write ``local_path`` (a file, or a folder's files) under ``upload_path``."""
        if not isinstance(local_path, str | os.PathLike) or not str(local_path).strip():
            raise InvalidNameError(f"local path {local_path!r} is empty; give a file or folder")
        given = Path(local_path).expanduser()
        if given.name in ("", ".", ".."):
            raise InvalidNameError(
                f"local path {str(local_path)!r} names no file or folder of its own ('..', '.' "
                "or a root); give the folder by its name, e.g. 'data/images'")
        src = resolved(given, "local path")
        if not src.exists():
            raise NotFoundError("local file", str(given), [])
        files = tree_files(src, "local path")  # links followed, loops refused, before writing
        target = project_path(upload_path) / src.name
        if self._kind(target) is not None and not overwrite:
            raise AlreadyExistsError(f"project path {target.as_posix()!r} exists; pass "
                                     "overwrite=True to replace it")
        if src.is_dir():
            old = set(self._under(target))
            new = {f"{target.as_posix()}/{rel}" for _, rel in files}
            for file, rel in files:
                self.objects.upload(f"{target.as_posix()}/{rel}", file)
            for key in sorted(old - new):  # what the replaced folder held beyond the new one
                self.objects.delete(key)
            if not files:
                self.objects.write(f"{target.as_posix()}/{_FOLDER}", b"")
        else:
            self.objects.upload(self._key(target), src)
        return target.as_posix()

    def download(self, path: str, local_path: str | None = None,
                 overwrite: bool = False, **kwargs: Any) -> str:
        p = project_path(path)
        kind = self._kind(p)
        if kind is None:
            raise self._missing(p)
        dest = download_target(local_path, p.name, overwrite)
        if kind == "file":
            staged = dest.parent / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
            if not self.objects.download(self._key(p), staged):
                raise self._missing(p)
            staged.replace(dest)
        else:
            for key in self._under(p):
                rel = key[len(p.as_posix()) + 1:]
                if rel.rsplit("/", 1)[-1] == _FOLDER:
                    (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                    continue
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                self.objects.download(key, dest / rel)
            dest.mkdir(parents=True, exist_ok=True)
        return str(dest.resolve())

    def exists(self, path: str) -> bool:
        return self._kind(project_path(path)) is not None

    def list(self, path: str, offset: int = 0, limit: int = 1000) -> list[str]:
        p = project_path(path)
        kind = self._kind(p)
        if kind != "folder":
            raise self._missing(p) if kind is None else NotFoundError(
                "directory", p.as_posix(), [])
        names = sorted({k.split("/")[len(p.parts)] for k in self._under(p)} - {_FOLDER})
        return [(p / n).as_posix() for n in names[offset:offset + limit]]

    def remove(self, path: str) -> None:
        p = project_path(path)
        if not p.parts:
            raise InvalidNameError(f"project path {path!r} is the project's root; refusing to "
                                   "remove every file (remove its folders one by one)")
        kind = self._kind(p)
        if kind is None:
            raise self._missing(p)
        for key in [self._key(p)] if kind == "file" else self._under(p):
            self.objects.delete(key)

    def mkdir(self, path: str) -> str:
        p = project_path(path)
        if p.parts and self._kind(p) is None:
            self.objects.write(f"{p.as_posix()}/{_FOLDER}", b"")
        return p.as_posix()

    def read_bytes(self, path: str) -> bytes:
        p = project_path(path)
        found = self.objects.read(self._key(p)) if p.parts else None
        if found is None:
            raise self._missing(p)
        return found.data


__all__ = ["BucketDatasetApi"]
