"""Model paths: register, load in a fresh process, batch inference."""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.context import python
from benchmarks.harness import BenchmarkError, Case, Figure, Goal, compare
from mlsys.systems.base import MODEL_FILE  # the one file name the registry's loader reads

if TYPE_CHECKING:
    from benchmarks.context import Context
    from mlsys.store.api import Model

MODEL_NAME = "wine_model"  # the wine system's registry name, so load_best_model finds it


def register(ctx: Context, model: Any, f1: float, workdir: Path) -> Model:
    """The mlsys path: the model file written, then created and saved in the registry."""
    import joblib

    from mlsys.store.api import ModelSchema, Schema
    from mlsys.systems.wine import data as wine

    workdir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, workdir / MODEL_FILE)
    example = wine.load()[list(wine.FEATURES)].head(1)
    mr = ctx.project.get_model_registry()
    m = mr.sklearn.create_model(
        MODEL_NAME, metrics={"macro_f1": f1}, description="benchmark KNN",
        input_example=example,
        model_schema=ModelSchema(Schema.from_frame(example),
                                 Schema.from_frame(wine.load()[wine.LABEL].head(1))))
    m.save(str(workdir))
    return m


def ensure_registered(ctx: Context) -> Path:
    """A registered wine model in the run's store, and a bare joblib copy of it (returned)."""
    import joblib

    def build() -> Path:
        model, f1 = ctx.knn()
        register(ctx, model, f1, ctx.dir("model_src"))
        path = ctx.dir("model_bare") / MODEL_FILE
        joblib.dump(model, path)
        return path

    return ctx._cached("bare_model", build)


def bench_register(ctx: Context) -> list[Figure]:
    """Save + catalog a trained KNN vs ``joblib.dump`` of it."""
    import joblib

    model, f1 = ctx.knn()
    n = itertools.count()
    dump_dir = ctx.dir("register_baseline")
    mlsys = Case(lambda d: register(ctx, model, f1, d),
                 lambda _i: ctx.root / "register" / f"m{next(n)}")
    base = Case(lambda p: joblib.dump(model, p), lambda _i: dump_dir / f"m{next(n)}.pkl")
    m, b = compare(mlsys, base, ctx.reps(10), warmup=1)
    ctx.maybe_profile("register_model", mlsys)
    size = (dump_dir / "m1.pkl").stat().st_size
    return [Figure("register_model", "register a trained KNN (save + catalog)", "s",
                   Goal("<= 0.2 s", "value_max", 0.2), m, b, "joblib.dump of the same model",
                   size_bytes=size, reference="MLflow 3.17 log + register a KNN: ~3 s")]


def subprocess_env() -> dict[str, str]:
    """The environment of benchmark subprocesses: offline, no bytecode writing noise."""
    from mlsys.config import OFFLINE_DEFAULTS

    return {**os.environ, **OFFLINE_DEFAULTS}


def run_python(code: str, env: dict[str, str] | None = None) -> None:
    """Run ``python -c code``; a failure is a benchmark error with the child's stderr."""
    done = subprocess.run([python(), "-c", code], capture_output=True, text=True,
                          env=env or subprocess_env(), check=False)
    if done.returncode != 0:
        raise BenchmarkError(f"subprocess failed ({done.returncode}): {done.stderr[-2000:]}")


LOAD_MLSYS = """
import mlsys
from mlsys.serving import load_best_model
from mlsys.systems import get_system
model = load_best_model(mlsys.login(backend="local", home={home!r}), get_system("wine"))
assert model.classes
"""
LOAD_BARE = "import sklearn, joblib; assert joblib.load({path!r}).classes_ is not None"


def bench_load(ctx: Context) -> list[Figure]:
    """Load the best model in a fresh process vs a fresh ``joblib.load``."""
    bare = ensure_registered(ctx)
    mlsys_code = LOAD_MLSYS.format(home=str(ctx.store_home))
    base_code = LOAD_BARE.format(path=str(bare))
    m, b = compare(Case(lambda _a: run_python(mlsys_code)),
                   Case(lambda _a: run_python(base_code)), ctx.reps(7), warmup=1)
    ctx.maybe_profile("load_model", Case(lambda _a: _load_in_process(ctx)))
    return [Figure("load_model", "load the best model in a fresh process", "s",
                   Goal("ratio <= 1.3", "ratio_max", 1.3), m, b,
                   'python -c "import sklearn, joblib" + joblib.load',
                   reference="MLflow 3.17 fresh-process load: ~2.4 s")]


def _load_in_process(ctx: Context) -> None:
    """What the fresh process does after its imports (for profiling only)."""
    from mlsys.serving import load_best_model
    from mlsys.systems import get_system

    load_best_model(ctx.project, get_system("wine"))


def bench_batch(ctx: Context) -> list[Figure]:
    """The batch-inference pipeline's predictions over new rows vs bare ``predict``."""
    from benchmarks.data import wine_rows
    from mlsys.pipelines.common import feature_group
    from mlsys.pipelines.infer import predict_new
    from mlsys.pipelines.train import feature_view
    from mlsys.systems import get_system
    from mlsys.systems.wine import data as wine

    ensure_registered(ctx)
    system = get_system("wine")
    rows = ctx.sizes.batch
    frame = wine_rows(rows, seed=3)
    fg = feature_group(ctx.project, system)
    if not fg.features:
        fg.insert(frame, validation_options={"run_validation": False})
    feature_view(ctx.project, system)
    model, _ = ctx.knn()
    x = frame[list(wine.FEATURES)]

    def run_mlsys(_a: Any) -> None:
        predictions, _ = predict_new(ctx.project, system)
        if len(predictions) != rows:
            raise BenchmarkError(f"batch inference predicted {len(predictions)} rows, not {rows}")

    mlsys = Case(run_mlsys)
    m, b = compare(mlsys, Case(lambda _a: model.predict(x)), ctx.reps(5), warmup=1)
    ctx.maybe_profile("batch_inference", mlsys)
    return [Figure("batch_inference", f"batch inference over {rows:,} new rows (feature view "
                   "+ best model, predict_new)", "rows/s", Goal("ratio <= 1.3", "ratio_max", 1.3),
                   m, b, "the bare model's predict on the frame in memory", rows=rows)]
