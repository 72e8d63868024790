"""The sha256 of every data file a table's commits added, recorded in the catalog at commit.

Delta's log says which files make up a version but not what they held; a flipped byte in a
parquet file changes what ``read()`` returns without any error. Each insert (and ``gc``'s
compaction) therefore records the size and sha256 of the files its commit added, with the
table's identity, and ``mlsys verify`` compares the files against them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsys.store.local import table_log, tables
from mlsys.store.local.catalog.records import TableFileRecord
from mlsys.store.local.tables import file_sha256

if TYPE_CHECKING:
    from mlsys.store.local.catalog import Catalog

def record_commits(catalog: Catalog, group_id: int, path: tables.TablePath,
                   version: int, table: tables.DeltaTable | None = None) -> None:
    """Record the files of commit ``version`` and of any earlier commit whose writer died
    before recording its own (since the newest recorded one), and the table's identity.

    A table written before files were recorded starts being recorded at ``version``: its older
    files are reported by ``verify`` as unrecorded, not as damaged.
    """
    newest = catalog.table_files.newest_commit(group_id)
    first = version if newest is None else newest + 1
    rows = []
    for v in range(first, version + 1):
        try:
            added = table_log.added_files(path, v)
        except OSError:  # a commit file gone (not ours to judge here; verify reports it)
            continue
        for rel in added:
            digest = tables.file_digest(path, rel)
            if digest is not None:
                rows.append(TableFileRecord(rel, v, *digest))
    if table is None or table.version() != version:  # given: the writer's own, at version
        table = tables.open_table(path, version)
    ident = tables.table_id(table)
    catalog.table_files.record(group_id, rows, ident)


def recorded_files(catalog: Catalog, group_id: int) -> dict[str, tuple[int, int, str]]:
    """path -> (commit version, size, sha256) of a group's recorded files."""
    return {r.path: (r.commit_version, r.size, r.sha256)
            for r in catalog.table_files.of_group(group_id)}


__all__ = ["file_sha256", "record_commits", "recorded_files"]
