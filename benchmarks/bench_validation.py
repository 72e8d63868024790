"""Ingest validation: the Pandera schema plus the GE suite as mlsys runs them vs bare GE."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.data import frame_bytes
from benchmarks.harness import BenchmarkError, Case, Figure, Goal, compare

if TYPE_CHECKING:
    from benchmarks.context import Context

RESULT_FORMAT = "BASIC"  # what mlsys.validation.engine.validate_frame asks GE for


def bare_ge_validator(suite_path: str) -> Any:
    """``validate(df)`` with Great Expectations alone: an ephemeral context, a pandas
    whole-frame batch and the suite built from its JSON, all made once (setup, untimed)."""
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from mlsys.validation.engine import PARTIAL_UNEXPECTED_COUNT
    from mlsys.validation.ge import import_ge

    gx = import_ge()  # GE itself, imported without its Python 3.11 deprecation noise
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # as mlsys does
    batch_definition = (context.data_sources.add_pandas("bench").add_dataframe_asset("frame")
                        .add_batch_definition_whole_dataframe("whole"))
    spec = json.loads(Path(suite_path).read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(name=spec["name"], expectations=[
        {"type": e["type"], "kwargs": e["kwargs"], "meta": e.get("meta", {})}
        for e in spec["expectations"]])
    result_format = {"result_format": RESULT_FORMAT,
                     "partial_unexpected_count": PARTIAL_UNEXPECTED_COUNT}

    def validate(df: Any) -> bool:
        batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
        return bool(batch.validate(suite, result_format=result_format).success)

    return validate


def bench_validation(ctx: Context) -> list[Figure]:
    """``check_frame`` (wine Pandera schema) + ``validate_frame`` (wine suite) vs bare GE."""
    from mlsys.systems.wine import data as wine
    from mlsys.validation.engine import validate_frame
    from mlsys.validation.schemas import check_frame
    from mlsys.validation.suite_io import load_suite_file, suite_directories

    df = ctx.big_frame()
    suite = load_suite_file("wine")
    suite_path = next(str(d / "wine.json") for d in suite_directories()
                      if (d / "wine.json").is_file())
    schema = wine.feature_schema()
    ge_alone = bare_ge_validator(suite_path)
    outcome: dict[str, bool] = {}

    def run_mlsys(_a: Any) -> None:
        check_frame(schema, df, "the wine frame")  # what @guard runs on a pipeline's frame
        outcome["mlsys"] = validate_frame(df, suite).success

    def run_base(_a: Any) -> None:
        outcome["ge"] = ge_alone(df)

    mlsys = Case(run_mlsys)
    m, b = compare(mlsys, Case(run_base), ctx.reps(5), warmup=1)
    ctx.maybe_profile("validation", mlsys)
    if outcome != {"mlsys": True, "ge": True}:
        raise BenchmarkError(f"the generated wines should pass the suite: {outcome}")
    return [Figure("validation", f"ingest validation of {len(df):,} rows: Pandera schema + "
                   f"{len(suite.expectations)}-expectation suite", "s",
                   Goal("ratio <= 1.2", "ratio_max", 1.2), m, b,
                   "Great Expectations alone on the same suite", rows=len(df),
                   size_bytes=frame_bytes(df))]
