"""Housekeeping of the local store: stale staging folders, and ``gc`` of daily-grown tables.

Staging folders (a model save's ``.staging-*``, an upload's or a streamed table's
``.mlsys-staging-*``) are made through :func:`claimed_staging`, which holds an ``flock`` on a
sibling ``<name>.lock`` for as long as the folder is being filled and renamed. A later process
removes a folder only while it holds that lock itself, so a live writer's folder is never
touched, whatever host it runs on and however slowly it writes (the kernel, or the NFS server,
drops the lock when the writer dies). A folder without a lock file (made by an older mlsys)
is judged by the pid in its name, or its age.

``gc`` rewrites each table's many one-row files into few (``optimize.compact``), writes a
checkpoint, and vacuums files no version within the retention window, and no recorded training
dataset, still reads. Expired log entries are never removed, so every recorded version stays
loadable by number.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsys.errors import StoreWriteError
from mlsys.store.rules.paths import STAGING_PREFIX

if TYPE_CHECKING:
    from mlsys.store.local.catalog import Catalog
    from mlsys.store.local.config import LocalConfig

STALE_AFTER_S = 3600.0
"""A staging folder without a pid (made by an older mlsys) is removed after this long."""

DEAD_GRACE_S = 60.0
"""A dead maker's folder is still left alone this long (clock skew, a pid just reused, a lock
file made but not yet locked)."""

LOCK_SUFFIX = ".lock"
"""A staging folder's lock file is its name plus this, beside it."""

DEFAULT_RETENTION_HOURS = 168
"""What ``gc`` keeps for time travel: Delta Lake's own default vacuum retention (7 days)."""

MODEL_STAGING_PREFIX = ".staging-"
"""A model save's copy, renamed into place as the version's folder (``models/<name>/``)."""

TEMP_COPY_PREFIX = "mlsys-"
"""Prefix of the temporary folders ``model.download()`` makes without a path."""


def staging_name(prefix: str) -> str:
    """A fresh staging folder name naming this process: ``<prefix><pid>-<hex>``."""
    return f"{prefix}{os.getpid()}-{uuid.uuid4().hex}"


def _pid_of(name: str, prefix: str) -> int | None:
    head = name[len(prefix):].split("-", 1)[0]
    return int(head) if head.isdigit() and "-" in name[len(prefix):] else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


_HELD: set[str] = set()
"""Lock files this process holds. On NFS, flock is a POSIX lock, which belongs to the process:
a sweep in this process would take its own writer's lock, and closing it would drop it."""
_HELD_LOCK = threading.Lock()

_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}
"""flock's answers on a filesystem without locks (NFS without lockd, some FUSE mounts)."""


def lock_file(path: Path) -> Path:
    """The lock file a live writer of the staging folder ``path`` holds."""
    return path.with_name(path.name + LOCK_SUFFIX)


@contextlib.contextmanager
def claimed_staging(parent: Path, prefix: str) -> Iterator[Path]:
    """A fresh staging path in the existing folder ``parent``, held for the ``with`` block.

    The path is not created: the caller makes, fills and renames (or removes) it. Until the
    block ends, :func:`remove_stale` leaves it alone, even from another host, because it must
    hold the lock file first. On a filesystem without locks there is no lock file, and the
    pid in the name protects the folder as it did before locks (from this host only)."""
    path, lock, fd = _locked_name(parent, prefix)
    try:
        yield path
    finally:
        if fd is not None:
            lock.unlink(missing_ok=True)  # before the lock goes: a sweep then finds nothing
            os.close(fd)
        with _HELD_LOCK:
            _HELD.discard(str(lock))


