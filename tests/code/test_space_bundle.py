"""`mlsys space`: a Space folder with mlsys bundled (or pinned to a URL), written whole or not at
all; the Hopsworks SDK only for a Hopsworks Space; pushing fails cleanly without a token or a
reachable Hub, and never prints the token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mlsys
from mlsys.apps import APPS
from mlsys.apps.space import bundle_space, sdk_version, space_requirements, spaces_dir
from mlsys.errors import ConfigurationError, InvalidArgumentError, NotFoundError

SOURCE = "git+https://github.com/someone/mlsys.git@0123abcd"
SPACES = spaces_dir()


@pytest.mark.parametrize("app", sorted(APPS))
def test_bundle_copies_the_folder_and_mlsys_beside_app_py(app: str, tmp_path: Path) -> None:
    out = tmp_path / "space"
    bundle = bundle_space(app, out, spaces=SPACES)
    assert bundle.path == out and bundle.backend == "local" and bundle.store is None
    assert "bundled source" in bundle.installs
    template = SPACES / app
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [p.name for p in template.iterdir() if p.name != "__pycache__"] + ["mlsys"])
    for name in ("app.py", "README.md", "requirements.txt"):
        assert (out / name).read_bytes() == (template / name).read_bytes()
    package = Path(mlsys.__file__).resolve().parent
    shipped = {p.relative_to(out / "mlsys").as_posix() for p in (out / "mlsys").rglob("*.py")}
    assert shipped == {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    assert (out / "mlsys" / "expectations" / "iris.json").is_file()  # laid out as in the wheel
    assert (out / "mlsys" / "data" / "wine.csv").is_file()
    assert not list(out.rglob("__pycache__")) and not list(out.rglob("*.pyc"))
    assert bundle.variables == {"MLSYS_BACKEND": "local"}


def test_source_is_pinned_instead_of_bundled(tmp_path: Path) -> None:
    bundle = bundle_space("wine", tmp_path / "space", SOURCE, spaces=SPACES)
    lines = (bundle.path / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert f"mlsys[ui] @ {SOURCE}" in lines and f"gradio=={sdk_version(SPACES / 'wine')}" in lines
    assert not (bundle.path / "mlsys").exists()
    assert not any(line.startswith("hopsworks") for line in lines)


def test_only_a_hopsworks_space_installs_the_sdk(tmp_path: Path) -> None:
    local = space_requirements("iris", "6.31.0")
    assert "hopsworks" not in local.split("\n", 1)[1]  # the header names the backend only
    hops = bundle_space("iris", tmp_path / "h", spaces=SPACES, backend="hopsworks")
    lines = (hops.path / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("hopsworks[python]") for line in lines), lines
    assert hops.variables == {"MLSYS_BACKEND": "hopsworks"}
    pinned = bundle_space("iris", tmp_path / "s", SOURCE, spaces=SPACES, backend="hopsworks")
    assert f"mlsys[ui,hopsworks] @ {SOURCE}" in (pinned.path / "requirements.txt").read_text()


@pytest.mark.parametrize(("app", "source", "error", "words"), [
    ("tulip", SOURCE, NotFoundError, "iris-dashboard"),
    ("iris", "mlsys; rm -rf /", InvalidArgumentError, "git+https://"),
    ("iris", "file:///etc/passwd", InvalidArgumentError, "not a URL pip can install"),
    ("iris", "", InvalidArgumentError, "not a URL"),
])
def test_bad_arguments_write_nothing(app: str, source: str, error: type[Exception], words: str,
                                     tmp_path: Path) -> None:
    with pytest.raises(error, match=words.replace("+", r"\+")):
        bundle_space(app, tmp_path / "space", source)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("backend", "store", "error", "words"), [
    ("hopsworks", "home/mlsys", InvalidArgumentError, "bundled store or a bucket is for a Space"),
    ("sqlite", None, InvalidArgumentError, "backend 'sqlite' is not known"),
    ("local", "nowhere/mlsys", ConfigurationError, "no local store at"),
])
def test_bad_backend_or_store_writes_nothing(backend: str, store: str | None,
                                             error: type[Exception], words: str,
                                             tmp_path: Path) -> None:
    with pytest.raises(error, match=words):
        bundle_space("iris", tmp_path / "space", backend=backend,
                     store=tmp_path / store if store else None)
    assert list(tmp_path.iterdir()) == []


def test_a_used_output_folder_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "space"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(InvalidArgumentError, match="not an empty folder"):
        bundle_space("iris", out, SOURCE)
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["space"]  # no staging left behind
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (bundle_space("iris", empty, SOURCE).path / "app.py").is_file()


def _cli(tmp_path: Path, *args: str, token: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    # a closed local port and offline mode: the push must fail without touching the network
    env.update(HF_HUB_OFFLINE="1", HF_ENDPOINT="http://127.0.0.1:9", HF_HOME=str(tmp_path / "hf"))
    if token is not None:
        env["HF_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "mlsys.cli", "space", *args], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_push_without_a_token_or_with_a_bad_id_exits_2_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "space"
    r = _cli(tmp_path, "iris", "--out", str(out), "--source", SOURCE, "--push", "me/iris",
             token=None)
    assert r.returncode == 2 and "HF_TOKEN" in r.stderr, r.stderr
    r = _cli(tmp_path, "iris", "--out", str(out), "--source", SOURCE, "--push", "../x",
             token="hf_x")
    assert r.returncode == 2 and "'../x' is not 'owner/name'" in r.stderr, r.stderr
    assert not out.exists()


def test_a_failed_push_exits_1_and_never_shows_the_token(tmp_path: Path) -> None:
    sentinel = "hf_SENTINEL_do_not_print_7f3a"
    out = tmp_path / "space"
    r = _cli(tmp_path, "wine", "--out", str(out), "--source", SOURCE, "--push", "me/wine",
             token=sentinel)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "could not push" in r.stderr and "'me/wine'" in r.stderr
    assert sentinel not in r.stdout + r.stderr
    assert (out / "app.py").is_file()  # the folder is there to push by hand


def test_a_bucket_space_lists_the_object_store_client_and_the_secrets_to_add(
        tmp_path: Path) -> None:
    bucket = {"MLSYS_HOME": "s3://team/store", "MLSYS_PROJECT": "mlsys"}
    bundle = bundle_space("iris", tmp_path / "space", spaces=SPACES, bucket=bucket)
    assert bundle.variables == {"MLSYS_BACKEND": "local", **bucket}
    assert bundle.secrets == ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    assert "obstore" in (bundle.path / "requirements.txt").read_text()
    assert "obstore" not in space_requirements("iris", "6.31.0")
    assert "mlsys[ui,s3] @ " in space_requirements("iris", "6.31.0", source=SOURCE, bucket=True)
    with pytest.raises(InvalidArgumentError, match="either a bundled snapshot or the bucket"):
        bundle_space("iris", tmp_path / "both", spaces=SPACES, bucket=bucket,
                     store=tmp_path / "space")
    assert not (tmp_path / "both").exists()


def test_space_bucket_with_a_folder_store_says_how_to_name_the_bucket(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSYS_")}
    done = subprocess.run([sys.executable, "-m", "mlsys.cli", "space", "iris", "--out",
                           str(tmp_path / "space"), "--bucket"], cwd=tmp_path,
                          env={**env, "MLSYS_HOME": str(tmp_path / "home")},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "not a bucket; set MLSYS_HOME=s3://bucket/prefix" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr and not (tmp_path / "space").exists()
