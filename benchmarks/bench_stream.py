"""Streaming inserts and reads (issue 18 item 2): Parquet files into a group batch by batch, in
a fresh process each, against ``write_deltalake`` of a reader over the same files; and training
data of one month of a year-long group against a deltalake scan with the same filter.

The default run streams 2M wine-shaped rows from 8 files (seconds); ``--full`` streams 100M rows
from 100 files (~11 GB as pandas; the files are written once per run, which takes minutes).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.context import delta_path, run_worker
from benchmarks.harness import BenchmarkError, Figure, Goal, Stats

if TYPE_CHECKING:
    from benchmarks.context import Context

DEFAULT = (2_000_000, 8)  # rows, files
FULL = (100_000_000, 100)
RATIO_1_3 = Goal("ratio <= 1.3", "ratio_max", 1.3)
PEAK_2GB = Goal("peak memory need <= 2 GB", "value_max", 2000.0)


def write_files(ctx: Context, rows: int, files: int) -> list[str]:
    """``rows`` wine-shaped rows in ``files`` Parquet files, event times rising across them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from benchmarks.data import wine_rows
    from mlsys.systems.base import REFERENCE_TIME

    folder = ctx.root / f"stream_{rows}"  # kept for the run: read_window --full reuses them
    folder.mkdir(parents=True, exist_ok=True)
    each = max(1, rows // files)
    paths = []
    for i in range(files):
        n = each if i < files - 1 else rows - each * (files - 1)
        path = Path(folder) / f"part-{i:04d}.parquet"
        if not path.exists():
            start = REFERENCE_TIME + timedelta(days=1, seconds=i * each)
            df = wine_rows(n, seed=i, start=start)
            pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
        paths.append(str(path))
    return paths


def bench_insert_stream(ctx: Context) -> list[Figure]:
    rows, files = FULL if ctx.full else DEFAULT
    rows = ctx.sizes.rows(rows)
    files = max(2, min(files, rows // 1000))
    paths = write_files(ctx, rows, files)
    home = Path(ctx.dir("stream_home"))
    runs: dict[str, list[dict[str, Any]]] = {"mlsys_stream": [], "delta_stream": []}
    for rep in range(ctx.reps(3 if not ctx.full else 1)):
        order = list(runs) if rep % 2 == 0 else list(reversed(runs))
        for op in order:
            result = run_worker("stream_worker", op, str(home), *paths)
            if result["rows"] != rows or result["commits"] != 1:
                raise BenchmarkError(f"{op} wrote {result['rows']} rows in "
                                     f"{result['commits']} commits, not {rows} in one")
            runs[op].append(result)

    def stats(op: str, key: str) -> Stats:
        return Stats.of([float(r[key]) for r in runs[op]])

    what = f"{rows:,} wine-shaped rows from {files} Parquet files"
    base = "deltalake.write_deltalake of a RecordBatchReader over the same files"
    extra = {op: [{k: r[k] for k in ("seconds", "need_bytes", "peak")} for r in rs]
             for op, rs in runs.items()}
    return [
        Figure("insert_stream", f"insert {what}, streamed in one commit", "s", RATIO_1_3,
               stats("mlsys_stream", "seconds"), stats("delta_stream", "seconds"), base,
               rows=rows, extra=extra),
        Figure("insert_stream_memory", f"insert {what}: peak RSS need in a fresh process",
               "MB", PEAK_2GB, stats("mlsys_stream", "need_bytes"),
               stats("delta_stream", "need_bytes"), base, rows=rows),
    ]


MONTHS = 12


def bench_read_window(ctx: Context) -> list[Figure]:
    """Training data of one month of a year-long group (12 monthly commits) vs a deltalake scan
    with the same event-time filter; the whole group's read is kept for context. With
    ``--full``: one month of the 100M-row group ``insert_stream`` streams (one commit, event
    times one second apart: a month is about 2.6M of its rows)."""
    import pandas as pd
    from deltalake import DeltaTable

    from benchmarks.data import wine_rows
    from benchmarks.harness import Case, compare
    from mlsys.store.local.tables import time_window
    from mlsys.systems.base import REFERENCE_TIME
    from mlsys.systems.wine import data as wine

    t0 = pd.Timestamp(REFERENCE_TIME).tz_convert("UTC").normalize() + pd.Timedelta(days=1)
    starts = [t0 + pd.DateOffset(months=m) for m in range(MONTHS + 1)]
    if ctx.full:
        rows, files = FULL
        rows = ctx.sizes.rows(rows)
        fg = ctx.new_group("wine_years")
        fg.insert(write_files(ctx, rows, max(2, min(files, rows // 1000))))  # untimed
        commits = 1
    else:
        rows = ctx.sizes.rows(1_000_000)
        each = max(1, rows // MONTHS)
        fg = ctx.new_group("wine_year")
        for m in range(MONTHS):  # one commit (one file) per month, event times inside it
            step = max(1, int((starts[m + 1] - starts[m]).total_seconds()) // each)
            fg.insert(wine_rows(each, seed=m, start=starts[m], step_s=step))
        rows, commits = MONTHS * each, MONTHS
    fs = ctx.project.get_feature_store()
    fv = fs.get_or_create_feature_view(fg.name, 1, fg.select_all(), labels=[wine.LABEL])
    lo, hi = starts[5], starts[6]
    path = delta_path(fg)
    window = time_window(wine.EVENT_TIME, lo, hi)
    each = DeltaTable(path).to_pyarrow_dataset().filter(window).count_rows()  # whole-µs bounds

    def check(n: int) -> None:
        if n != each:
            raise BenchmarkError(f"the month's read returned {n} rows, not {each}")

    def run_mlsys(_a: Any) -> None:
        x, _y = fv.training_data(start_time=lo, end_time=hi)
        check(len(x))

    def run_delta(_a: Any) -> None:
        check(len(DeltaTable(path).to_pandas(filters=window)))

    mine, base = compare(Case(run_mlsys), Case(run_delta), ctx.reps(5), warmup=1)
    extra: dict[str, Any] = {}
    if not ctx.full:  # 100M rows as pandas (~12 GB) is what the windowed read avoids
        whole, _ = compare(Case(lambda _a: DeltaTable(path).to_pandas()), None, ctx.reps(3))
        extra["delta_whole_group_s"] = whole.median
    return [Figure("read_window", f"training data of one month ({each:,} rows) of a "
                   f"{rows:,}-row group ({commits} commits)", "s", RATIO_1_3, mine, base,
                   "DeltaTable.to_pandas(filters=the same event-time window)", rows=each,
                   extra=extra)]
