"""One page of a table's rows at a version, found from the Delta log without reading the rest."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pyarrow as pa
from deltalake import DeltaTable

from mlsys.store.local.tables import ORDER, TablePath, open_table, read


def read_page(path: TablePath, version: int | None, offset: int, limit: int,
              ) -> tuple[pd.DataFrame, int, int]:
    """Rows ``offset`` to ``offset + limit`` of :func:`read` at ``version`` (None: the
    latest), the table's row count and the version read, without reading the whole table.

    The Delta log records each file's row count and ORDER range, so the files that can hold
    the page are found without opening any: files whose ORDER ranges overlap form one run (an
    upsert's rewritten file can span many commits), runs are disjoint, and the page's positions
    fall in a few consecutive runs. Only those files are read, then sorted by ORDER and sliced.
    A table without the ORDER column or its statistics is read in full and sliced.
    """
    import pyarrow.dataset as pads

    table = open_table(path, version)
    full_schema = pa.schema(table.schema().to_arrow())
    visible = [f.name for f in full_schema if f.name != ORDER]
    runs = _order_runs(table)
    if runs is None:  # an old table, or files without statistics
        full = read(path, table.version())
        return full.iloc[offset:offset + limit].reset_index(drop=True), len(full), table.version()
    total = sum(n for _, n in runs)
    end = min(total, offset + limit)
    if offset >= end:
        return full_schema.empty_table().select(visible).to_pandas(), total, table.version()
    wanted: list[str] = []
    start = before = 0
    for files, n in runs:
        if start + n > offset and start < end:
            if not wanted:
                before = start
            wanted.extend(files)
        start += n
    # the page's files only (the log's paths are relative and percent-encoded); building
    # deltalake's dataset of every file would cost more than reading these
    if isinstance(path, Path):
        rows = pads.dataset([str(path / unquote(f)) for f in wanted], schema=full_schema,
                            format="parquet").to_table()
    else:  # in a bucket: the fragments of delta-rs's own dataset, through its file system
        whole = table.to_pyarrow_dataset()
        keep = {unquote(f) for f in wanted}
        fragments = [f for f in whole.get_fragments() if _relative(f.path, path) in keep]
        rows = pads.FileSystemDataset(fragments, whole.schema, whole.format,
                                      whole.filesystem).to_table().select(full_schema.names)
    import pyarrow.compute as pc

    # only the page's rows are gathered: the sort is of the ORDER column alone
    page = pc.sort_indices(rows.column(ORDER))[offset - before:end - before]
    return rows.select(visible).take(page).to_pandas(), total, table.version()


def _relative(fragment_path: str, url: str) -> str:
    """A fragment's path relative to the table at ``url`` (delta-rs names them from the
    bucket or from the table root)."""
    root = url.removeprefix("s3://").split("/", 1)[-1].rstrip("/") + "/"
    tail = fragment_path.split("://", 1)[-1]
    for start in (url.removeprefix("s3://").rstrip("/") + "/", root):
        if tail.startswith(start):
            return tail[len(start):]
    return tail


def _order_runs(table: DeltaTable) -> list[tuple[list[str], int]] | None:
    """The table's files grouped into runs of overlapping ORDER ranges, in ORDER, each with
    its row count; None when a file lacks the statistics (or the table the column)."""
    adds = table.get_add_actions(flatten=True)
    names = adds.schema.names
    lo_col, hi_col = f"min.{ORDER}", f"max.{ORDER}"
    if lo_col not in names or hi_col not in names:
        return None
    files = list(zip(adds.column("path").to_pylist(), adds.column("num_records").to_pylist(),
                     adds.column(lo_col).to_pylist(), adds.column(hi_col).to_pylist(),
                     strict=True))
    if any(n is None or lo is None or hi is None for _, n, lo, hi in files):
        return None
    runs: list[tuple[list[str], int]] = []
    top = None
    for file, n, lo, hi in sorted(files, key=lambda f: f[2]):
        if top is not None and lo <= top:  # overlaps the run so far: joins it
            runs[-1][0].append(file)
            runs[-1] = (runs[-1][0], runs[-1][1] + int(n))
            top = max(top, hi)
        else:
            runs.append(([file], int(n)))
            top = hi
    return runs


__all__ = ["read_page"]
