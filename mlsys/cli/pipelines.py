"""The pipeline verbs: backfill, daily, train, infer, eda, report, validate and demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlsys.cli.common import (
    EXIT_FAILED,
    SYSTEMS,
    SystemName,
    app,
    out_folder,
    parse_date,
    project,
    run_call,
    say,
)


@app.command()
def backfill(system: SystemName) -> None:
    """Load the system's real data into its feature group (idempotent).

    Example: mlsys backfill iris
    """
    from mlsys.pipelines.backfill import backfill as run
    from mlsys.systems import get_system

    r = run_call(lambda: run(project(), get_system(system.value)))
    if r.prepared:
        say(f"{r.system}: {r.prepared}")
    say(
        f"{r.system}: {r.rows_inserted} new of {r.rows_loaded} real rows; "
        f"{r.rows_in_group} rows in the group"
    )


@app.command()
def daily(
    system: SystemName,
    day: Annotated[
        str | None, typer.Option("--date", help="The day (YYYY-MM-DD); default today")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Also every day from this one (YYYY-MM-DD)")
    ] = None,
    catch_up: Annotated[
        bool, typer.Option("--catch-up", help="Every day missed since the last run")
    ] = False,
) -> None:
    """Add the synthetic row of a day (or every missed day); re-running a day adds nothing.

    Example: mlsys daily wine --since 2026-01-01
    """
    from mlsys.pipelines.daily import daily as run
    from mlsys.systems import get_system

    day_, since_ = parse_date(day, "--date"), parse_date(since, "--since")
    r = run_call(
        lambda: run(project(), get_system(system.value), day=day_, since=since_, catch_up=catch_up)
    )
    say(f"{r.system}: {len(r.added)} day(s) added, {len(r.already_present)} already present")


@app.command()
def train(
    system: SystemName,
    seed: Annotated[int, typer.Option(help="Split and search seed")] = 42,
    if_missing: Annotated[bool, typer.Option(
        "--if-missing", help="Only when no model of the system is registered yet")] = False,
) -> None:
    """Train the system's models on a recorded split and register them.

    Example: mlsys train iris
    """
    from mlsys.pipelines.train import train as run
    from mlsys.systems import get_system

    r = run_call(lambda: run(project(), get_system(system.value), seed=seed, if_missing=if_missing))
    if r.skipped:
        say(f"{r.system}: nothing trained, {r.skipped}")
        return
    from mlsys.quality import describe_quality

    for m in r.models:
        say(f"{m.name} v{m.version} ({m.kind}), held out: {describe_quality(m.metrics)}")
    say(f"training dataset version {r.training_dataset_version}; best: v{r.best.version}")
    if r.study:
        say(r.study)


@app.command()
def infer(system: SystemName) -> None:
    """Predict the daily rows not yet predicted with the best model; update monitoring images.

    Example: mlsys infer wine
    """
    from mlsys.pipelines.infer import infer as run
    from mlsys.systems import get_system

    r = run_call(lambda: run(project(), get_system(system.value)))
    scored = "" if r.evaluation is None else f"; {r.evaluation.text()}"
    say(f"{r.system}: {r.predicted} new prediction(s) by model v{r.model_version} "
         f"({r.new_unseen} of rows it never trained on){scored}")
    for image in r.images:
        say(f"  {image}")


@app.command()
def eda(
    system: SystemName,
    out: Annotated[Path, typer.Option(help="Output directory",
                                      callback=out_folder)] = Path("reports/eda"),
) -> None:
    """Write the exploratory analysis report (HTML + PNG) of a system's data.

    Example: mlsys eda wine --out reports/eda
    """
    from mlsys.systems import get_system

    write_eda_report = run_call(lambda: get_system(system.value)).eda
    if write_eda_report is None:
        having = run_call(lambda: [n for n in SYSTEMS.names() if get_system(n).eda is not None])
        raise typer.BadParameter(f"the {system.value} system has no EDA report; systems with "
                                 f"one: {', '.join(having) or 'none'}", param_hint="SYSTEM")
    say(str(run_call(lambda: write_eda_report(out))))


@app.command()
def report(
    out: Annotated[Path, typer.Option(help="Output directory",
                                      callback=out_folder)] = Path("reports/quality"),
) -> None:
    """Write the data-quality report: one HTML page per feature group and an index.

    Example: mlsys report --out reports/quality
    """
    from mlsys.pipelines.validate import system_schemas
    from mlsys.reports.quality import write_quality_report

    r = run_call(lambda: write_quality_report(project(create=False), out, schemas=system_schemas()))
    say(str(r.index))


@app.command()
def validate(
    out: Annotated[Path, typer.Option(help="Report directory",
                                      callback=out_folder)] = Path("reports/quality"),
) -> None:
    """Run every system's Pandera schema and GE suite over its feature group; exit 1 on failure.

    Example: mlsys validate --out reports/quality
    """
    from mlsys.pipelines.validate import validate_all

    r = run_call(lambda: validate_all(project(), out))
    for line in r.lines:
        say(line)
    say(str(r.index))
    if not r.success:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=1, max=3660, help="Days of daily data")] = 30,
    fresh: Annotated[bool, typer.Option("--fresh", help="Start from an empty store")] = False,
    out: Annotated[Path, typer.Option(help="Report directory",
                                      callback=out_folder)] = Path("reports"),
    retrain_every: Annotated[int | None, typer.Option(
        min=1, help="Retrain every N days, as the training workflow would (default: once)")
    ] = None,
) -> None:
    """Every system on its schedule: backfill, train, then day by day the daily data and
    batch inference (optionally retraining); then the EDA and data-quality reports.

    Example: mlsys demo --fresh --days 30
    """
    from mlsys.config import Settings
    from mlsys.pipelines.demo import run_demo, what_next, wipe_project
    from mlsys.progress import progress_for

    if fresh:
        settings = run_call(Settings.from_env)
        if settings.backend != "local":
            raise typer.BadParameter(
                "--fresh only applies to the local backend", param_hint="--fresh"
            )
        home = settings.home
        run_call(lambda: wipe_project(f"{home}/{settings.project}" if isinstance(home, str)
                                      else home / settings.project))
    progress = progress_for(sys.stdout)
    try:
        r = run_call(lambda: run_demo(project(), days=days, report_dir=out, progress=progress,
                                  retrain_every=retrain_every))
    finally:
        progress.close()
    total = sum(t.seconds for t in r.times)
    say(f"done in {total:.0f} s")
    for line in what_next(r, run_call(Settings.from_env), _this_command()):
        say(line)


def _this_command() -> str:
    """How the user's shell runs this mlsys: ``mlsys`` if that is on PATH, else its full path
    (e.g. inside ``.nox/demo/bin``), else ``python -m mlsys.cli``."""
    import shlex
    import shutil

    argv0 = Path(sys.argv[0])
    if argv0.name == "mlsys":
        found = shutil.which("mlsys")
        if found is not None and Path(found).resolve() == argv0.resolve():
            return "mlsys"
        return shlex.quote(str(argv0.resolve()))
    return f"{shlex.quote(sys.executable)} -m mlsys.cli"
