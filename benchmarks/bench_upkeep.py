"""Reading a group grown one commit a day (issue 18 item 3), with and without upkeep.

Three groups hold the same rows: one written in one commit (the baseline) and two grown by
``DAYS`` appends of one day's rows each, with the hidden ORDER column exactly as an insert of new
keys writes it. After each append one of them gets the upkeep an insert does
(``maintenance.upkeep``: compaction and checkpoints at their thresholds); the other gets none,
as a table of an older mlsys or of another Delta writer. Appending instead of 1,000 MERGEs
keeps the build to seconds (1,000 real ``fg.insert`` calls took 637 s here, with the same
figure); building is never timed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.harness import BenchmarkError, Case, Figure, Goal, compare

if TYPE_CHECKING:
    from benchmarks.context import Context

DAYS, TINY_DAYS = 1_000, 12
ROWS_PER_DAY = 100
RATIO_1_5 = Goal("ratio <= 1.5", "ratio_max", 1.5)


def days_for(ctx: Context) -> int:
    """1,000 days from ``--scale 0.1`` up (the issue's size), fewer below (tiny test runs)."""
    return DAYS if ctx.scale >= 0.1 else max(TINY_DAYS, round(DAYS * ctx.scale * 10))


def bench_daily_read(ctx: Context) -> list[Figure]:
    import pyarrow as pa
    from deltalake import write_deltalake

    from benchmarks.context import delta_path
    from benchmarks.data import wine_rows
    from mlsys.store.local import maintenance, tables

    days = days_for(ctx)
    df = wine_rows(days * ROWS_PER_DAY, seed=3)
    one = ctx.new_group("daily_one_commit", df)
    grown = []
    for name, upkeep in (("daily_upkept", True), ("daily_no_upkeep", False)):
        fg = ctx.new_group(name, df.iloc[:ROWS_PER_DAY])
        path = delta_path(fg)
        schema = tables.schema(path)
        version = 0  # the first insert's
        for start in range(ROWS_PER_DAY, len(df), ROWS_PER_DAY):
            day = pa.Table.from_pandas(df.iloc[start:start + ROWS_PER_DAY],
                                       preserve_index=False)
            version += 1
            write_deltalake(path, tables.with_order(day.select(schema.names).cast(schema),
                                                    version), mode="append")
            if upkeep:
                done = maintenance.upkeep(Path(path), version)
                version = done.compacted_version or version
        grown.append(fg)
    daily, bare = grown
    for fg in (one, daily, bare):
        if len(fg.read()) != len(df):
            raise BenchmarkError(f"{fg.name} holds {len(fg.read())} rows, not {len(df)}")
    if len(daily.commit_details()) != days:
        raise BenchmarkError(f"the daily group lists {len(daily.commit_details())} commits")

    base = Case(lambda _a: one.read())
    upkept, base_a = compare(Case(lambda _a: daily.read()), base, ctx.reps(15), warmup=2)
    raw, base_b = compare(Case(lambda _a: bare.read()), base, ctx.reps(5), warmup=1)
    what = f"{len(df):,} rows over {days:,} daily commits"
    without = {"commits": days, "uncompacted_s": raw.median,
               "uncompacted_ratio": raw.median / base_b.median if base_b.median > 0 else None}
    return [Figure("read_daily_commits", f"fg.read() of {what}, compacted and checkpointed on "
                   "insert (extra: the same without upkeep, one file per day)", "s", RATIO_1_5,
                   upkept, base_a, "fg.read() of the same rows in one commit", rows=len(df),
                   extra=without)]
