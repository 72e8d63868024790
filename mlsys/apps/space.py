"""A ready-to-push Hugging Face Space: one ``spaces/<app>`` folder with mlsys, its requirements and
optionally a snapshot of the local store.

Hugging Face builds a Gradio Space by installing ``requirements.txt`` alone (mounted into the
image before the folder is copied) together with ``gradio[oauth,mcp]==<sdk_version>``, then runs
``python app.py`` in the folder. So mlsys reaches the Space in one of two ways: its source copied
beside ``app.py`` (the default; ``python app.py`` imports it from there) with its dependencies
listed in ``requirements.txt``, or ``mlsys @ <source>`` in ``requirements.txt`` for pip to fetch.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from mlsys.errors import (
    BackendUnavailableError,
    ConfigurationError,
    InvalidArgumentError,
    NotFoundError,
)
from mlsys.extras import missing_extra

BACKENDS = ("local", "hopsworks")
STORE_DIR = "store"
"""Where ``--bundle-store`` puts the snapshot inside the Space (the Space's ``MLSYS_HOME``)."""

# What pip accepts after "mlsys @ " in a Space's requirements.txt: a VCS or archive URL.
_SOURCE = re.compile(r"^(git\+https://|https://)[^\s#;]+$")
_SPACE_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
_SDK_VERSION = re.compile(r"^sdk_version:\s*[\"']?([^\"'\s]+)[\"']?\s*$", re.MULTILINE)
# the parts of a local project a Space reads (see mlsys.store.local); anything else stays home
_SQLITE_SUFFIXES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class SpaceBundle:
    """A Space folder written by :func:`bundle_space`.

    ``installs`` says how the Space gets mlsys; ``variables`` are the Space variables it needs
    (set by :func:`push_space`, or by hand in the Space settings).
    """

    app: str
    path: Path
    installs: str
    backend: str
    store: Path | None = None
    variables: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()  # the Space secrets to add by hand (never written or sent)


def spaces_dir() -> Path:
    """The ``spaces/`` folder of the checkout this mlsys was installed from (editable or not)."""
    found = Path(__file__).resolve().parents[2] / "spaces"
    if not found.is_dir():
        raise ConfigurationError(
            f"no spaces/ folder next to the mlsys package ({found}); the Space folders ship with "
            "the repository, so run this from a clone (pip install -e .) or pass the folder "
            "with --spaces")
    return found


def sdk_version(folder: Path) -> str:
    """The Gradio version a Space folder's README front matter asks Hugging Face for."""
    readme = folder / "README.md"
    found = _SDK_VERSION.search(readme.read_text(encoding="utf-8")) if readme.is_file() else None
    if found is None:
        raise ConfigurationError(f"{readme} has no 'sdk_version:' in its front matter")
    return found.group(1)


def _dependencies(extra: str | None) -> list[str]:
    """mlsys's own requirements (``extra=None``) or those of one extra, markers removed."""
    from packaging.requirements import Requirement

    wanted = []
    for text in metadata.requires("mlsys") or []:
        req = Requirement(text)
        in_extra = req.marker is not None and req.marker.evaluate({"extra": extra or ""})
        if (extra is None and req.marker is None) or (extra is not None and in_extra):
            req.marker = None
            wanted.append(str(req))
    return wanted


BUCKET_SECRETS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
"""What a Space reading a bucket needs as secrets: keys that can only read the bucket."""
_BUCKET_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION",
                     "AWS_DEFAULT_REGION")


