"""Artefact files: copy in with sha256 hashes, copy out verified against them."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from mlsys.errors import IntegrityError

_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileRecord:
    """One stored file: its path relative to the artefact directory, size and sha256."""

    path: str
    size: int
    sha256: str


def _copy_hashing(src: Path, dest: Path) -> tuple[int, str]:
    """Copy ``src`` to ``dest`` in chunks; the size and sha256 of what was copied."""
    digest = hashlib.sha256()
    size = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    with src.open("rb") as fin, dest.open("wb") as fout:
        while chunk := fin.read(_CHUNK):
            digest.update(chunk)
            fout.write(chunk)
            size += len(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    return size, digest.hexdigest()


def stage(source: Path, staging: Path) -> list[FileRecord]:
    """Copy a file (as itself) or a directory (its contents) into ``staging``; hash each file.

    Links in a directory are followed (see :func:`~mlsys.store.local.paths.tree_files`), so a
    linked sub-folder's files are saved too; loops and dangling links are refused up front.
    """
    from mlsys.store.local.paths import tree_files

    files = tree_files(source, "model path")  # before anything is created
    staging.mkdir(parents=True)
    pairs = [(src, staging / rel) for src, rel in files]
    records = []
    for src, dest in pairs:
        size, sha = _copy_hashing(src, dest)
        records.append(FileRecord(dest.relative_to(staging).as_posix(), size, sha))
    return records


def stored_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def verified_copy(root: Path, records: list[FileRecord], dest: Path, what: str) -> None:
    """Copy the recorded files of ``root`` into ``dest``, each checked against its sha256.

    A changed, missing, truncated or unrecorded file raises IntegrityError; the files already
    copied by this call are removed again so nothing unverified is left behind.
    """
    on_disk = stored_files(root) if root.is_dir() else set()
    missing = sorted({r.path for r in records} - on_disk)
    extra = sorted(on_disk - {r.path for r in records})
    if missing or extra:
        raise IntegrityError(
            f"{what} at {root} does not match the registry: missing {missing}, unrecorded "
            f"{extra}; re-save the model (files must not be edited in the registry)"
        )
    created_dest = not dest.exists()
    written: list[Path] = []
    try:
        for r in records:
            target = dest / r.path
            written.append(target)
            size, sha = _copy_hashing(root / r.path, target)
            if (size, sha) != (r.size, r.sha256):
                raise IntegrityError(
                    f"{what}: file {r.path!r} has sha256 {sha[:12]}... ({size} bytes) but "
                    f"{r.sha256[:12]}... ({r.size} bytes) was recorded when it was saved; it "
                    "was changed or truncated after registration, so it is not loaded. "
                    "Re-save the model"
                )
    except BaseException:
        if created_dest:
            shutil.rmtree(dest, ignore_errors=True)
        else:
            for p in written:
                p.unlink(missing_ok=True)
        raise