def _locked_name(parent: Path, prefix: str) -> tuple[Path, Path, int | None]:
    """A fresh staging name, its lock file and the descriptor holding it (None: this
    filesystem has no locks, and there is no lock file)."""
    for _ in range(3):
        path = parent / staging_name(prefix)
        lock = lock_file(path)
        with _HELD_LOCK:  # before the lock exists: a sweep of this process never takes it
            _HELD.add(str(lock))
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError:
            with _HELD_LOCK:
                _HELD.discard(str(lock))
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # a sweep may hold it a moment to look: wait
            # a sweep whose clock runs a minute ahead could unlink the lone file before the
            # lock was taken; the lock is then on a file no one else can find: take another
            if lock.stat().st_ino == os.fstat(fd).st_ino:
                return path, lock, fd
        except FileNotFoundError:
            pass
        except OSError as err:
            os.close(fd)
            lock.unlink(missing_ok=True)
            if err.errno not in _NO_LOCKS:
                with _HELD_LOCK:
                    _HELD.discard(str(lock))
                raise
            return path, lock, None
        os.close(fd)
        with _HELD_LOCK:
            _HELD.discard(str(lock))
    raise StoreWriteError(f"could not lock a staging folder in {parent}: its lock files were "
                          "removed as they were made. Check that no other tool deletes files "
                          "starting with '.' there, and that the machines' clocks agree")


@contextlib.contextmanager
def _held(lock: Path) -> Iterator[bool]:
    """Whether no live writer holds ``lock`` (True also when there is no such file); while
    True, the lock is held, so no writer can come back to it."""
    with _HELD_LOCK:
        own = str(lock) in _HELD  # this process's own writer
    if own:
        yield False
        return
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        yield True
        return
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # BlockingIOError: a live writer has it
            yield False
            return
        yield True
    finally:
        os.close(fd)


