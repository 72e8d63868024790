"""What every Gradio app shares: error conversion, the empty-store hint, model status, launch.

Only the app modules import this (it imports gradio), never ``import mlsys``.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import gradio as gr

from mlsys.errors import IntegrityError, MlsysError, NotFoundError, PipelineError

if TYPE_CHECKING:
    from mlsys.serving import LoadedModel, ModelCache
    from mlsys.systems.base import System

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_HOST = "127.0.0.1"  # apps are private unless asked otherwise (HF Spaces sets 0.0.0.0)
DEFAULT_PORT = 7860


def pipelines_hint(system: System) -> str:
    """What to run when the store has nothing for ``system`` yet."""
    n = system.name
    return (f"run the pipelines first: `mlsys demo` (or `mlsys backfill {n}`, "
            f"`mlsys daily {n} --catch-up`, `mlsys train {n}`, `mlsys infer {n}`)")


def user_errors(fn: F) -> F:
    """Wrap an event handler so failures reach the UI as a readable ``gr.Error``.

    An :class:`~mlsys.errors.MlsysError` shows its own message (it names the bad value and the
    fix). Anything else is a bug: it is logged with its traceback on the server, and the user
    sees one sentence, never the trace.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except MlsysError as err:
            raise gr.Error(str(err), print_exception=False) from None
        except Exception as err:
            log.exception("app handler %s failed", getattr(fn, "__name__", fn))
            raise gr.Error(f"internal error ({type(err).__name__}); the server log has the "
                           "details", print_exception=False) from None

    return wrapper  # type: ignore[return-value]


def served_model(cache: ModelCache, system: System) -> LoadedModel:
    """The cached best model; an empty registry says which pipelines to run."""
    try:
        return cache.get()
    except (PipelineError, NotFoundError) as err:
        raise PipelineError(f"no {system.name} model to serve yet ({err}); "
                            f"{pipelines_hint(system)}") from None


def model_status(cache: ModelCache, system: System) -> str:
    """One Markdown line: the model in service, or how to get one (never raises)."""
    try:
        model = cache.get()
    except IntegrityError as err:
        # a registered model whose files changed: say so, "register one" would mislead
        log.warning("refusing the %s model: %s", system.name, err)
        return (f"**The {system.name} model cannot be served** — {err} Retrain it "
                f"(`mlsys train {system.name}`) or restore the store from a backup.")
    except MlsysError as err:
        log.info("no model for %s yet: %s", system.name, err)
        return f"**No {system.name} model registered yet** — {pipelines_hint(system)}."
    from mlsys.quality import describe_quality

    figures = describe_quality(model.metrics)
    score = f", held-out {figures}" if figures else ""
    return f"Model in service: **{model.name} v{model.version}**{score}."


def launch_options(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """``server_name`` / ``server_port`` for ``Blocks.launch`` from ``--host`` / ``--port``,
    else ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT``, else 127.0.0.1:7860."""
    parser = argparse.ArgumentParser(description="Run the app (a Gradio server).")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", DEFAULT_HOST),
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int,
                        default=int(os.environ.get("GRADIO_SERVER_PORT", DEFAULT_PORT)),
                        help="port (default 7860)")
    args = parser.parse_args(argv)
    return {"server_name": args.host, "server_port": args.port}
