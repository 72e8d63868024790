"""What every ``mlsys`` verb shares: the Typer app, the exit codes, the registry-derived choices
and the one wrapper that turns a library error into a one-line message and an exit code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from typer.core import TyperGroup

from mlsys.apps import APPS
from mlsys.systems import SYSTEMS

if TYPE_CHECKING:
    from mlsys.store.api import Project

class _Commands(TyperGroup):
    """``mlsys --help`` lists each command with its whole first sentence, wrapped; click would
    cut it at the line's end ("Add the synthetic row of a day (or every missed day);...")."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:  # typer._click types
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


app = typer.Typer(
    cls=_Commands,
    name="mlsys",
    help=f"Serverless ML systems ({', '.join(SYSTEMS.names())}) on an embedded or Hopsworks "
    "feature store.\n\n"
    "The store is chosen by MLSYS_BACKEND (local | hopsworks) and MLSYS_HOME (the embedded "
    "store's folder, default ~/.mlsys, or an S3-compatible bucket: s3://bucket/prefix).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain click help: rich's help formatter costs ~80 ms of imports on every `--help`
    rich_markup_mode=None,
)

T = TypeVar("T")
EXIT_FAILED = 1  # a failed validation or pipeline
EXIT_USAGE = 2  # bad usage (typer/click use 2 too)


# the choices come from the registries (listing them imports no system and no app)
SystemName = StrEnum("SystemName", [(n, n) for n in SYSTEMS.names()])  # type: ignore[misc]
AppName = StrEnum("AppName", [(n, n) for n in APPS.names()])  # type: ignore[misc]


def project(create: bool = True) -> Project:
    """The configured project; ``create=False`` (read-only verbs) refuses to make a new store."""
    import mlsys

    return mlsys.login(create=create)


def run_call(call: Callable[[], T]) -> T:
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


def out_folder(value: Path) -> Path:
    """An ``--out`` folder, refused (exit 2) if it resolves into the local store."""
    from mlsys.config import Settings
    from mlsys.errors import MlsysError
    from mlsys.store.local.paths import outside_store

    try:
        settings = Settings.from_env()
        if settings.backend == "local" and isinstance(settings.home, Path):  # not a bucket
            outside_store(value, settings.home / settings.project, "--out")
    except MlsysError as err:
        raise typer.BadParameter(str(err), param_hint="--out") from None
    return value


def say(msg: str) -> None:
    """Print one line of a command's output."""
    typer.echo(msg)


def parse_date(value: str | None, option: str) -> date | None:
    """A ``YYYY-MM-DD`` option as a date, or a usage error naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-31", param_hint=option
        ) from None
