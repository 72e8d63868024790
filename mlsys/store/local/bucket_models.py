"""Model files of a store in a bucket: one object per file content, named by its sha256.

A version's files are uploaded before the catalog transaction that registers it, under keys
that depend only on their content (``<model>/sha256/<hex>``), so concurrent savers can never
overwrite each other's files whichever version each ends up with, and a save that dies leaves
at most unreferenced objects. Downloads are checked against the recorded sha256 as on disk.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from mlsys.errors import IntegrityError
from mlsys.store.local.catalog.records import FileRecord
from mlsys.store.local.objects import Objects


def blob_key(model: str, sha256: str) -> str:
    return f"{model}/sha256/{sha256}"


def upload(objects: Objects, model: str, staging: Path, records: list[FileRecord]) -> None:
    """Write each staged file's content once (an object already there holds the same bytes)."""
    present = set(objects.keys(f"{model}/sha256/"))
    for r in records:
        key = blob_key(model, r.sha256)
        if key not in present:
            objects.upload(key, staging / r.path)
            present.add(key)


def download(objects: Objects, model: str, records: list[FileRecord], dest: Path,
             what: str) -> None:
    """Write the recorded files into ``dest``, each checked against its sha256; a missing or
    changed object raises IntegrityError and removes what this call wrote."""
    created = not dest.exists()
    written: list[Path] = []
    try:
        for r in records:
            target = dest / r.path
            target.parent.mkdir(parents=True, exist_ok=True)
            written.append(target)
            if not objects.download(blob_key(model, r.sha256), target):
                raise IntegrityError(
                    f"{what}: file {r.path!r} is missing from {objects.location} (object "
                    f"{blob_key(model, r.sha256)}); it was deleted after registration, so the "
                    "model is not loaded. Re-save the model")
            size, sha = _digest(target)
            if (size, sha) != (r.size, r.sha256):
                raise IntegrityError(
                    f"{what}: file {r.path!r} has sha256 {sha[:12]}... ({size} bytes) but "
                    f"{r.sha256[:12]}... ({r.size} bytes) was recorded when it was saved; it "
                    "was changed after registration, so it is not loaded. Re-save the model")
    except BaseException:
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        else:
            for p in written:
                p.unlink(missing_ok=True)
        raise


def forget(objects: Objects, model: str, dropped: list[FileRecord],
           kept: list[FileRecord]) -> None:
    """Delete the objects of a deleted version's files that no remaining version uses."""
    still = {r.sha256 for r in kept}
    for sha in sorted({r.sha256 for r in dropped} - still):
        objects.delete(blob_key(model, sha))


def _digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


__all__ = ["blob_key", "download", "forget", "upload"]
