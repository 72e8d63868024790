"""The ``mlsys`` command line: parses arguments and calls library functions, nothing more."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from mlsys.apps import APPS
from mlsys.systems import SYSTEMS

if TYPE_CHECKING:
    from mlsys.store.api import Project

app = typer.Typer(
    name="mlsys",
    help=f"Serverless ML systems ({', '.join(SYSTEMS.names())}) on an embedded or Hopsworks "
    "feature store.\n\n"
    "The store is chosen by MLSYS_BACKEND (local | hopsworks) and MLSYS_HOME (local root, "
    "default ~/.mlsys).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

T = TypeVar("T")
EXIT_FAILED = 1  # a failed validation or pipeline
EXIT_USAGE = 2  # bad usage (typer/click use 2 too)


# the choices come from the registries (listing them imports no system and no app)
SystemName = StrEnum("SystemName", [(n, n) for n in SYSTEMS.names()])  # type: ignore[misc]
AppName = StrEnum("AppName", [(n, n) for n in APPS.names()])  # type: ignore[misc]


def _project(create: bool = True) -> Project:
    """The configured project; ``create=False`` (read-only verbs) refuses to make a new store."""
    import mlsys

    return mlsys.login(create=create)


def _run(call: Callable[[], T]) -> T:
    """Run a library call (logging in inside it, so bad settings are caught too).

    Bad usage, configuration or a missing optional extra exits 2 and any other MlsysError 1,
    each with a one-line message.
    """
    from mlsys.errors import (
        ConfigurationError,
        InvalidArgumentError,
        InvalidNameError,
        MissingExtraError,
        MlsysError,
    )
    from mlsys.extras import missing_extra

    try:
        return call()
    except (InvalidNameError, InvalidArgumentError, ConfigurationError, MissingExtraError) as err:
        typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_USAGE) from None
    except ImportError as err:  # an optional dependency the library did not name itself
        missing = missing_extra(err, "this command")
        if missing is None:
            raise
        typer.secho(f"error: {missing}", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_USAGE) from None
    except MlsysError as err:
        typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_FAILED) from None


def _out(value: Path) -> Path:
    """An ``--out`` folder, refused (exit 2) if it resolves into the local store."""
    from mlsys.config import Settings
    from mlsys.errors import MlsysError
    from mlsys.store.local.paths import outside_store

    try:
        settings = Settings.from_env()
        if settings.backend == "local":
            outside_store(value, settings.home / settings.project, "--out")
    except MlsysError as err:
        raise typer.BadParameter(str(err), param_hint="--out") from None
    return value


def _say(msg: str) -> None:
    typer.echo(msg)


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-31", param_hint=option
        ) from None


@app.command()
def backfill(system: SystemName) -> None:
    """Load the system's real data into its feature group (idempotent).

    Example: mlsys backfill iris
    """
    from mlsys.pipelines.backfill import backfill as run
    from mlsys.systems import get_system

    r = _run(lambda: run(_project(), get_system(system.value)))
    if r.prepared:
        _say(f"{r.system}: {r.prepared}")
    _say(
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

    day_, since_ = _parse_date(day, "--date"), _parse_date(since, "--since")
    r = _run(
        lambda: run(_project(), get_system(system.value), day=day_, since=since_, catch_up=catch_up)
    )
    _say(f"{r.system}: {len(r.added)} day(s) added, {len(r.already_present)} already present")


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

    r = _run(lambda: run(_project(), get_system(system.value), seed=seed, if_missing=if_missing))
    if r.skipped:
        _say(f"{r.system}: nothing trained, {r.skipped}")
        return
    from mlsys.quality import describe_quality

    for m in r.models:
        _say(f"{m.name} v{m.version} ({m.kind}), held out: {describe_quality(m.metrics)}")
    _say(f"training dataset version {r.training_dataset_version}; best: v{r.best.version}")
    if r.study:
        _say(r.study)


@app.command()
def infer(system: SystemName) -> None:
    """Predict the daily rows not yet predicted with the best model; update monitoring images.

    Example: mlsys infer wine
    """
    from mlsys.pipelines.infer import infer as run
    from mlsys.systems import get_system

    r = _run(lambda: run(_project(), get_system(system.value)))
    scored = "" if r.evaluation is None else f"; {r.evaluation.text()}"
    _say(f"{r.system}: {r.predicted} new prediction(s) by model v{r.model_version} "
         f"({r.new_unseen} of rows it never trained on){scored}")
    for image in r.images:
        _say(f"  {image}")


@app.command()
def eda(
    system: SystemName,
    out: Annotated[Path, typer.Option(help="Output directory",
                                      callback=_out)] = Path("reports/eda"),
) -> None:
    """Write the exploratory analysis report (HTML + PNG) of a system's data.

    Example: mlsys eda wine --out reports/eda
    """
    from mlsys.systems import get_system

    write_eda_report = _run(lambda: get_system(system.value)).eda
    if write_eda_report is None:
        having = _run(lambda: [n for n in SYSTEMS.names() if get_system(n).eda is not None])
        raise typer.BadParameter(f"the {system.value} system has no EDA report; systems with "
                                 f"one: {', '.join(having) or 'none'}", param_hint="SYSTEM")
    _say(str(_run(lambda: write_eda_report(out))))


@app.command()
def report(
    out: Annotated[Path, typer.Option(help="Output directory",
                                      callback=_out)] = Path("reports/quality"),
) -> None:
    """Write the data-quality report: one HTML page per feature group and an index.

    Example: mlsys report --out reports/quality
    """
    from mlsys.pipelines.validate import system_schemas
    from mlsys.reports.quality import write_quality_report

    r = _run(lambda: write_quality_report(_project(create=False), out, schemas=system_schemas()))
    _say(str(r.index))


@app.command()
def validate(
    out: Annotated[Path, typer.Option(help="Report directory",
                                      callback=_out)] = Path("reports/quality"),
) -> None:
    """Run every system's Pandera schema and GE suite over its feature group; exit 1 on failure.

    Example: mlsys validate --out reports/quality
    """
    from mlsys.pipelines.validate import validate_all

    r = _run(lambda: validate_all(_project(), out))
    for line in r.lines:
        _say(line)
    _say(str(r.index))
    if not r.success:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=1, max=3660, help="Days of daily data")] = 30,
    fresh: Annotated[bool, typer.Option("--fresh", help="Start from an empty store")] = False,
    out: Annotated[Path, typer.Option(help="Report directory", callback=_out)] = Path("reports"),
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
        settings = _run(Settings.from_env)
        if settings.backend != "local":
            raise typer.BadParameter(
                "--fresh only applies to the local backend", param_hint="--fresh"
            )
        _run(lambda: wipe_project(settings.home / settings.project))
    progress = progress_for(sys.stdout)
    try:
        r = _run(lambda: run_demo(_project(), days=days, report_dir=out, progress=progress,
                                  retrain_every=retrain_every))
    finally:
        progress.close()
    total = sum(t.seconds for t in r.times)
    _say(f"done in {total:.0f} s")
    for line in what_next(r, _run(Settings.from_env), _this_command()):
        _say(line)


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


@app.command()
def serve(
    name: AppName,
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port")] = 7860,
) -> None:
    """Run one Gradio app against the configured store.

    Example: mlsys serve iris-dashboard --port 7861
    """
    from mlsys.apps import check_port_free, launch, load_app_builder

    _run(lambda: check_port_free(host, port))
    builder = _run(lambda: load_app_builder(name.value))
    blocks = _run(lambda: builder(_project(create=False)))
    _run(lambda: launch(blocks, host, port))


@app.command()
def ui(
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port")] = 8760,
) -> None:
    """Browse the store in a read-only web console: groups, commits, validation, views,
    training datasets, models and monitoring. Nothing in it can write.

    Example: mlsys ui --port 8760
    """
    from mlsys.apps import check_port_free
    from mlsys.console import serve_console

    _run(lambda: check_port_free(host, port))
    _run(lambda: serve_console(_project(create=False), host, port, announce=_say))


class SpaceBackend(StrEnum):
    local = "local"
    hopsworks = "hopsworks"


@app.command()
def space(
    name: AppName,
    out: Annotated[Path, typer.Option(help="New folder to write the Space into", callback=_out)],
    source: Annotated[str | None, typer.Option(
        help="Install mlsys from this git+https:// or https:// URL instead of bundling its "
        "source")] = None,
    backend: Annotated[SpaceBackend, typer.Option(
        help="The store the Space reads; only hopsworks installs the Hopsworks SDK")
    ] = SpaceBackend.local,
    bundle_store: Annotated[bool, typer.Option(
        "--bundle-store", help="Ship a snapshot of the local project of MLSYS_HOME with it")
    ] = False,
    push: Annotated[str | None, typer.Option(
        help="Also upload it to this Hugging Face Space (owner/name; token from HF_TOKEN)")
    ] = None,
    spaces: Annotated[Path | None, typer.Option(
        help="The spaces/ folder to copy from (default: the checkout's)")] = None,
) -> None:
    """Write one app's Hugging Face Space folder, mlsys bundled or from --source; --push uploads.

    Example: mlsys space iris-dashboard --out build/iris-dashboard --bundle-store
    """
    import os

    from mlsys.apps.space import bundle_space, check_push_target, push_space
    from mlsys.config import Settings

    token = os.environ.get("HF_TOKEN")
    if push is not None:
        _run(lambda: check_push_target(push, token))
    store = None
    if bundle_store:
        settings = _run(lambda: Settings.from_env(backend="local"))
        store = settings.home / settings.project
    r = _run(lambda: bundle_space(name.value, out, source, spaces, backend.value, store))
    _say(f"{r.path} (installs {r.installs})")
    if r.store is not None:
        _say(f"  with a snapshot of {store} in {r.store}")
    _say("  Space variables: " + " ".join(f"{k}={v}" for k, v in r.variables.items()))
    if push is not None:
        _say(_run(lambda: push_space(r, push, token)))


@app.command()
def systems() -> None:
    """List the registered systems, one name a line (what the noxfile and workflows loop over).

    Example: mlsys systems
    """
    for name in SYSTEMS.names():
        _say(name)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
) -> None:
    """Per system: groups (rows, last event day, validation), the served model against its
    baseline, predictions and their accuracy on unseen rows, drift.

    Example: mlsys status --json
    """
    from mlsys.pipelines.status import status_table, store_status

    r = _run(lambda: store_status(_project(create=False)))
    if as_json:
        import json

        _say(json.dumps(r.as_dict(), indent=2))
        return
    from rich.console import Console

    # piped: the table at its natural width, so no cell wraps and each line can be grepped
    Console(width=None if sys.stdout.isatty() else 400).print(status_table(r))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .py script or an .ipynb notebook.")],
) -> None:
    """Run a script or notebook written for Hopsworks on the configured store; ARGS after FILE
    go to the script. `import hopsworks` / `hsfs` / `hsml` resolve to mlsys (unless
    MLSYS_BACKEND=hopsworks); notebooks run cell by cell, IPython magics and `!` lines skipped.

    Example: mlsys run iris-feature-pipeline-daily.py
    """
    from mlsys.compat.runner import run_file

    result = _run(lambda: run_file(file, ctx.args, _say))
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@app.command()
def gc(
    retention_hours: Annotated[int, typer.Option(
        min=0, help="Hours of time travel to keep (recorded training datasets are always kept)",
    )] = 168,
) -> None:
    """Compact and vacuum the local store's tables (they grow one commit a day).

    Example: mlsys gc --retention-hours 168
    """
    from mlsys.store.local.project import collect

    for line in _run(lambda: collect(_project(), retention_hours)).lines():
        _say(line)


@app.command()
def verify(
    repair: Annotated[bool, typer.Option(
        "--repair", help="Also do the safe repairs (rebuild online stores from their tables)",
    )] = False,
) -> None:
    """Check every table's log and data files, model file and online store of the local store
    against what its catalog recorded; print each damaged part and its repair. Exit 1 when
    damage remains.

    Example: mlsys verify --repair
    """
    from mlsys.store.local.verify import check

    result = _run(lambda: check(_project(create=False), repair))
    for line in result.lines():
        _say(line)
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


def _unexpected(err: Exception) -> int:
    """The last resort for an exception no command expected: one line, never a traceback."""
    detail = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
    typer.secho(f"error: unexpected {type(err).__name__}{': ' + detail if detail else ''}. "
                f"This is a bug in mlsys or a damaged store (try `mlsys verify`); please report "
                "it, with the command you ran", err=True, fg=typer.colors.RED)
    return EXIT_FAILED


def main() -> None:
    """Console entry point: runs the command, then exits with its code without interpreter
    teardown.

    Native worker threads (pyarrow's thread pools, apache/arrow#34314; deltalake's tokio
    runtime) can still be running, or still hold Python objects, when the interpreter finalizes;
    a pyarrow worker that touches Python then aborts the process (``Fatal Python error:
    PyGILState_Release`` / ``terminate called without an active exception``, exit 134) after
    the command printed its result and committed its data, so a scheduler reports a finished
    ``daily`` as failed. That race is inside those libraries, so it cannot be fixed here; the
    command's work is durable by the time it returns (every commit is on disk, the output is
    flushed below), so the process skips finalization with ``os._exit``.
    """
    import atexit
    import contextlib
    import gc
    import logging
    import os

    try:
        app()
        code = 0
    except Exception as err:  # the last resort: a message, not a traceback
        code = _unexpected(err)
    except SystemExit as done:  # click ends every command with sys.exit(code)
        if isinstance(done.code, int) or done.code is None:
            code = done.code or 0
        else:
            print(done.code, file=sys.stderr)
            code = 1
    # what a normal exit does before finalization still happens: objects the command (or a
    # script under `mlsys run`) dropped are finalized, so their files are flushed and closed,
    # and atexit handlers run
    gc.collect()
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing left to say
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
