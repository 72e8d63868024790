"""Arrow and Polars frames in and out of a group (issue 18): no pandas on either path."""

from __future__ import annotations

from typing import Any

from benchmarks.bench_store import insert_comparison
from benchmarks.context import Context, delta_path
from benchmarks.data import frame_bytes
from benchmarks.harness import BenchmarkError, Case, Figure, Goal, compare

RATIO_1_1 = Goal("ratio <= 1.1", "ratio_max", 1.1)


def bench_insert_arrow(ctx: Context) -> list[Figure]:
    """Insert the big frame as a ``pyarrow.Table`` into a new group vs ``write_deltalake`` of
    the same table."""
    import pyarrow as pa

    df = ctx.big_frame()
    table = pa.Table.from_pandas(df, preserve_index=False)  # outside the timing: the input
    m, b = insert_comparison(ctx, table, "insert_arrow")
    return [Figure("insert_arrow", f"insert {len(table):,} wine-shaped rows from a "
                   "pyarrow.Table, no suite", "s", RATIO_1_1, m, b,
                   "deltalake.write_deltalake (same Arrow table)", rows=len(table),
                   size_bytes=frame_bytes(df))]


def bench_read_arrow(ctx: Context) -> list[Figure]:
    """Read the big group as Arrow and as Polars vs ``DeltaTable.to_pyarrow_table()``."""
    from deltalake import DeltaTable

    fg = ctx.big_group()
    path = delta_path(fg)
    rows = DeltaTable(path).count()

    def check(frame: Any) -> None:
        if len(frame) != rows:
            raise BenchmarkError(f"read returned {len(frame)} rows, not {rows}")

    base = Case(lambda _a: check(DeltaTable(path).to_pyarrow_table()))
    figures = []
    for kind in ("pyarrow", "polars"):
        def read_as(_a: object, k: str = kind) -> None:
            check(fg.read(dataframe_type=k))

        read = Case(read_as)
        m, b = compare(read, base, ctx.reps(7), warmup=1)
        ctx.maybe_profile(f"read_{kind}", read)
        figures.append(Figure(f"read_{kind}", f"read a {rows:,}-row group with "
                              f"dataframe_type={kind!r}", "s", RATIO_1_1, m, b,
                              "DeltaTable(...).to_pyarrow_table()", rows=rows,
                              size_bytes=frame_bytes(ctx.big_frame())))
    return figures
