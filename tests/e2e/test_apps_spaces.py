"""The Hugging Face Space folders: front matter, requirements, thin app.py; one runs for real."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import gradio as gr
import httpx
import pytest
import yaml
from apps_support import Store, connect, free_port
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from s3_server import S3Server

from mlsys.apps import APPS, build_app
from mlsys.apps.common import launch_options
from mlsys.apps.space import sdk_version, space_requirements
from mlsys.errors import NotFoundError

ROOT = Path(__file__).resolve().parents[2]
SPACES = ROOT / "spaces"
HF_COLOURS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}


# Every field of the Spaces configuration reference (huggingface.co/docs/hub/
# spaces-config-reference) with its type; a Space with any other key or type is misconfigured.
SPACE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "title": str, "emoji": str, "colorFrom": str, "colorTo": str, "sdk": str,
    "python_version": str, "sdk_version": str, "suggested_hardware": str,
    "suggested_storage": str, "app_file": str, "app_port": int, "base_path": str,
    "fullWidth": bool, "header": str, "short_description": str, "models": list,
    "datasets": list, "tags": list, "thumbnail": str, "pinned": bool, "hf_oauth": bool,
    "hf_oauth_scopes": list, "hf_oauth_expiration_minutes": int,
    "hf_oauth_authorized_org": (str, list), "hf_oauth_redirect_path": str,
    "disable_embedding": bool, "startup_duration_timeout": str, "custom_headers": dict,
    "preload_from_hub": list, "license": str,
}
SDKS = {"gradio", "streamlit", "docker", "static"}


def _front_matter(readme: Path) -> dict[str, object]:
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{readme} must start with the Space front matter"
    meta = yaml.safe_load(text[4:text.index("\n---\n", 4)])
    assert isinstance(meta, dict)
    return meta


def _requirement_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _requires_python() -> SpecifierSet:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return SpecifierSet(pyproject["project"]["requires-python"])


def test_every_app_has_a_space_folder() -> None:
    assert sorted(p.name for p in SPACES.iterdir() if p.is_dir()) == sorted(APPS)


@pytest.mark.parametrize("name", sorted(APPS))
def test_space_front_matter_is_a_config_hugging_face_accepts(name: str) -> None:
    meta = _front_matter(SPACES / name / "README.md")
    unknown = sorted(set(meta) - set(SPACE_FIELDS))
    assert not unknown, f"not Space config fields: {unknown}"
    for key, value in meta.items():
        assert isinstance(value, SPACE_FIELDS[key]), f"{key}: {value!r} is not {SPACE_FIELDS[key]}"
    assert meta["sdk"] == "gradio" and meta["sdk"] in SDKS
    assert meta["sdk_version"] == gr.__version__ == sdk_version(SPACES / name)
    python = str(meta["python_version"])
    assert re.fullmatch(r"3\.\d+(\.\d+)?", python), python
    assert python in _requires_python(), f"mlsys needs Python {_requires_python()}, not {python}"
    assert meta["app_file"] == "app.py" and (SPACES / name / "app.py").is_file()
    assert meta["pinned"] is False
    assert meta["title"] and meta["emoji"]
    assert {meta["colorFrom"], meta["colorTo"]} <= HF_COLOURS
    text = (SPACES / name / "README.md").read_text(encoding="utf-8")
    assert "--bundle-store" in text and "MLSYS_HOME=store" in text
    assert "--backend hopsworks" in text and "HOPSWORKS_API_KEY" in text


@pytest.mark.parametrize("name", sorted(APPS))
def test_space_requirements_are_what_mlsys_space_writes(name: str) -> None:
    path = SPACES / name / "requirements.txt"
    assert path.read_text(encoding="utf-8") == space_requirements(name, gr.__version__)
    lines = _requirement_lines(path)
    assert f"gradio=={gr.__version__}" in lines
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ui = [Requirement(r) for r in pyproject["project"]["optional-dependencies"]["ui"]]
    assert all(gr.__version__ in r.specifier for r in ui if r.name == "gradio")
    assert not any("OWNER" in line or line.startswith(("mlsys", "hopsworks")) for line in lines)


@pytest.mark.parametrize("name", sorted(APPS))
def test_space_app_is_a_thin_wrapper_over_its_builder(name: str) -> None:
    module, builder = APPS[name]
    tree = ast.parse((SPACES / name / "app.py").read_text(encoding="utf-8"))
    imported = {(node.module, alias.name) for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert (module, builder) in imported
    assert ("mlsys.apps.common", "launch_options") in imported
    calls = {node.func.attr for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    assert {"login", "launch"} <= calls


def test_unknown_app_lists_the_known_ones(empty_store: Store) -> None:
    with pytest.raises(NotFoundError, match="iris-dashboard"):
        build_app("tulip", empty_store.project())


def test_launch_binds_loopback_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    assert launch_options([]) == {"server_name": "127.0.0.1", "server_port": 7860}
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")  # what Hugging Face Spaces set
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7861")
    assert launch_options([]) == {"server_name": "0.0.0.0", "server_port": 7861}
    assert launch_options(["--host", "127.0.0.1", "--port", "8000"]) == {
        "server_name": "127.0.0.1", "server_port": 8000}


def _clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without store or server settings, plus ``settings``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GRADIO_SERVER", "MLSYS_", "HOPSWORKS_"))}
    return {**env, **settings}


def _serves_setosa(cmd: list[str], cwd: Path, store: Store | dict[str, str], tmp_path: Path,
                   port: int) -> None:
    """Start ``cmd`` as a process on ``port``, predict a clear Setosa over HTTP, stop it.

    ``store`` is a store, or the variables that point the process at one.
    """
    settings = ({"MLSYS_HOME": str(store.home), "MLSYS_BACKEND": "local"}
                if isinstance(store, Store) else store)
    env = _clean_env(**settings, GRADIO_ANALYTICS_ENABLED="False",
                     GRADIO_TEMP_DIR=str(tmp_path / "gradio"))
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the server did not start:\n{log.read_text()}"
            time.sleep(0.3)
        variety, _, _ = connect(url).predict(5.1, 3.5, 1.4, 0.2, api_name="/predict")
        assert variety == "Setosa"
        assert f"http://127.0.0.1:{port}" in log.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_iris_space_runs_as_a_process(iris_store: Store, tmp_path: Path) -> None:
    port = free_port()
    _serves_setosa([sys.executable, "app.py", "--port", str(port)], SPACES / "iris", iris_store,
                   tmp_path, port)


def test_mlsys_serve_runs_the_app(iris_store: Store, tmp_path: Path) -> None:
    port = free_port()
    _serves_setosa([sys.executable, "-m", "mlsys.cli", "serve", "iris", "--port", str(port)],
                   tmp_path, iris_store, tmp_path, port)


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_a_bundled_space_serves_its_store_snapshot_from_its_folder(iris_store: Store,
                                                                  tmp_path: Path) -> None:
    home = iris_store.copy(tmp_path / "home").home
    project = home / "mlsys"
    kept = {f for f in _files(project)
            if not re.search(r"(^|/)\.|\.lock$|-(wal|shm)$", f)}
    # what must stay on this machine: other projects, files beside them, leftovers of
    # interrupted saves, locks
    (home / "other").mkdir()
    (home / "other" / "catalog.sqlite").write_bytes(b"")
    (home / "notes.env").write_text("HOPSWORKS_API_KEY=hw_not_for_the_space\n")
    (project / "models" / "iris_model" / ".staging-dead").mkdir()
    (project / "models" / "iris_model" / ".staging-dead" / "model.pkl").write_bytes(b"half")
    (project / "datasets" / ".mlsys-staging-dead").mkdir()
    catalog = (project / "catalog.sqlite").read_bytes()

    out = tmp_path / "space"
    done = subprocess.run([sys.executable, "-m", "mlsys.cli", "space", "iris", "--out", str(out),
                           "--bundle-store"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=_clean_env(MLSYS_HOME=str(home)))
    assert done.returncode == 0, done.stderr
    variables = dict(v.split("=", 1) for v in
                     done.stdout.split("Space variables:")[1].split())
    assert variables == {"MLSYS_BACKEND": "local", "MLSYS_HOME": "store",
                         "MLSYS_PROJECT": "mlsys"}
    assert sorted(p.name for p in (out / "store").iterdir()) == ["mlsys"]
    snapshot = out / "store" / "mlsys"
    assert _files(snapshot) == kept  # the whole project, and only it
    assert b"hw_not_for_the_space" not in b"".join(
        p.read_bytes() for p in out.rglob("*") if p.is_file())

    # Hugging Face runs `python app.py` in the folder: the bundled mlsys is the one imported
    which = subprocess.run([sys.executable, "-c", "import mlsys; print(mlsys.__file__)"],
                           cwd=out, capture_output=True, text=True, timeout=60,
                           env=_clean_env())
    assert Path(which.stdout.strip()).resolve().is_relative_to(out.resolve()), which
    port = free_port()
    _serves_setosa([sys.executable, "app.py", "--port", str(port)], out, variables, tmp_path,
                   port)
    assert (project / "catalog.sqlite").read_bytes() == catalog  # the Space only read its copy


def _bucket_state(bucket: str) -> dict[str, tuple[str, str]]:
    """Every object of ``bucket`` with its ETag and modification time (a rewrite changes the
    time even when the bytes are the same)."""
    import obstore
    from obstore.store import S3Store

    store = S3Store(bucket, client_options={"allow_http": True})
    return {str(m["path"]): (str(m["e_tag"]), str(m["last_modified"]))
            for page in obstore.list(store) for m in page}


def test_a_bucket_space_serves_the_pipelines_bucket_and_only_reads_it(
        s3_server: S3Server, s3_bucket: str, tmp_path: Path) -> None:
    home = f"s3://{s3_bucket}/store"
    pipelines = _clean_env(**s3_server.env(), MLSYS_HOME=home,
                           MLSYS_CACHE=str(tmp_path / "pipelines-cache"))
    for step in (["backfill", "iris"], ["train", "iris"]):
        done = subprocess.run([sys.executable, "-m", "mlsys.cli", *step], cwd=tmp_path,
                              env=pipelines, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]

    out = tmp_path / "space"
    done = subprocess.run([sys.executable, "-m", "mlsys.cli", "space", "iris", "--out",
                           str(out), "--bucket"], cwd=tmp_path, env=pipelines,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    variables = dict(v.split("=", 1) for v in
                     done.stdout.split("Space variables:")[1].split("\n")[0].split())
    assert variables == {"MLSYS_BACKEND": "local", "MLSYS_HOME": home, "MLSYS_PROJECT": "mlsys",
                         "AWS_ENDPOINT_URL": s3_server.endpoint, "AWS_REGION": "us-east-1"}
    secrets_line = done.stdout.split("Space secrets to add")[1]
    assert "only read the bucket" in secrets_line
    assert "AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY" in secrets_line
    assert s3_server.env()["AWS_SECRET_ACCESS_KEY"] not in done.stdout + done.stderr
    assert "obstore" in (out / "requirements.txt").read_text()
    assert not (out / "store").exists()

    before = _bucket_state(s3_bucket)
    keys = {k: s3_server.env()[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    space = {**variables, **keys, "MLSYS_CACHE": str(tmp_path / "space-cache")}
    port = free_port()
    _serves_setosa([sys.executable, "app.py", "--port", str(port)], out, space, tmp_path, port)
    assert _bucket_state(s3_bucket) == before  # read access is all a Space needs
