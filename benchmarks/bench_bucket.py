"""The store in an S3 bucket (moto's server) and a folder: insert, upsert, read, online refresh."""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.bench_online import KEY, online_group, sqlite_bulk_insert, with_wine_id
from benchmarks.bench_store import RATIO_1_5, insert_comparison, upsert_comparison
from benchmarks.context import delta_path, table_options
from benchmarks.data import frame_bytes, wine_rows
from benchmarks.harness import BenchmarkError, Case, Figure, Stats, compare

if TYPE_CHECKING:
    import sqlite3

    import pandas as pd

    from benchmarks.context import Context
    from mlsys.store.api import FeatureGroup, FeatureView, Project

BUCKET_ROWS = 100_000  # at --scale 1: moto keeps every object in its memory and is no AWS S3
WHERE = {"folder": "a local folder", "bucket": "an S3 bucket (moto's server on 127.0.0.1)"}


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` set in this process's environment inside the block, then as they were."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class Side:
    """Where one store lives (``home``: a folder or an ``s3://`` URL), where its baselines'
    tables go, and a scratch folder for each of its projects' cache (``MLSYS_CACHE``)."""

    name: str  # "folder" or "bucket": the figures' prefix
    home: Path | str
    tables: str
    scratch: Path
    projects: list[Project] = field(default_factory=list)

    def login(self, cache: str) -> Project:
        """A new project on this store, as a machine with an empty cache folder opens it."""
        import mlsys

        with environment({"MLSYS_CACHE": str(self.scratch / cache)}):
            project = mlsys.login(backend="local", home=self.home)
        self.projects.append(project)
        return project

    @property
    def writer(self) -> Project:
        """The pipelines' project, which writes every group of this benchmark."""
        return self.projects[0] if self.projects else self.login("writer")

    def close(self) -> None:
        for project in self.projects:
            project.close()
        self.projects.clear()


Run = tuple[Stats, Stats, dict[str, float]]  # mlsys, baseline, the figure's extra


def _pair(name: str, path: str, runs: dict[str, Run], baseline_name: str,
          **figure: Any) -> list[Figure]:
    """The folder and bucket figures of one path; the bucket's ``extra`` has its cost over
    the folder's, for mlsys and for the baseline."""
    (fm, fb, _), (bm, bb, _) = runs["folder"], runs["bucket"]
    over = {"folder_s": fm.median, "bucket_over_folder": bm.median / fm.median,
            "baseline_bucket_over_folder": bb.median / fb.median}
    return [Figure(f"{side}_{name}", f"{path} in {WHERE[side]}", "s", RATIO_1_5, m, b,
                   f"{baseline_name} to the same {side}",
                   extra={**extra, **(over if side == "bucket" else {})}, **figure)
            for side, (m, b, extra) in runs.items()]


def _read_comparison(ctx: Context, fg: FeatureGroup, name: str) -> Run:
    """``fg.read()`` vs ``DeltaTable.to_pandas()`` of its table, and (in the dict) the same
    as Arrow: ``fg.read(dataframe_type="pyarrow")`` vs ``DeltaTable.to_pyarrow_table()``."""
    from deltalake import DeltaTable

    path = delta_path(fg)
    options = table_options(path)
    rows = DeltaTable(path, storage_options=options).count()

    def check(frame: Any) -> None:
        if len(frame) != rows:
            raise BenchmarkError(f"{name} returned {len(frame)} rows, not {rows}")

    read = Case(lambda _a: check(fg.read()))
    m, b = compare(read, Case(lambda _a: check(DeltaTable(path, storage_options=options)
                                               .to_pandas())), ctx.reps(7), warmup=1)
    ctx.maybe_profile(name, read)
    am, ab = compare(Case(lambda _a: check(fg.read(dataframe_type="pyarrow"))),
                     Case(lambda _a: check(DeltaTable(path, storage_options=options)
                                           .to_pyarrow_table())), ctx.reps(7))
    return m, b, {"read_pyarrow_s": am.median, "to_pyarrow_table_s": ab.median,
                  "pyarrow_ratio": am.median / ab.median}


def _refresh_comparison(ctx: Context, side: Side, df: pd.DataFrame, name: str) -> Run:
    """A serving machine's first ``fv.init_serving()``: a new project with an empty cache
    folder (a folder store: its online store removed) builds the online store from the offline
    table, vs ``DeltaTable.to_pyarrow_table()`` of the same table + the SQLite bulk insert of
    the online benchmarks. The project's login and ``get_feature_view`` are not timed (their
    median is in the dict, with the baseline's Delta read alone)."""
    from deltalake import DeltaTable

    from mlsys.systems.wine import data as wine

    fg = online_group(ctx, name, project=side.writer)
    fg.insert(df)
    side.writer.get_feature_store().get_or_create_feature_view(
        name, 1, query=fg.select([*wine.FEATURES, wine.LABEL]), labels=[wine.LABEL])
    path = delta_path(fg)
    options = table_options(path)
    side.close()  # the pipelines are done; serving machines come up
    n = itertools.count()
    logins: list[float] = []
    reads: list[float] = []
    conns: list[sqlite3.Connection] = []
    columns = [str(c) for c in df.columns]
    probe = [0, len(df) // 2, len(df) - 1]
    expected = [df[list(wine.FEATURES)].iloc[i].astype(float).tolist() for i in probe]

    def serving(_i: int) -> tuple[Project, FeatureView]:
        t0 = time.perf_counter()
        project = side.login(f"serving_{next(n)}")
        fs = project.get_feature_store()
        config = fs.get_feature_group(name, 1)._ctx.config  # type: ignore[attr-defined]
        online = config.online_path(name, 1)  # the local backend's layout (not in the API)
        for suffix in ("", "-wal", "-shm"):  # a folder's one online store, made anew
            Path(f"{online}{suffix}").unlink(missing_ok=True)
        fv = fs.get_feature_view(name, 1)
        logins.append(time.perf_counter() - t0)
        return project, fv

    def served(arg: tuple[Project, FeatureView]) -> None:
        project, fv = arg
        got: list[list[float]] = []
        for i in probe:
            vector: list[Any] = list(fv.get_feature_vector({KEY: i}))
            got.append([float(v) for v in vector])
        if got != expected:
            raise BenchmarkError(f"{name}: lookups of {probe} gave {got}, not {expected}")
        project.close()
        side.projects.remove(project)

    def run_base(db: Path) -> sqlite3.Connection:
        t0 = time.perf_counter()
        table = DeltaTable(path, storage_options=options).to_pyarrow_table(columns=columns)
        reads.append(time.perf_counter() - t0)
        conn = sqlite_bulk_insert(db, table.to_pandas())
        if conn.execute("SELECT count(*) FROM wine").fetchone()[0] != len(df):
            raise BenchmarkError(f"{name} baseline stored other than {len(df)} rows")
        conns.append(conn)
        return conn

    mlsys = Case(lambda arg: arg[1].init_serving(), serving, served)
    base = Case(run_base, lambda _i: side.scratch / f"baseline_{next(n)}.sqlite",
                lambda _db: conns.pop().close())
    m, b = compare(mlsys, base, ctx.reps(5))
    ctx.maybe_profile(name, mlsys)
    return m, b, {"login_and_get_view_s": Stats.of(logins).median,
                  "baseline_delta_read_s": Stats.of(reads).median}


def bench_bucket(ctx: Context) -> list[Figure]:
    """The store's paths on a bucket of moto's S3 server (started here, on 127.0.0.1) and on a
    local folder side by side, each against bare deltalake on the same storage."""
    from benchmarks.s3 import running_server

    df = wine_rows(ctx.sizes.rows(BUCKET_ROWS), seed=5)
    rows, size = len(df), frame_bytes(df)
    with running_server() as server, environment(server.env()):
        bucket = server.new_bucket()
        sides = [Side("folder", ctx.dir("folder_store"), str(ctx.dir("folder_tables")),
                      ctx.dir("folder_scratch")),
                 Side("bucket", f"s3://{bucket}/store", f"s3://{bucket}/tables",
                      ctx.dir("bucket_scratch"))]
        try:
            inserts: dict[str, Run] = {
                s.name: (*insert_comparison(ctx, df, f"{s.name}_insert", s.writer, s.tables), {})
                for s in sides}
            groups = {s.name: ctx.new_group(f"{s.name}_wine", df, project=s.writer)
                      for s in sides}
            reads = {s.name: _read_comparison(ctx, groups[s.name], f"{s.name}_read")
                     for s in sides}
            upserts: dict[str, Run] = {
                s.name: (*upsert_comparison(ctx, groups[s.name], df, f"{s.tables}/upsert",
                                            f"{s.name}_upsert"), {})
                for s in sides}
            online = with_wine_id(df)
            refreshes = {s.name: _refresh_comparison(ctx, s, online, f"{s.name}_online_refresh")
                         for s in sides}
        finally:
            for s in sides:
                s.close()
    upsert_rows = ctx.sizes.upsert
    return [
        *_pair("insert", f"insert {rows:,} wine-shaped rows into a new group", inserts,
               "deltalake.write_deltalake", rows=rows, size_bytes=size),
        *_pair("upsert", f"upsert {upsert_rows:,} rows (half updates) into a {rows:,}-row group",
               upserts, "deltalake MERGE", rows=upsert_rows),
        *_pair("read", f"read a {rows:,}-row group", reads,
               "DeltaTable(...).to_pandas()", rows=rows, size_bytes=size),
        *_pair("online_refresh", f"a new serving machine's init_serving: its online store "
               f"built from the {rows:,}-row offline table", refreshes,
               "DeltaTable(...).to_pyarrow_table() + sqlite3 bulk insert", rows=rows,
               size_bytes=frame_bytes(online)),
    ]
