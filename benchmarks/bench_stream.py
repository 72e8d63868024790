"""Streamed inserts (issue 18 item 2): Parquet files into a group batch by batch, in a fresh
process each, against ``write_deltalake`` of a reader over the same files.

The default run streams 2M wine-shaped rows from 8 files (seconds); ``--full`` streams 100M rows
from 100 files (~11 GB as pandas; the files are written once per run, which takes minutes).
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.bench_models import subprocess_env
from benchmarks.context import python
from benchmarks.harness import BenchmarkError, Figure, Goal, Stats
from benchmarks.scaling import CHECKOUT, WORKER_TIMEOUT_S

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

    folder = ctx.dir(f"stream_{rows}")
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


def run_worker(op: str, home: Path, files: list[str]) -> dict[str, Any]:
    import json

    done = subprocess.run([python(), "-m", "benchmarks.stream_worker", op, str(home), *files],
                          capture_output=True, text=True, env=subprocess_env(), check=False,
                          timeout=WORKER_TIMEOUT_S, cwd=CHECKOUT)
    if done.returncode != 0:
        raise BenchmarkError(f"stream worker {op} failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


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
            result = run_worker(op, home, paths)
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
