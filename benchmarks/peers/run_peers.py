"""mlsys side by side with Feast and MLflow: the same operations on the same data, one table.

``python -m benchmarks.peers.run_peers [--rows N] [--repeat N] [--out PATH]`` (what
``nox -s bench_peers`` runs in an environment with feast and mlflow installed). Operations, at
100k rows by default: insert and make servable (mlsys online-enabled insert vs parquet write +
Feast materialize to SQLite), point-in-time training data (mlsys query join vs Feast
``get_historical_features`` with the file and the DuckDB offline stores), one-key online lookup
(``get_feature_vector`` vs ``get_online_features``), model register (mlsys registry vs MLflow
log + register on SQLite) and fresh-process load, and ``import``. Ratios are mlsys / peer, so
below 1 means mlsys is faster.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.harness import Case, Stats, compare, interleaved_latencies

DEFAULT_ROWS = 100_000
LOOKUPS = 1000
OUT = Path(__file__).resolve().parents[1] / "results" / "peers.json"


@dataclass(frozen=True)
class PeerFigure:
    """One operation: mlsys and one peer, same data, same run."""

    operation: str
    unit: str  # "s" or "µs"
    statistic: str  # "median" or "p99"
    mlsys: Stats
    peer: str
    peer_stats: Stats
    note: str = ""

    def _value(self, s: Stats) -> float:
        v = s.median if self.statistic == "median" else s.p99
        return v * 1e6 if self.unit == "µs" else v

    @property
    def ratio(self) -> float:
        return self._value(self.mlsys) / self._value(self.peer_stats)

    def to_json(self) -> dict[str, Any]:
        return {"operation": self.operation, "unit": self.unit, "statistic": self.statistic,
                "mlsys": self._value(self.mlsys), "peer": self.peer,
                "peer_value": self._value(self.peer_stats), "ratio_mlsys_over_peer": self.ratio,
                "raw_seconds": {"mlsys": asdict(self.mlsys), "peer": asdict(self.peer_stats)},
                "note": self.note}


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for dist in ("mlsys", "feast", "mlflow", "deltalake", "pandas", "duckdb"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def feast_figures(ctx: Any, rows: int, reps: int, lookups: int) -> list[PeerFigure]:
    """Insert + serve, lookups and PIT training data against Feast."""
    import numpy as np

    from benchmarks.bench_online import KEY, online_group
    from benchmarks.data import pit_frames, wine_rows
    from benchmarks.peers import feast_side as feast
    from mlsys.systems.wine import data as wine

    features = list(wine.FEATURES)
    frame = wine_rows(rows, seed=0)
    frame.insert(0, KEY, np.arange(rows, dtype="int64"))
    served = frame[[KEY, "event_time", *features]]
    n = itertools.count()
    kept: dict[str, Any] = {}

    def mlsys_insert(fg: Any) -> None:
        fg.insert(served)
        kept["fg"] = fg

    def feast_prepare(_i: int) -> Any:
        repo = feast.FeastRepo(ctx.root / f"feast_online_{next(n)}", "file")
        repo.write_config()
        served.head(1).to_parquet(repo.parquet, index=False)  # apply reads the source schema
        return repo, feast.apply(repo, features)

    def feast_insert(arg: Any) -> None:
        repo, store = arg
        feast.write_offline(repo, served)
        feast.materialize(store, served)
        kept["feast"] = store

    m, p = compare(Case(mlsys_insert, lambda _i: online_group(ctx, f"peers_{next(n)}")),
                   Case(feast_insert, feast_prepare), reps)
    out = [PeerFigure(f"insert {rows:,} rows and make them servable online", "s", "median", m,
                      "Feast: parquet write + materialize (SQLite)", p)]

    fv = ctx.project.get_feature_store().get_or_create_feature_view(
        "peers_online", 1, query=kept["fg"].select(features))
    fv.init_serving()
    lookup = feast.online_lookup(kept["feast"], features)
    keys = [int(k) for k in np.random.default_rng(3).integers(0, rows, size=lookups)]
    a, b = interleaved_latencies(lambda k: fv.get_feature_vector({KEY: k}), lookup, keys)
    out.append(PeerFigure("online lookup, one key", "µs", "p99", Stats.of(a),
                          "Feast get_online_features (SQLite)", Stats.of(b)))

    pit = pit_frames(max(1, rows // 10), rows)
    fs = ctx.project.get_feature_store()
    ent = fs.get_or_create_feature_group("peers_entities", 1, primary_key=["entity_id"],
                                         event_time="event_time")
    feat = fs.get_or_create_feature_group("peers_features", 1, primary_key=["entity_id"],
                                          event_time="event_time")
    ent.insert(pit.entities)
    feat.insert(pit.features)
    query = ent.select_all().join(feat.select(features), on=["entity_id"])
    entity_df = pit.entities.rename(columns={"entity_id": KEY, "event_time": "event_timestamp"})
    matched: dict[str, int] = {}
    mlsys_pit = Case(lambda _a: matched.__setitem__("mlsys", int(query.read()["alcohol"]
                                                                 .notna().sum())))
    for offline in ("file", "duckdb"):
        if offline == "duckdb" and not _has("duckdb"):
            continue
        repo = feast.FeastRepo(ctx.root / f"feast_pit_{offline}", offline)
        repo.write_config()
        feast.write_offline(repo, pit.features.rename(columns={"entity_id": KEY}))
        store = feast.apply(repo, features)

        def peer(_a: Any, store: Any = store, offline: str = offline) -> None:
            got = feast.historical(store, entity_df, features)
            matched[offline] = int(got["alcohol"].notna().sum())

        m, p = compare(mlsys_pit, Case(peer), reps, warmup=1)
        out.append(PeerFigure(f"PIT training data: {len(entity_df):,} entity rows over "
                              f"{len(pit.features):,} feature rows", "s", "median", m,
                              f"Feast get_historical_features ({offline} offline store)", p,
                              note=f"rows with features: {matched}"))
    return out


def mlflow_figures(ctx: Any, reps: int) -> list[PeerFigure]:
    """Register a KNN and load it in a fresh process, against MLflow on SQLite."""
    from benchmarks.bench_models import LOAD_MLSYS, register, run_python
    from benchmarks.peers import mlflow_side

    model, f1 = ctx.knn()
    root = ctx.root / "mlflow"
    experiment = mlflow_side.setup(root)
    options = mlflow_side.trusted_types(model)
    n = itertools.count()
    m, p = compare(Case(lambda d: register(ctx, model, f1, d),
                        lambda _i: ctx.root / "register" / f"m{next(n)}"),
                   Case(lambda _a: mlflow_side.register(experiment, model, f1, options)), reps,
                   warmup=1)
    out = [PeerFigure("register a trained KNN", "s", "median", m,
                      "MLflow log_model + register (SQLite)", p)]
    m, p = compare(Case(lambda _a: run_python(LOAD_MLSYS.format(home=str(ctx.store_home)))),
                   Case(lambda _a: run_python(mlflow_side.load_code(root))), reps)
    out.append(PeerFigure("load the model in a fresh process", "s", "median", m,
                          "MLflow mlflow.sklearn.load_model", p))
    return out


def import_figures(reps: int, peers: Sequence[str]) -> list[PeerFigure]:
    from benchmarks.bench_models import run_python

    out = []
    def importer(module: str) -> Case:
        return Case(lambda _a: run_python(f"import {module}"))

    for peer in peers:
        m, p = compare(importer("mlsys"), importer(peer), reps, warmup=1)
        out.append(PeerFigure("import (fresh process)", "s", "median", m, f"import {peer}", p))
    return out


def run(rows: int = DEFAULT_ROWS, repeat: int = 3, lookups: int = LOOKUPS,
        say: Callable[[str], Any] = print) -> dict[str, Any]:
    """Every operation whose peer is installed; returns the JSON document."""
    from benchmarks.context import BIG_ROWS, Context

    ctx = Context(scale=rows / BIG_ROWS, repeat=repeat)
    figures: list[PeerFigure] = []
    errors: list[dict[str, str]] = []
    peers = [p for p in ("feast", "mlflow") if _has(p)]
    steps: list[tuple[str, Callable[[], list[PeerFigure]]]] = []
    if "feast" in peers:
        steps.append(("feast", lambda: feast_figures(ctx, rows, repeat, lookups)))
    if "mlflow" in peers:
        steps.append(("mlflow", lambda: mlflow_figures(ctx, repeat)))
    steps.append(("import", lambda: import_figures(max(repeat, 5), peers)))
    try:
        for name, step in steps:
            say(f"{name} ...")
            try:
                figures.extend(step())
            except Exception as err:  # report the other peers even if one breaks
                errors.append({"peer": name, "error": f"{type(err).__name__}: {err}"})
                say(f"{name}: FAILED ({type(err).__name__}: {err})")
    finally:
        ctx.close()
    missing = sorted({"feast", "mlflow"} - set(peers))
    return {"meta": {"rows": rows, "repeat": repeat, "lookups": lookups,
                     "versions": _versions(), "missing_peers": missing},
            "figures": [f.to_json() for f in figures], "errors": errors}


def print_table(doc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from benchmarks.report import fmt

    console = Console(width=None if Console().is_terminal else 160)
    table = Table(title=f"mlsys vs peers at {doc['meta']['rows']:,} rows "
                  "(ratio = mlsys / peer; < 1: mlsys faster)")
    for col in ("operation", "unit", "mlsys", "peer", "peer value", "mlsys/peer"):
        table.add_column(col, justify="left" if col in ("operation", "peer") else "right")
    for f in doc["figures"]:
        unit = f"{f['unit']} ({f['statistic']})"
        table.add_row(f["operation"], unit, fmt(f["mlsys"]), f["peer"], fmt(f["peer_value"]),
                      fmt(f["ratio_mlsys_over_peer"]))
    console.print(table)
    if doc["meta"]["missing_peers"]:
        console.print(f"not installed (skipped): {', '.join(doc['meta']['missing_peers'])}")
    for e in doc["errors"]:
        console.print(f"[red]{e['peer']} failed:[/red] {e['error']}")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.peers.run_peers",
                                description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--lookups", type=int, default=LOOKUPS)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    doc = run(args.rows, args.repeat, args.lookups,
              say=lambda m: print(m, file=sys.stderr, flush=True))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(doc)
    return 1 if doc["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
