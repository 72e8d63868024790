"""The store verbs: systems, status, run (Hopsworks-era code), gc and verify."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlsys.cli.common import EXIT_FAILED, SYSTEMS, app, project, run_call, say


@app.command()
def systems() -> None:
    """List the registered systems, one name a line (what the noxfile and workflows loop over).

    Example: mlsys systems
    """
    for name in SYSTEMS.names():
        say(name)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
) -> None:
    """Per system: groups (rows, last event day, validation), the served model against its
    baseline, predictions and their accuracy on unseen rows, drift.

    Example: mlsys status --json
    """
    from mlsys.pipelines.status import status_table, store_status

    r = run_call(lambda: store_status(project(create=False)))
    if as_json:
        import json

        say(json.dumps(r.as_dict(), indent=2))
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

    result = run_call(lambda: run_file(file, ctx.args, say))
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

    for line in run_call(lambda: collect(project(), retention_hours)).lines():
        say(line)


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

    result = run_call(lambda: check(project(create=False), repair))
    for line in result.lines():
        say(line)
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)
