"""Online paths: making rows servable (online-enabled insert) and one-key feature lookups."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.data import frame_bytes
from benchmarks.harness import BenchmarkError, Case, Figure, Goal, Stats, compare
from benchmarks.harness import interleaved_latencies as _latencies

if TYPE_CHECKING:
    import pandas as pd

    from benchmarks.context import Context
    from mlsys.store.api import FeatureGroup, Project

KEY = "wine_id"  # online benchmarks key wines by one id, as an online application would
LOOKUPS = 5000


def with_wine_id(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with a ``wine_id`` key column (0, 1, ...) in front."""
    import numpy as np

    return df.assign(**{KEY: np.arange(len(df), dtype="int64")})[[KEY, *df.columns]]


def online_frame(ctx: Context) -> pd.DataFrame:
    """The big frame with a ``wine_id`` key column in front."""
    return ctx._cached("online_frame", lambda: with_wine_id(ctx.big_frame()))


def _sql_type(dtype: Any) -> str:
    kind = getattr(dtype, "kind", "O")
    if kind == "f":
        return "REAL"
    if kind in "iub" or str(dtype).startswith("datetime64"):
        return "INTEGER"
    return "TEXT"


def sqlite_bulk_insert(path: Path, df: pd.DataFrame) -> sqlite3.Connection:
    """The baseline: ``df`` into a keyed SQLite table in one transaction (same pragmas and
    table shape as the mlsys online store: WAL, synchronous=NORMAL, WITHOUT ROWID)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    cols = ", ".join(f'"{c}" {_sql_type(t)}' for c, t in df.dtypes.items())
    conn.execute(f'CREATE TABLE wine ({cols}, PRIMARY KEY ("{KEY}")) WITHOUT ROWID')
    columns = []
    for c in df.columns:
        s = df[c]
        if str(s.dtype).startswith("datetime64"):
            s = s.astype("int64")  # epoch microseconds, as the mlsys store keeps timestamps
        columns.append(s.tolist())
    placeholders = ", ".join("?" for _ in df.columns)
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO wine VALUES ({placeholders})", zip(*columns, strict=True))
    conn.execute("COMMIT")
    return conn


def online_group(ctx: Context, name: str, project: Project | None = None) -> FeatureGroup:
    """A new online-enabled group ``name`` v1 keyed by ``wine_id``, of ``project`` (default:
    the run's)."""
    from mlsys.systems.wine import data as wine

    return (project or ctx.project).get_feature_store().get_or_create_feature_group(
        name, 1, primary_key=[KEY], event_time=wine.EVENT_TIME, online_enabled=True)


def bench_online_insert(ctx: Context) -> list[Figure]:
    """An online-enabled insert of the big frame (Delta + online store) vs SQLite alone."""
    df = online_frame(ctx)
    n = itertools.count()
    base_dir = ctx.dir("online_baseline")
    kept: dict[str, Any] = {}

    def run_mlsys(fg: FeatureGroup) -> None:
        fg.insert(df)
        kept.setdefault("groups", []).append(fg)

    def run_base(path: Path) -> None:
        kept.setdefault("dbs", []).append((path, sqlite_bulk_insert(path, df)))

    mlsys = Case(run_mlsys, lambda _i: online_group(ctx, f"online_{next(n)}"))
    base = Case(run_base, lambda _i: base_dir / f"t{next(n)}.sqlite")
    m, b = compare(mlsys, base, ctx.reps(5))
    ctx.maybe_profile("online_insert", Case(lambda fg: fg.insert(df),
                                            lambda _i: online_group(ctx, f"online_{next(n)}")))
    # the last group and database serve the lookup benchmark; the others are dropped
    groups, dbs = kept["groups"], kept["dbs"]
    for fg in groups[:-1]:
        fg.delete()
    for _, conn in dbs[:-1]:
        conn.close()
    ctx._cache["online_group"], ctx._cache["online_db"] = groups[-1], dbs[-1][1]
    return [Figure("online_insert", f"make {len(df):,} rows servable online "
                   "(online-enabled insert)", "s", Goal("<= 5 s", "value_max", 5.0), m, b,
                   "sqlite3 bulk insert (executemany, one transaction)", rows=len(df),
                   size_bytes=frame_bytes(df),
                   reference="Feast 0.67 materialize of 1M entities: ~170 s")]


def bench_online_lookup(ctx: Context) -> list[Figure]:
    """``get_feature_vector`` for one key vs a SQLite primary-key SELECT, call by call."""
    import numpy as np

    from mlsys.systems.wine import data as wine

    df = online_frame(ctx)
    if "online_group" not in ctx._cache:  # online_insert did not run: build them untimed
        fg = online_group(ctx, "online_serving")
        fg.insert(df)
        path = ctx.dir("online_lookup") / "wine.sqlite"
        ctx._cache["online_group"], ctx._cache["online_db"] = fg, sqlite_bulk_insert(path, df)
    fg = ctx._cache["online_group"]
    conn: sqlite3.Connection = ctx._cache["online_db"]
    fv = ctx.project.get_feature_store().get_or_create_feature_view(
        "wine_online", 1, query=fg.select([*wine.FEATURES, wine.LABEL]), labels=[wine.LABEL])
    fv.init_serving()
    rng = np.random.default_rng(7)
    ids = [int(i) for i in rng.integers(0, len(df), size=ctx.reps(1) * ctx.sizes.samples(LOOKUPS))]
    entries = [{KEY: i} for i in ids]
    cols = ", ".join(f'"{c}"' for c in wine.FEATURES)
    select = f'SELECT {cols} FROM wine WHERE "{KEY}" = ?'
    expected = df[list(wine.FEATURES)].iloc[ids[0]].tolist()
    got: list[Any] = list(fv.get_feature_vector(entries[0]))
    base_row = conn.execute(select, (ids[0],)).fetchone()
    if [float(v) for v in got] != [float(v) for v in expected] or list(base_row) != list(got):
        raise BenchmarkError(f"lookup of {entries[0]} gave {got} / {base_row}, not {expected}")

    m, b = _latencies(fv.get_feature_vector, lambda e: conn.execute(select, (e[KEY],)).fetchone(),
                      entries)
    ctx.maybe_profile("online_lookup", Case(lambda _a: [fv.get_feature_vector(e)
                                                        for e in entries]))
    return [Figure("online_lookup", f"online lookup of one key in a {len(df):,}-row group "
                   "(get_feature_vector)", "µs", Goal("p99 <= 100 µs", "value_max", 100.0),
                   Stats.of(m), Stats.of(b), "sqlite3 primary-key SELECT", statistic="p99",
                   rows=len(df), reference="Feast 0.67 get_online_features p99: 350 µs",
                   extra={"lookups": len(entries)})]
