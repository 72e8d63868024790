"""A table's Delta log as a group's history: raw entries, the files a commit added, commits
summarised as hsfs's ``commit_details`` does, and the version current at a time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlsys.errors import InvalidArgumentError
from mlsys.store.api import TimeLike
from mlsys.store.local.tables import TablePath, exists, objects_of, open_table

OPTIMIZE = "OPTIMIZE"
"""The operation name of a compaction commit in the Delta log (``maintenance``; it changes no
rows, and Hopsworks lists no such commit)."""


def log_entry(path: TablePath, version: int) -> bytes:
    """The bytes of commit ``version``'s log entry; FileNotFoundError when it is gone."""
    return log_file(path, f"{version:020d}.json")


def log_file(path: TablePath, name: str) -> bytes:
    """The bytes of the file ``name`` in the table's ``_delta_log``; FileNotFoundError when
    there is none."""
    name = f"_delta_log/{name}"
    if isinstance(path, Path):
        return (path / name).read_bytes()
    found = objects_of(path).read(name)
    if found is None:
        raise FileNotFoundError(f"{path}/{name}")
    return found.data


def added_files(path: TablePath, version: int) -> list[str]:
    """The data files (relative paths) commit ``version`` added, from its log entry."""
    from urllib.parse import unquote

    out = []
    # one action per "\n"-ended line; not str.splitlines(), which also splits at U+2028, U+0085
    # and others that a string column's min/max statistics hold unescaped
    for line in log_entry(path, version).split(b"\n"):
        if line.strip():
            add = json.loads(line).get("add")
            if add:
                out.append(unquote(str(add["path"])))
    return out


def history(path: TablePath, limit: int | None = None) -> list[dict[str, Any]]:
    """Commit infos, newest first."""
    return open_table(path).history(limit)


def version_at(path: TablePath, when: datetime) -> int | None:
    """The newest version committed at or before ``when``; None if the table is younger.

    (deltalake's ``load_as_version(datetime)`` returns version 0 for times before the table
    existed, which would show rows that were not there yet, so the log is searched here.)
    """
    if not exists(path):
        return None
    cutoff_ms = int(when.astimezone(UTC).timestamp() * 1000)
    versions = [h["version"] for h in history(path) if int(h["timestamp"]) <= cutoff_ms]
    return max(versions) if versions else None


def commit_summary(info: dict[str, Any]) -> dict[str, Any]:
    """One history entry in the shape of hsfs's ``commit_details``."""
    op = str(info.get("operation", ""))
    metrics = info.get("operationMetrics") or {}
    mode = str((info.get("operationParameters") or {}).get("mode", ""))
    if "mlsys.operation" in info:  # an upsert written as an overwrite (see replace_keys)
        name = str(info["mlsys.operation"])
        ins, upd, dele = (info.get(f"mlsys.rows_{k}", 0) for k in ("inserted", "updated",
                                                                  "deleted"))
    elif op == "MERGE":
        name = "UPSERT"
        ins = metrics.get("num_target_rows_inserted", 0)
        upd = metrics.get("num_target_rows_updated", 0)
        dele = metrics.get("num_target_rows_deleted", 0)
    elif op == "WRITE":
        name = "OVERWRITE" if mode == "Overwrite" else "INSERT"
        ins, upd = metrics.get("num_added_rows", 0), 0
        dele = metrics.get("num_removed_rows", 0) if mode == "Overwrite" else 0
    else:
        name, ins, upd, dele = op, 0, 0, 0
    return {
        "committed_on": datetime.fromtimestamp(int(info["timestamp"]) / 1000, tz=UTC),
        "rows_inserted": int(ins),
        "rows_updated": int(upd),
        "rows_deleted": int(dele),
        "operation": name,
    }


def commit_details(path: TablePath, where: str, wallclock_time: TimeLike = None,
                   limit: int | None = None) -> dict[int, dict[str, Any]]:
    """hsfs's ``commit_details`` of the table at ``path`` (which must exist): version ->
    summary, newest first, compactions left out; at most ``limit`` of them, none committed
    after ``wallclock_time``. InvalidArgumentError for a ``limit`` that is not a count (checked
    first) or a time that is not one."""
    from mlsys.store.local.damage import reading_table
    from mlsys.store.rules.times import to_utc

    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 0):
        raise InvalidArgumentError(f"limit {limit!r} must be a whole number of commits >= 0 "
                                   "(or None for every commit)")
    cutoff = to_utc(wallclock_time, "wallclock_time")
    # without a cutoff only the newest entries of the log are needed: ``limit`` of them,
    # more when compactions are among them
    wanted = limit if cutoff is None else None
    while True:
        with reading_table(path, where):
            entries = history(path, wanted)
        out: dict[int, dict[str, Any]] = {}
        for info in entries:
            summary = commit_summary(info)
            committed: datetime = summary["committed_on"]
            if summary["operation"] == OPTIMIZE or (
                    cutoff is not None and committed > cutoff):
                continue
            out[int(info["version"])] = summary
            if limit is not None and len(out) >= limit:
                return out
        if not wanted or len(entries) < wanted:  # None: all was read; 0: none wanted
            return out
        wanted *= 2


__all__ = ["OPTIMIZE", "added_files", "commit_details", "commit_summary", "history", "log_entry",
           "log_file", "version_at"]
