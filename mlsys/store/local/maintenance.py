"""Table upkeep after a write: compaction of small files and checkpoints, at thresholds.

A daily feature group grows one small file and one log entry per insert. Reading the table
costs about a millisecond per file, and the log it replays grows with every commit
(measured: 1,000 one-row commits read in ~1.2 s, the same rows in one commit in ~5 ms), so the
insert that leaves :data:`COMPACT_AT` small files behind compacts them, and one that leaves
:data:`CHECKPOINT_EVERY` log entries after the last checkpoint writes one. Both run under the
group's write lock, after the insert's own commit and its bookkeeping.

Compaction adds a commit that changes no rows (Delta's ``dataChange: false``): every older
version stays loadable by number (nothing is vacuumed here; ``mlsys gc`` does that within its
retention window), so recorded training datasets read exactly what they read before. Only
files under :data:`TARGET_FILE_BYTES` are rewritten, so the cost of a compaction stays bounded
however large the group is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from mlsys.store.local.tables import TablePath

COMPACT_AT = 4
"""Small files a table may hold before an insert compacts them (reads of up to this many cost
at most ~1.5x a read of the same rows in one file)."""

TARGET_FILE_BYTES = 8 << 20
"""Compaction's target file size: files below it are merged towards it, larger ones are left
alone, so a compaction rewrites at most a few such files."""

DELTA_TARGET_FILE_BYTES = 100 << 20
"""Delta's own compaction target (``target_size=None``), which ``mlsys gc`` uses."""

CHECKPOINT_EVERY = 10
"""Log entries after the last checkpoint before an insert writes a new one (Delta's own
interval is 100, too many one-line commits to replay on every read)."""


@dataclass(frozen=True)
class Upkeep:
    """What :func:`upkeep` did to one table: the compaction's commit (None: none was due),
    the files it replaced, and whether a checkpoint was written."""

    compacted_version: int | None
    files_removed: int
    checkpointed: bool


def _file_sizes(table: DeltaTable) -> list[int]:
    return [int(size) for size in
            table.get_add_actions(flatten=True).column("size_bytes").to_pylist()]


def small_files(table: DeltaTable) -> int:
    """How many of the table's current files are under :data:`TARGET_FILE_BYTES`."""
    return sum(1 for size in _file_sizes(table) if size < TARGET_FILE_BYTES)


def compact(table: DeltaTable, target_size: int | None = TARGET_FILE_BYTES,
            ) -> tuple[int | None, int]:
    """Merge the table's files under ``target_size`` (None: Delta's default, 100 MiB); (the
    new version or None if nothing was merged, files removed). Expired log entries are never
    dropped: recorded versions load by number.

    Delta's compaction concatenates the files largest first, so the merged file holds the
    commits out of order and every read would sort it (a copy of every column: 7 ms of a
    100k-row read). When all the files together are under the target (a daily group's life
    until it reaches it), Delta's compaction would merge them all into one file; they are
    then rewritten into that one file sorted by ORDER instead (Delta's Z-order on that one
    column is a sort by it), at the same cost. Larger tables are compacted Delta's way (a
    Z-order would rewrite every file, however large).
    """
    from deltalake import PostCommitHookProperties

    from mlsys.store.local.tables import ORDER, writer_properties

    before = table.version()
    hooks = PostCommitHookProperties(create_checkpoint=True, cleanup_expired_logs=False)
    limit = target_size if target_size is not None else DELTA_TARGET_FILE_BYTES
    sizes = _file_sizes(table)
    # one file has nothing to merge (Delta's compaction leaves it; a Z-order would rewrite it)
    if len(sizes) > 1 and sum(sizes) < limit and ORDER in [
            f.name for f in table.schema().fields]:
        metrics = table.optimize.z_order([ORDER], target_size=target_size,
                                         writer_properties=writer_properties(),
                                         post_commithook_properties=hooks)
    else:
        metrics = table.optimize.compact(target_size=target_size,
                                         writer_properties=writer_properties(),
                                         post_commithook_properties=hooks)
    after = table.version()  # the table object follows its own commit
    return (after if after != before else None), int(metrics.get("numFilesRemoved", 0))


def last_checkpoint(path: TablePath) -> int | None:
    """The version of the table's newest checkpoint (None: it has none)."""
    try:
        from mlsys.store.local.table_log import log_file

        return int(json.loads(log_file(path, "_last_checkpoint"))["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def upkeep(path: TablePath, version: int, table: DeltaTable | None = None) -> Upkeep:
    """Compact and checkpoint the table at ``path`` (whose latest version is ``version``;
    ``table``, when given, open at it) where the thresholds say so; the caller holds the
    table's write lock."""
    from mlsys.store.local import tables

    if table is None or table.version() != version:
        table = tables.open_table(path, version)
    compacted, removed = (None, 0)
    if small_files(table) >= COMPACT_AT:
        compacted, removed = compact(table)
    previous = last_checkpoint(path)
    due = table.version() - (-1 if previous is None else previous) >= CHECKPOINT_EVERY
    if due:
        table.create_checkpoint()
    return Upkeep(compacted, removed, due)


__all__ = ["CHECKPOINT_EVERY", "COMPACT_AT", "TARGET_FILE_BYTES", "Upkeep",
           "compact", "last_checkpoint", "small_files", "upkeep"]
