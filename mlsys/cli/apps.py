"""The app verbs: serve one Gradio app, the store's web console (ui), and a Hugging Face Space."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from mlsys.cli.common import AppName, app, out_folder, project, run_call, say


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

    run_call(lambda: check_port_free(host, port))
    builder = run_call(lambda: load_app_builder(name.value))
    blocks = run_call(lambda: builder(project(create=False)))
    run_call(lambda: launch(blocks, host, port))


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

    run_call(lambda: check_port_free(host, port))
    run_call(lambda: serve_console(project(create=False), host, port, announce=say))


class SpaceBackend(StrEnum):
    local = "local"
    hopsworks = "hopsworks"


@app.command()
def space(
    name: AppName,
    out: Annotated[Path, typer.Option(help="New folder to write the Space into",
                                      callback=out_folder)],
    source: Annotated[str | None, typer.Option(
        help="Install mlsys from this git+https:// or https:// URL instead of bundling its "
        "source")] = None,
    backend: Annotated[SpaceBackend, typer.Option(
        help="The store the Space reads; only hopsworks installs the Hopsworks SDK")
    ] = SpaceBackend.local,
    bundle_store: Annotated[bool, typer.Option(
        "--bundle-store", help="Ship a snapshot of the local project of MLSYS_HOME with it")
    ] = False,
    bucket: Annotated[bool, typer.Option(
        "--bucket", help="Read the store in the bucket MLSYS_HOME names (s3://...), with "
        "read-only keys added as Space secrets")] = False,
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

    from mlsys.apps.space import bucket_variables, bundle_space, check_push_target, push_space
    from mlsys.config import Settings

    token = os.environ.get("HF_TOKEN")
    if push is not None:
        run_call(lambda: check_push_target(push, token))
    store = None
    reads = None
    if bucket:
        settings = run_call(lambda: Settings.from_env(backend="local"))
        if not isinstance(settings.home, str):
            raise typer.BadParameter(
                f"MLSYS_HOME is the folder {settings.home}, not a bucket; set "
                "MLSYS_HOME=s3://bucket/prefix (the store the pipelines write), or use "
                "--bundle-store to ship a snapshot of the folder", param_hint="--bucket")
        reads = bucket_variables(settings.home, settings.project, os.environ)
    if bundle_store:
        settings = run_call(lambda: Settings.from_env(backend="local"))
        if isinstance(settings.home, str):
            raise typer.BadParameter(
                f"the store is in a bucket ({settings.home}); a Space reads the bucket itself, "
                "so leave out --bundle-store and give the Space the MLSYS_HOME and read-only "
                "AWS keys as variables and secrets", param_hint="--bundle-store")
        store = settings.home / settings.project
    r = run_call(lambda: bundle_space(name.value, out, source, spaces, backend.value, store,
                                      reads))
    say(f"{r.path} (installs {r.installs})")
    if r.store is not None:
        say(f"  with a snapshot of {store} in {r.store}")
    say("  Space variables: " + " ".join(f"{k}={v}" for k, v in r.variables.items()))
    if r.secrets:
        what = " (keys that can only read the bucket)" if bucket else ""
        say(f"  Space secrets to add in its settings{what}: " + " ".join(r.secrets))
    if push is not None:
        say(run_call(lambda: push_space(r, push, token)))
