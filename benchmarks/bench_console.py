"""``mlsys ui`` page latency on a large, long-lived group, against bare Delta reads of the same.

The group holds ``sizes.big`` rows (1M at ``--scale 1``) over ``COMMITS`` commits (100 by
default from ``--scale 0.01`` up, at least 10 below; 1,000, the issue's size, with ``--full`` or
``--only console`` at scale 1). The first
commit is an ``insert`` through mlsys; the later ones, each a slice of new rows, are appended to
the same Delta table with the hidden ORDER column exactly as an insert of new keys writes it,
each followed by the upkeep every insert runs (``maintenance.upkeep``: compaction and
checkpoints where due), so building 1,000 commits takes a minute instead of 1,000 MERGEs (set-up
is never timed). Pages are
requested in-process through Starlette's TestClient, so a figure is the app and the store, not
the network.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.context import delta_path
from benchmarks.harness import BenchmarkError, Case, Figure, Goal, Stats, compare
from benchmarks.harness import interleaved_latencies as _latencies

if TYPE_CHECKING:
    from benchmarks.context import Context
    from mlsys.store.api import FeatureGroup

COMMITS, FULL_COMMITS = 100, 1_000
PAGE = 50  # rows per page, as the console shows them
SECOND = Goal("p99 <= 1000 ms (issue 19: no page over a second)", "value_max", 1000.0)
SECOND_MEDIAN = Goal("median <= 1000 ms (issue 19: no page over a second)", "value_max", 1000.0)


def commits_for(ctx: Context) -> int:
    full = ctx.full or (ctx.scale >= 1 and "console" in ctx.only)
    wanted = FULL_COMMITS if full else max(10, round(COMMITS * min(1.0, ctx.scale * 100)))
    big = ctx.sizes.big
    return min(wanted, 1 + big - big // 2)  # at least one row per commit


def _long_lived_group(ctx: Context, commits: int) -> FeatureGroup:
    """The big frame as a group of ``commits`` commits (see the module doc)."""
    import pyarrow as pa
    from deltalake import write_deltalake

    from mlsys.store.local import maintenance, tables

    df = ctx.big_frame()
    first = len(df) // 2  # the backfill; the other half arrives commit by commit
    fg = ctx.new_group("console_big", df.iloc[:first])
    path = delta_path(fg)
    schema = tables.schema(Path(path))
    rest = df.iloc[first:]
    bounds = [first + len(rest) * i // (commits - 1) for i in range(commits)]
    version = tables.open_table(Path(path)).version()
    for start, stop in itertools.pairwise(bounds):
        version += 1
        chunk = pa.Table.from_pandas(df.iloc[start:stop], preserve_index=False)
        write_deltalake(path, tables.with_order(chunk.select(schema.names).cast(schema),
                                                version), mode="append")
        # what every insert does after its commit (compaction, checkpoints where due), or
        # the table would be one no mlsys group becomes: a thousand small files, no checkpoint
        done = maintenance.upkeep(Path(path), version)
        if done.compacted_version is not None:
            version = done.compacted_version
    got = len(fg.commit_details())
    if got != commits:
        raise BenchmarkError(f"the console group has {got} commits, not {commits}")
    return fg


def _page_rows(html: str) -> int:
    table = html.split('id="data"', 1)[1].split("</table>", 1)[0]
    return table.count("<tr>") - 1  # minus the header


def bench_console(ctx: Context) -> list[Figure]:
    import pyarrow as pa
    from deltalake import DeltaTable
    from starlette.testclient import TestClient

    from mlsys.console import build_console

    commits = commits_for(ctx)
    fg = _long_lived_group(ctx, commits)
    path = delta_path(fg)
    rows = DeltaTable(path).count()
    pages = rows // PAGE
    middle = sorted(fg.commit_details())[commits // 2]  # a commit of rows (not a compaction)
    old_rows = DeltaTable(path, version=middle).count()
    samples = ctx.sizes.samples(40)
    client = TestClient(build_console(ctx.project))
    spread = [(i * 7919) % pages for i in range(samples)]  # pages all over the group
    figures = []

    def page(p: int, commit: int | None = None) -> None:
        query = f"?page={p}" + (f"&commit={commit}" if commit is not None else "")
        r = client.get(f"/groups/console_big/1{query}")
        if r.status_code != 200 or _page_rows(r.text) != PAGE:
            raise BenchmarkError(f"page {p} answered {r.status_code}: {r.text[:300]}")

    def delta_page(p: int, version: int | None = None) -> None:
        data = DeltaTable(path, version=version).to_pyarrow_dataset()
        got = data.take(pa.array(range(p * PAGE, (p + 1) * PAGE))).to_pandas()
        if len(got) != PAGE:
            raise BenchmarkError(f"the baseline read {len(got)} rows, not {PAGE}")

    m, b = _latencies(page, delta_page, spread, warmup=5)
    figures.append(Figure(
        "console_group_page", f"GET a group page (50 of {rows:,} rows, {commits:,} commits)",
        "ms", SECOND, Stats.of(m), Stats.of(b),
        "DeltaTable(...).to_pyarrow_dataset().take(page)", statistic="p99", rows=rows,
        extra={"commits": commits}))

    old_pages = [(i * 7919) % (old_rows // PAGE) for i in range(samples)]
    m, b = _latencies(lambda p: page(p, middle), lambda p: delta_page(p, middle), old_pages,
                      warmup=5)
    figures.append(Figure(
        "console_time_travel", f"GET a page of commit {middle} ({old_rows:,} rows then)", "ms",
        SECOND, Stats.of(m), Stats.of(b), "DeltaTable(..., version).to_pyarrow_dataset()"
        ".take(page)", statistic="p99", rows=old_rows, extra={"commits": commits}))

    def groups(_: Any) -> None:
        if client.get("/groups").status_code != 200:
            raise BenchmarkError("/groups failed")

    def delta_groups(_: Any) -> None:
        table = DeltaTable(path)
        table.history(1)
        table.count()

    m, b = _latencies(groups, delta_groups, list(range(max(10, samples // 4))), warmup=3)
    figures.append(Figure(
        "console_groups_list", "GET the feature-group list", "ms", SECOND, Stats.of(m),
        Stats.of(b), "DeltaTable(...): history(1) and count()", statistic="p99", rows=rows,
        extra={"commits": commits}))

    # statistics need every row: the first request of a commit computes them (then cached)
    def stats(fresh: TestClient) -> None:
        if fresh.get("/groups/console_big/1/stats").status_code != 200:
            raise BenchmarkError("the statistics page failed")

    def delta_stats(_: Any) -> None:
        DeltaTable(path).to_pandas().describe(include="all")

    m_stats, b_stats = compare(Case(stats, lambda _i: TestClient(build_console(ctx.project))),
                               Case(delta_stats), ctx.reps(3), warmup=1)
    figures.append(Figure(
        "console_stats_page", f"GET a group's statistics, uncached ({rows:,} rows)", "ms",
        SECOND_MEDIAN, m_stats, b_stats, "DeltaTable(...).to_pandas().describe()", rows=rows,
        extra={"commits": commits}))
    client.close()
    return figures
