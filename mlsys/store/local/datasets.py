"""The local dataset API: project files (``Resources/images/x.png`` ...) under ``datasets/``."""

from __future__ import annotations

import ctypes
import os
import shutil
import uuid
from pathlib import Path, PurePosixPath
from typing import Any

from mlsys.errors import AlreadyExistsError, InvalidNameError, NotFoundError
from mlsys.store.api import DatasetApi
from mlsys.store.local.housekeeping import claimed_staging, remove_stale, staging_name
from mlsys.store.local.paths import inside, resolved, tree_files, tree_inside
from mlsys.store.rules.paths import STAGING_PREFIX, download_target, project_path

_STAGING = STAGING_PREFIX  # (housekeeping removes stale ones: see staging_name)
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h: swap two paths atomically


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    A directory cannot be replaced by a plain rename; swapping means no reader and no crash ever
    finds the target missing. Returns False where the call is unavailable (the caller falls back).
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(rc == 0)


class LocalDatasetApi(DatasetApi):
    """Files of the project (see :class:`mlsys.store.api.DatasetApi`)."""

    def __init__(self, root: Path, store_root: Path | None = None) -> None:
        self.root = root
        self.store_root = store_root if store_root is not None else root

    def _local(self, path: object) -> tuple[PurePosixPath, Path]:
        """The checked project path and its file; InvalidNameError if a symbolic link on the
        way leads outside the store (the text check alone cannot see links)."""
        p = project_path(path)
        local = self.root.joinpath(*p.parts) if p.parts else self.root
        return p, inside(self.store_root, local, f"project path {p.as_posix()!r} at")

    def _source(self, local_path: object) -> Path:
        """The resolved file or folder to upload; ``..``, ``.``, an empty name, or a folder
        holding the store itself (it would copy the store into its own staging folder) raise."""
        if not isinstance(local_path, str | os.PathLike) or not str(local_path).strip():
            raise InvalidNameError(f"local path {local_path!r} is empty; give a file or folder")
        given = Path(local_path).expanduser()
        if given.name in ("", ".", "..") or str(local_path).rstrip("/").endswith(("/.", "/..")):
            raise InvalidNameError(
                f"local path {str(local_path)!r} names no file or folder of its own ('..', '.' "
                "or a root); give the folder by its name, e.g. 'data/images'")
        src = resolved(given, "local path")
        if not src.exists():
            raise NotFoundError("local file", str(given), [])
        store = resolved(self.store_root, "the store root")
        if src.is_dir() and (store == src or store.is_relative_to(src)):
            raise InvalidNameError(
                f"local path {str(local_path)!r} is {str(src)!r}, which holds the store itself "
                f"({str(store)!r}); upload a folder outside the store")
        return src

    def _missing(self, p: PurePosixPath) -> NotFoundError:
        parent = self.root.joinpath(*p.parent.parts)
        existing = sorted(c.name for c in parent.iterdir()
                          if not c.name.startswith(_STAGING)) if parent.is_dir() else []
        return NotFoundError(f"project path in {p.parent.as_posix()}", p.name, existing)

    def upload(self, local_path: str, upload_path: str, overwrite: bool = False,
               **kwargs: Any) -> str:
        """Copy ``local_path`` into the project directory ``upload_path`` (created if needed);
        the copy is staged next to its target and renamed into place. Links inside a folder
        are followed (loops and dangling links are refused before anything is copied)."""
        src = self._source(local_path)
        folders: list[str] = []
        files = tree_files(src, "local path", folders)
        folder, local_folder = self._local(upload_path)
        target_p = folder / src.name
        target = local_folder / src.name
        if target.exists() and not overwrite:
            raise AlreadyExistsError(f"project path {target_p.as_posix()!r} exists; pass "
                                     "overwrite=True to replace it")
        local_folder.mkdir(parents=True, exist_ok=True)
        remove_stale(local_folder, _STAGING)  # left by uploads that were killed
        with claimed_staging(local_folder, _STAGING) as staged:
            try:
                if src.is_dir():
                    staged.mkdir()
                    for rel in folders:  # empty ones too, as shutil.copytree made them
                        (staged / rel).mkdir(parents=True, exist_ok=True)
                    for file, rel in files:
                        (staged / rel).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(file, staged / rel)
                    if target.exists() and exchange(staged, target):
                        pass  # ``staged`` now holds the old copy; the finally clause removes it
                    elif target.exists():  # no atomic swap here: a short window without the target
                        old = local_folder / staging_name(_STAGING)
                        target.rename(old)
                        staged.rename(target)
                        shutil.rmtree(old, ignore_errors=True)
                    else:
                        staged.rename(target)
                else:
                    shutil.copyfile(src, staged)
                    staged.replace(target)
            finally:
                if staged.is_dir():
                    shutil.rmtree(staged, ignore_errors=True)
                else:
                    staged.unlink(missing_ok=True)
        return target_p.as_posix()

    def download(self, path: str, local_path: str | None = None,
                 overwrite: bool = False, **kwargs: Any) -> str:
        p, src = self._local(path)
        if not src.exists():
            raise self._missing(p)
        dest = download_target(local_path, src.name, overwrite)
        if src.is_dir():
            tree_inside(self.store_root, src, f"a file under project path {p.as_posix()!r}:")
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(src, dest)
        else:
            staged = dest.parent / f"{_STAGING}{uuid.uuid4().hex}"
            shutil.copyfile(src, staged)
            staged.replace(dest)
        return str(dest.resolve())

    def exists(self, path: str) -> bool:
        return self._local(path)[1].exists()

    def list(self, path: str, offset: int = 0, limit: int = 1000) -> list[str]:
        p, local = self._local(path)
        if not local.is_dir():
            raise self._missing(p) if not local.exists() else NotFoundError(
                "directory", p.as_posix(), [])
        names = sorted(c.name for c in local.iterdir() if not c.name.startswith(_STAGING))
        return [(p / n).as_posix() for n in names[offset:offset + limit]]

    def remove(self, path: str) -> None:
        p, local = self._local(path)
        if not p.parts:
            raise InvalidNameError(f"project path {path!r} is the project's root; refusing to "
                                   "remove every file (remove its folders one by one)")
        if local.is_dir():
            shutil.rmtree(local)
        elif local.exists():
            local.unlink()
        else:
            raise self._missing(p)

    def mkdir(self, path: str) -> str:
        p, local = self._local(path)
        local.mkdir(parents=True, exist_ok=True)
        return p.as_posix()

    def read_bytes(self, path: str) -> bytes:
        p, local = self._local(path)
        if not local.is_file():
            raise self._missing(p)
        return local.read_bytes()
