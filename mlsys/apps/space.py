"""A ready-to-push Hugging Face Space: one ``spaces/<app>`` folder with mlsys pinned to a source."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlsys.errors import (
    BackendUnavailableError,
    ConfigurationError,
    InvalidArgumentError,
    NotFoundError,
)

EXTRAS = "ui,hopsworks"
"""The mlsys extras a Space installs: Gradio for the app, the SDK for a Hopsworks-backed store."""

# What pip accepts after "mlsys[...] @ " in a Space's requirements.txt: a VCS or archive URL.
_SOURCE = re.compile(r"^(git\+https://|https://)[^\s#;]+$")
_REQUIREMENT = re.compile(r"^mlsys\[[^\]]*\]\s*@\s*\S+\s*$")
_SPACE_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")


@dataclass(frozen=True)
class SpaceBundle:
    """A Space folder written by :func:`bundle_space`: where, and the mlsys line it installs."""

    app: str
    path: Path
    requirement: str


def spaces_dir() -> Path:
    """The ``spaces/`` folder of the checkout this mlsys was installed from (editable or not)."""
    found = Path(__file__).resolve().parents[2] / "spaces"
    if not found.is_dir():
        raise ConfigurationError(
            f"no spaces/ folder next to the mlsys package ({found}); the Space folders ship with "
            "the repository, so run this from a clone (pip install -e .) or pass the folder "
            "with --spaces")
    return found


def bundle_space(app: str, out: Path, source: str, spaces: Path | None = None) -> SpaceBundle:
    """Copy ``spaces/<app>`` to ``out`` with its mlsys requirement pinned to ``source``.

    ``source`` is what pip installs mlsys from, e.g.
    ``git+https://github.com/me/mlsys.git@<commit>``. Everything else in the folder is copied
    as is. ``out`` must not exist or be empty; it appears whole or not at all (the copy is
    written next to it and renamed into place), so a failed bundle leaves nothing to push.
    """
    from mlsys.apps import APPS

    if app not in APPS:
        raise NotFoundError("app", app, APPS)
    if not _SOURCE.match(source):
        raise InvalidArgumentError(
            f"source {source!r} is not a URL pip can install mlsys from; use e.g. "
            "'git+https://github.com/<owner>/mlsys.git@<commit or tag>'")
    folder = (spaces or spaces_dir()) / app
    if not (folder / "app.py").is_file():
        raise ConfigurationError(f"{folder} is not a Space folder (no app.py)")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidArgumentError(
            f"output {str(out)!r} exists and is not an empty folder; pick a new path or remove it")

    requirement = f"mlsys[{EXTRAS}] @ {source}"
    lines = (folder / "requirements.txt").read_text(encoding="utf-8").splitlines()
    # the template's comments tell a reader to replace OWNER by hand: done here, so drop them
    pinned = [f"# written by `mlsys space {app}` from spaces/{app}"] + [
        requirement if _REQUIREMENT.match(line.strip()) else line for line in lines
        if not (line.lstrip().startswith("#") and "OWNER" in line)]
    if requirement not in pinned:
        raise ConfigurationError(
            f"{folder / 'requirements.txt'} has no 'mlsys[...] @ <url>' line to pin")

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        work = staging / app
        shutil.copytree(folder, work, ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", "flagged", ".gradio"))
        (work / "requirements.txt").write_text("\n".join(pinned) + "\n", encoding="utf-8")
        if out.exists():
            out.rmdir()  # empty, checked above
        work.replace(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return SpaceBundle(app, out, requirement)


def check_push_target(space_id: str, token: str | None) -> None:
    """Refuse a malformed Space id or a missing token before anything is written or sent."""
    if not _SPACE_ID.match(space_id):
        raise InvalidArgumentError(
            f"Space {space_id!r} is not 'owner/name' (letters, digits, '-', '_', '.')")
    if not token:
        raise ConfigurationError(
            "no Hugging Face token: set HF_TOKEN to a write token (huggingface.co/settings/tokens)")


def push_space(folder: Path, space_id: str, token: str | None) -> str:
    """Upload ``folder`` to the Hugging Face Space ``space_id`` (``owner/name``, created as a
    Gradio Space when missing) and return its URL. ``token`` is a Hugging Face write token."""
    check_push_target(space_id, token)
    assert token  # checked above; for the type checker
    try:
        from huggingface_hub import HfApi
    except ImportError:
        raise ConfigurationError(
            "pushing a Space needs huggingface_hub: pip install 'mlsys[ui]'") from None
    api = HfApi(token=token)
    try:
        api.create_repo(space_id, repo_type="space", space_sdk="gradio", exist_ok=True)
        api.upload_folder(repo_id=space_id, folder_path=folder, repo_type="space",
                          commit_message=f"mlsys space {Path(folder).name}")
    except Exception as err:  # huggingface_hub raises HTTP, offline and auth errors alike
        # the token is never part of the message: only the error's type and text
        raise BackendUnavailableError(
            f"could not push {folder} to Space {space_id!r}: {type(err).__name__}: "
            f"{str(err).replace(token, '***')}") from None
    return f"https://huggingface.co/spaces/{space_id}"


__all__ = ["EXTRAS", "SpaceBundle", "bundle_space", "check_push_target", "push_space", "spaces_dir"]
