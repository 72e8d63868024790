"""Model artefacts for the console: verified copies, and serving only their own files.

A model version is downloaded once through the contract (``Model.download``, which checks
every file's sha256), into a folder the console owns; the verification outcome is what the
model page shows. A file is served only if it is one of that copy's files and resolves inside
it (``mlsys.store.local.paths.inside``), so no request path reaches anything else.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsys.errors import IntegrityError, MlsysError, NotFoundError
from mlsys.store.local.paths import inside, tree_files

if TYPE_CHECKING:
    from mlsys.store.api import Model

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp"}  # shown inline; never SVG (script)


@dataclass(frozen=True)
class Artefacts:
    """A model version's files as verified (``error`` says why not, then ``files`` is empty)."""

    verified: bool
    error: str | None
    root: Path | None
    files: tuple[str, ...]  # relative posix paths


class ArtefactCache:
    """One verified copy per model version, in a temporary folder removed by :meth:`close`."""

    def __init__(self) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="mlsys-console-"))
        self._items: dict[tuple[str, int], Artefacts] = {}
        self._lock = threading.Lock()

    def get(self, model: Model) -> Artefacts:
        assert model.version is not None  # registered versions only
        key = (model.name, model.version)
        with self._lock:
            if key not in self._items:
                self._items[key] = self._download(model, self._root / f"{len(self._items)}")
            return self._items[key]

    @staticmethod
    def _download(model: Model, target: Path) -> Artefacts:
        try:
            folder = Path(model.download(str(target)))
        except IntegrityError as err:
            shutil.rmtree(target, ignore_errors=True)
            return Artefacts(False, str(err), None, ())
        files = tuple(rel for _, rel in tree_files(folder, "model download"))
        return Artefacts(True, None, folder, files)

    def file(self, model: Model, relative: str) -> Path:
        """The verified copy's file ``relative``; NotFoundError for anything else."""
        found = self.get(model)
        if found.root is None or relative not in found.files:
            raise NotFoundError(f"file of model {model.name} v{model.version}", relative,
                                list(found.files))
        try:
            return inside(found.root, found.root / relative, "model file")
        except MlsysError:
            raise NotFoundError(f"file of model {model.name} v{model.version}", relative,
                                list(found.files)) from None

    def close(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)