def is_stale(path: Path, prefix: str, now: float | None = None) -> bool:
    """Whether the staging entry ``path`` was left by a process that is gone, judged by its
    age and the pid in its name (the caller has made sure no writer holds its lock file)."""
    try:
        age = (time.time() if now is None else now) - path.lstat().st_mtime
    except OSError:
        return False
    if lock_file(path).exists() or path.name.endswith(LOCK_SUFFIX):
        return age > DEAD_GRACE_S  # its lock is free: its writer is gone, on any host
    pid = _pid_of(path.name, prefix)
    if pid is None:
        return age > STALE_AFTER_S
    return age > DEAD_GRACE_S and not _alive(pid)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def remove_stale(folder: Path, prefix: str) -> list[Path]:
    """Remove the stale ``prefix*`` entries directly in ``folder`` (a staging folder with its
    lock file, or a lock file left alone); the ones removed."""
    removed: list[Path] = []
    try:
        entries = [p for p in folder.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return removed
    for p in entries:
        lone_lock = p.name.endswith(LOCK_SUFFIX)
        if lone_lock and p.with_name(p.name[:-len(LOCK_SUFFIX)]).exists():
            continue  # goes with its folder
        lock = p if lone_lock else lock_file(p)
        with _held(lock) as free:
            if free and is_stale(p, prefix):
                _remove(p)
                if not lone_lock:
                    lock.unlink(missing_ok=True)
                removed.append(p)
    return removed


def sweep_staging(config: LocalConfig) -> list[Path]:
    """Stale staging folders of model saves (``models/<name>/``), uploads (anywhere under
    ``datasets/``) and streamed new tables (``feature_store/``, ``stream_files``), removed;
    run when a project is opened."""
    removed: list[Path] = []
    removed += remove_stale(config.feature_store_dir, STAGING_PREFIX)
    if config.models_dir.is_dir():
        for name_dir in config.models_dir.iterdir():
            if name_dir.is_dir() and not name_dir.is_symlink():
                removed += remove_stale(name_dir, MODEL_STAGING_PREFIX)
    for dirpath, dirnames, _ in os.walk(config.datasets_dir):  # links are not followed
        removed += remove_stale(Path(dirpath), STAGING_PREFIX)
        dirnames[:] = [d for d in dirnames if not d.startswith(STAGING_PREFIX)]
    return removed


def sweep_temp_copies(model_names: list[str], older_than_s: float = 86400.0) -> list[Path]:
    """Temporary model copies (``<tmp>/mlsys-<model>-<version>-*``) of these models, older
    than a day and made by a process that is gone."""
    removed: list[Path] = []
    base = Path(tempfile.gettempdir())
    now = time.time()
    for name in model_names:
        for p in base.glob(f"{TEMP_COPY_PREFIX}{name}-*"):
            rest = p.name[len(TEMP_COPY_PREFIX) + len(name) + 1:].split("-")
            if len(rest) < 3 or not (rest[0].isdigit() and rest[1].isdigit()):
                continue  # another model's name that starts with this one, or not ours
            try:
                age = now - p.lstat().st_mtime
            except OSError:
                continue
            if p.is_dir() and not p.is_symlink() and age > older_than_s and not _alive(
                    int(rest[1])):
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
    return removed


# --------------------------------------------------------------------------------- gc


@dataclass(frozen=True)
class TableGc:
    """What ``gc`` did to one feature group's table."""

    table: str
    version_before: int
    files_compacted: int
    files_vacuumed: int
    kept_versions: tuple[int, ...]


@dataclass(frozen=True)
class GcResult:
    """Every table's outcome, and the stale staging folders and temporary copies removed."""

    tables: tuple[TableGc, ...]
    removed: tuple[str, ...]
    retention_hours: int

    def lines(self) -> list[str]:
        out = [f"{t.table}: {t.files_compacted} file(s) compacted, {t.files_vacuumed} "
               f"unreferenced file(s) removed (from version {t.version_before}; kept for "
               f"training datasets: {list(t.kept_versions) or 'none'})" for t in self.tables]
        out.append(f"time travel kept for {self.retention_hours} h; {len(self.removed)} stale "
                   "staging folder(s) or temporary model copies removed")
        return out


def recorded_versions(catalog: Catalog) -> dict[str, set[int]]:
    """Table key (``<fg>_<v>``) -> Delta versions recorded by training datasets."""
    out: dict[str, set[int]] = {}
    for r in catalog.views.dataset_reads():
        for key, version in r.table_versions.items():
            if version is not None:  # None: the group was empty, no version was read
                out.setdefault(str(key), set()).add(int(version))
    return out


def gc(config: LocalConfig, catalog: Catalog,
       retention_hours: int = DEFAULT_RETENTION_HOURS) -> GcResult:
    """Compact, checkpoint and vacuum every feature group's table (each under its writers'
    lock); remove stale staging folders and temporary model copies."""
    from deltalake import PostCommitHookProperties

    from mlsys.errors import InvalidArgumentError
    from mlsys.store.local import tables
    from mlsys.store.local.locks import file_lock
    from mlsys.store.local.maintenance import compact

    if isinstance(retention_hours, bool) or not isinstance(retention_hours, int) or \
            retention_hours < 0:
        raise InvalidArgumentError(
            f"retention_hours {retention_hours!r} must be a whole number of hours >= 0")
    # never let a post-commit hook drop expired log entries: recorded versions load by number
    hooks = PostCommitHookProperties(create_checkpoint=True, cleanup_expired_logs=False)
    keep = recorded_versions(catalog)
    done: list[TableGc] = []
    from mlsys.store.local.checksums import record_commits

    for r in catalog.groups.all():
        name, version = r.name, r.version
        path = config.table_dir(name, version)
        if not tables.exists(path):
            continue
        key = f"{name}_{version}"
        with file_lock(config.table_lock(name, version), config.lock_timeout_s,
                       f"feature group {name} v{version}"):
            table = tables.open_table(path)
            before = table.version()
            compacted, files_removed = compact(table, target_size=None)  # Delta's own target
            if compacted is not None:  # the compacted files are verified like any other
                record_commits(catalog, r.id, path, compacted)
            table.create_checkpoint()
            kept = sorted(v for v in keep.get(key, set()) if v <= before)
            vacuumed = table.vacuum(retention_hours=retention_hours, dry_run=False,
                                    enforce_retention_duration=False,
                                    keep_versions=kept or None,
                                    post_commithook_properties=hooks)
        done.append(TableGc(key, before, files_removed, len(vacuumed), tuple(kept)))
    removed = sweep_staging(config)
    from mlsys.store.local.deletes import finish_deletes

    removed += finish_deletes(config, catalog)  # deletes a killed process left half-done
    models = sorted({m.name for m in catalog.models.all()})
    removed += sweep_temp_copies(models)
    return GcResult(tuple(done), tuple(str(p) for p in removed), retention_hours)


__all__ = [
    "DEFAULT_RETENTION_HOURS",
    "LOCK_SUFFIX",
    "MODEL_STAGING_PREFIX",
    "GcResult",
    "TableGc",
    "claimed_staging",
    "gc",
    "is_stale",
    "lock_file",
    "remove_stale",
    "staging_name",
    "sweep_staging",
    "sweep_temp_copies",
]