def bucket_variables(home: str, project: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The Space variables of a Space that reads the store in the bucket ``home``
    (``s3://bucket/prefix``): where the store is, and the endpoint and region ``environ`` sets
    (not secrets; the keys are :data:`BUCKET_SECRETS`, added by hand)."""
    found = {k: environ[k] for k in _BUCKET_VARIABLES if environ.get(k)}
    return {"MLSYS_HOME": home, "MLSYS_PROJECT": project, **found}


def space_requirements(app: str, gradio: str, backend: str = "local",
                       source: str | None = None, bucket: bool = False) -> str:
    """The ``requirements.txt`` of ``app``'s Space: what pip installs beside Gradio ``gradio``.

    Without ``source`` mlsys is bundled as source and only its dependencies are listed; the
    Hopsworks SDK only for the ``hopsworks`` backend (it pins an older pandas and is large),
    the object-store client only for a Space that reads a ``bucket``.
    """
    if backend not in BACKENDS:
        raise InvalidArgumentError(
            f"backend {backend!r} is not known; use one of {', '.join(BACKENDS)}")
    lines = [f"# written by `mlsys space {app}` for the {backend} backend; Hugging Face "
             "installs it with the Gradio of sdk_version (README.md)"]
    extras = ["hopsworks"] if backend == "hopsworks" else []
    extras += ["s3"] if bucket else []
    if source is not None:
        lines.append(f"mlsys[{','.join(['ui', *extras])}] @ {source}")
    else:
        lines.append("# mlsys itself is the mlsys/ folder beside app.py; these are its "
                     "dependencies")
        lines += _dependencies(None)
        for extra in extras:
            lines += _dependencies(extra)
    lines.append(f"gradio=={gradio}")
    return "\n".join(lines) + "\n"


def _copy_package(dest: Path) -> None:
    """mlsys's package as a wheel lays it out (with ``expectations/`` inside) into ``dest``."""
    import mlsys

    package = Path(mlsys.__file__).resolve().parent
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    shutil.copytree(package, dest, ignore=junk)
    if not (dest / "expectations").is_dir():
        suites = package.parent / "expectations"  # a source checkout keeps them at the top
        if not suites.is_dir():
            raise ConfigurationError(
                f"no expectation suites next to {package}; bundle from a clone of mlsys")
        shutil.copytree(suites, dest / "expectations", ignore=junk)


def _copy_sqlite(source: Path, dest: Path) -> None:
    """A consistent copy of a SQLite database (WAL included) as one self-contained file."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    out = sqlite3.connect(dest)
    try:
        src.backup(out)
        out.execute("PRAGMA journal_mode = DELETE")  # no -wal file to ship beside it
    finally:
        out.close()
        src.close()


def _skipped(name: str) -> bool:
    """Locks, SQLite sidecars, temporary and staging files (``.staging-*``) are not the store."""
    return (name.startswith(".") or name.endswith((".lock", ".tmp", *_SQLITE_SUFFIXES))
            or name == "__pycache__")


def _ignore_skipped(_: str, names: list[str]) -> list[str]:
    return [n for n in names if _skipped(n)]


def snapshot_store(root: Path, dest: Path) -> Path:
    """Copy the local project at ``root`` (``<MLSYS_HOME>/<project>``) to ``dest``.

    Only what a project is made of travels (catalog, Delta tables, online stores, models,
    datasets); locks, staging directories of interrupted saves and SQLite sidecars do not, and
    nothing outside ``root``. SQLite files are copied through SQLite's backup API and Delta
    logs before their data files, so a snapshot taken beside a writer is still consistent.
    """
    if not (root / "catalog.sqlite").is_file():
        raise ConfigurationError(
            f"no local store at {root}: point MLSYS_HOME (and MLSYS_PROJECT) at the store to "
            "bundle, or make one first with `mlsys demo`")
    dest.mkdir(parents=True)
    _copy_sqlite(root / "catalog.sqlite", dest / "catalog.sqlite")
    for part in ("feature_store", "online", "models", "datasets"):
        (dest / part).mkdir()
        if not (root / part).is_dir():
            continue
        for item in sorted((root / part).iterdir()):
            target = dest / part / item.name
            if _skipped(item.name):
                continue
            if item.is_file() and item.suffix == ".sqlite":
                _copy_sqlite(item, target)
            elif item.is_file():
                shutil.copy2(item, target)
            elif (item / "_delta_log").is_dir():
                shutil.copytree(item / "_delta_log", target / "_delta_log",
                                ignore=_ignore_skipped)
                shutil.copytree(item, target, ignore=_ignore_skipped, dirs_exist_ok=True)
            else:
                shutil.copytree(item, target, ignore=_ignore_skipped)
    return dest


def bundle_space(app: str, out: Path, source: str | None = None, spaces: Path | None = None,
                 backend: str = "local", store: Path | None = None,
                 bucket: dict[str, str] | None = None) -> SpaceBundle:
    """Write ``app``'s Space to ``out``: ``spaces/<app>`` with requirements for ``backend``.

    ``source`` (e.g. ``git+https://github.com/me/mlsys.git@<commit>``) makes the Space install
    mlsys with pip; without it mlsys's source is copied into the folder. ``store`` (a local
    project directory, ``<MLSYS_HOME>/<project>``) is copied in as ``store/<project>`` for a
    Space without Hopsworks; ``bucket`` (:func:`bucket_variables`) makes it read the store in
    a bucket instead, with read-only keys as its secrets. ``out`` must not exist or be empty;
    it appears whole or not at all (the folder is written next to it and renamed into place),
    so a failed bundle leaves nothing to push.
    """
    from mlsys.apps import APPS

    if app not in APPS:
        raise NotFoundError("app", app, APPS)
    if source is not None and not _SOURCE.match(source):
        raise InvalidArgumentError(
            f"source {source!r} is not a URL pip can install mlsys from; use e.g. "
            "'git+https://github.com/<owner>/mlsys.git@<commit or tag>', or leave it out to "
            "bundle mlsys's source")
    folder = (spaces or spaces_dir()) / app
    if not (folder / "app.py").is_file():
        raise ConfigurationError(f"{folder} is not a Space folder (no app.py)")
    requirements = space_requirements(app, sdk_version(folder), backend, source,
                                      bucket=bucket is not None)
    if (store is not None or bucket is not None) and backend != "local":
        raise InvalidArgumentError(
            "a bundled store or a bucket is for a Space on the local backend; a Hopsworks "
            "Space reads its project (drop --bundle-store / --bucket or use --backend local)")
    if store is not None and bucket is not None:
        raise InvalidArgumentError(
            "a Space reads either a bundled snapshot or the bucket; drop --bundle-store or "
            "--bucket")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidArgumentError(
            f"output {str(out)!r} exists and is not an empty folder; pick a new path or remove it")

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        work = staging / app
        shutil.copytree(folder, work, ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", "flagged", ".gradio", STORE_DIR, "mlsys"))
        (work / "requirements.txt").write_text(requirements, encoding="utf-8")
        if source is None:
            _copy_package(work / "mlsys")
        variables = {"MLSYS_BACKEND": backend}
        if store is not None:
            snapshot_store(store, work / STORE_DIR / store.name)
            variables.update(MLSYS_HOME=STORE_DIR, MLSYS_PROJECT=store.name)
        variables.update(bucket or {})
        if out.exists():
            out.rmdir()  # empty, checked above
        work.replace(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    installs = f"mlsys @ {source}" if source else "mlsys from its bundled source (./mlsys)"
    secrets = (BUCKET_SECRETS if bucket is not None
               else ("HOPSWORKS_API_KEY",) if backend == "hopsworks" else ())
    return SpaceBundle(app, out, installs, backend,
                       out / STORE_DIR / store.name if store is not None else None, variables,
                       secrets)


def check_push_target(space_id: str, token: str | None) -> None:
    """Refuse a malformed Space id or a missing token before anything is written or sent."""
    if not _SPACE_ID.match(space_id):
        raise InvalidArgumentError(
            f"Space {space_id!r} is not 'owner/name' (letters, digits, '-', '_', '.')")
    if not token:
        raise ConfigurationError(
            "no Hugging Face token: set HF_TOKEN to a write token (huggingface.co/settings/tokens)")


def push_space(bundle: SpaceBundle, space_id: str, token: str | None) -> str:
    """Upload ``bundle`` to the Hugging Face Space ``space_id`` (``owner/name``, created as a
    Gradio Space when missing), set its Space variables, and return its URL. ``token`` is a
    Hugging Face write token."""
    check_push_target(space_id, token)
    assert token  # checked above; for the type checker
    try:
        from huggingface_hub import HfApi
    except ImportError as err:
        raise missing_extra(err, "pushing a Space") or err from None
    api = HfApi(token=token)
    try:
        api.create_repo(space_id, repo_type="space", space_sdk="gradio", exist_ok=True)
        for key, value in bundle.variables.items():
            api.add_space_variable(space_id, key, value)
        api.upload_folder(repo_id=space_id, folder_path=bundle.path, repo_type="space",
                          commit_message=f"mlsys space {bundle.app}")
    except Exception as err:  # huggingface_hub raises HTTP, offline and auth errors alike
        # the token is never part of the message: only the error's type and text
        raise BackendUnavailableError(
            f"could not push {bundle.path} to Space {space_id!r}: {type(err).__name__}: "
            f"{str(err).replace(token, '***')}") from None
    return f"https://huggingface.co/spaces/{space_id}"


__all__ = ["BACKENDS", "BUCKET_SECRETS", "STORE_DIR", "SpaceBundle", "bucket_variables",
           "bundle_space", "check_push_target",
           "push_space", "sdk_version", "snapshot_store", "space_requirements", "spaces_dir"]
