"""Crash-safe deletion of a feature group, and the views that would break without it.

A delete first moves everything of the group (its table folder, its online files) into one
aside folder ``feature_store/<fg>_<v>.deleting-<id>-<token>``, then drops the catalog row (one
transaction; reports and recorded file hashes go with it), then removes the aside folder. A
process killed at any step leaves either the whole group, or an aside folder that the next
open finishes: if the group's row is still there (same id and creation time, named by
``token``), the remaining steps are done; otherwise the folder is removed.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsys.errors import InUseError
from mlsys.store.local.locks import file_lock

if TYPE_CHECKING:
    from mlsys.store.local.catalog import Catalog
    from mlsys.store.local.catalog.records import GroupRecord
    from mlsys.store.local.config import LocalConfig

MARK = ".deleting-"


def _token(created: str) -> str:
    return hashlib.sha256(created.encode()).hexdigest()[:12]


def aside_path(config: LocalConfig, name: str, version: int, group_id: int,
               created: str) -> Path:
    return config.feature_store_dir / f"{name}_{version}{MARK}{group_id}-{_token(created)}"


def _groups_of(spec: dict[str, Any]) -> set[tuple[str, int]]:
    name, version = spec["feature_group"]
    out = {(str(name), int(version))}
    for j in spec.get("joins", []):
        out |= _groups_of(j["query"])
    return out


def views_using(catalog: Catalog, name: str, version: int) -> list[str]:
    """``<view> v<n>`` of every feature view whose query reads group ``name`` v``version``."""
    return [f"{r.name} v{r.version}" for r in catalog.views.all()
            if (name, version) in _groups_of(r.query)]


def _steps(config: LocalConfig, catalog: Catalog, row: GroupRecord, aside: Path) -> None:
    """Move the group's files into ``aside``, drop its row, remove ``aside`` (idempotent)."""
    name, version = row.name, row.version
    aside.mkdir(exist_ok=True)
    table = config.table_dir(name, version)
    if isinstance(table, str):  # in a bucket: no rename; the objects go before the row does
        from mlsys.store.local.bucket import remove_all

        remove_all(table)
    elif table.exists():
        table.rename(aside / "table")
    online = config.online_path(name, version)
    for p in (online, Path(f"{online}-wal"), Path(f"{online}-shm")):
        if p.exists():
            p.rename(aside / p.name)
    catalog.groups.delete(row.id)  # the commit point: from here on the group is gone
    shutil.rmtree(aside, ignore_errors=True)


def delete_group(config: LocalConfig, catalog: Catalog, group_id: int, force: bool) -> None:
    """Delete the group of catalog row ``group_id`` (see the module doc); a group read by
    feature views is refused unless ``force``. A group already deleted is a no-op."""
    row = catalog.groups.by_id(group_id)
    if row is None:
        return
    name, version = row.name, row.version
    lock = config.table_lock(name, version)
    with file_lock(lock, config.lock_timeout_s, f"feature group {name} v{version}"):
        row = catalog.groups.by_id(group_id)
        if row is None:
            return
        users = views_using(catalog, name, version)
        if users and not force:
            raise InUseError(
                f"feature group {name} v{version} is read by feature view(s) "
                f"{', '.join(users)}; delete them first (fv.delete(), which drops their "
                "training datasets), or call fg.delete(force=True) to delete the group anyway "
                "(those views and their training datasets then fail to read)")
        _steps(config, catalog, row, aside_path(config, name, version, group_id, row.created))
    lock.unlink(missing_ok=True)


def finish_deletes(config: LocalConfig, catalog: Catalog) -> list[Path]:
    """Finish the deletes a killed process left half-done (see the module doc); the aside
    folders handled."""
    try:
        entries = [p for p in config.feature_store_dir.iterdir() if MARK in p.name]
    except OSError:
        return []
    done = []
    for aside in entries:
        head = aside.name.rsplit(MARK, 1)[1]
        ident, _, token = head.partition("-")
        row = catalog.groups.by_id(int(ident)) if ident.isdigit() else None
        if row is not None and _token(row.created) == token:
            name, version = row.name, row.version
            lock = config.table_lock(name, version)
            with file_lock(lock, config.lock_timeout_s, f"feature group {name} v{version}"):
                again = catalog.groups.by_id(int(ident))
                if again is not None and _token(again.created) == token:
                    _steps(config, catalog, again, aside)
            lock.unlink(missing_ok=True)
        shutil.rmtree(aside, ignore_errors=True)  # the row is gone: only leftovers remain
        done.append(aside)
    return done


__all__ = ["aside_path", "delete_group", "finish_deletes", "views_using"]
