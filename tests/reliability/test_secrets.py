"""Secrets never leak: a sentinel HOPSWORKS_API_KEY (and other credentials) set while everything
runs never appears in the store, reports, downloads, logs, output or exception messages; and
the same for a store in a bucket (moto's S3 server), whose every object is read back and
searched, with the AWS secret key and session token set to sentinels while the pipelines, the
CLI and the ways a bucket store fails (no such bucket, refused keys, no key id, no server,
credentials in MLSYS_HOME) run.

The search itself is proven able to fail: a control file holding the sentinel is found, and a
piece of a secret (as a URL split at a '/' of the key would show it) is found too.
"""

from __future__ import annotations

import logging
import re
import secrets
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from rel_support import child_env
from s3_server import ACCESS_KEY, SECRET_KEY, S3Server
from typer.testing import CliRunner

import mlsys
from benchmarks.s3 import start_server
from mlsys.cli import app
from mlsys.errors import BackendUnavailableError, MlsysError
from mlsys.pipelines.backfill import backfill
from mlsys.pipelines.daily import daily
from mlsys.pipelines.infer import infer
from mlsys.pipelines.train import train
from mlsys.pipelines.validate import validate_all
from mlsys.store.local.objects import BucketObjects
from mlsys.store.local.project import LocalProject
from mlsys.systems import get_system

KEY = f"hwkey-{secrets.token_hex(12)}"
# an AWS-like secret key: 40 characters with a '/' and a '+' (which end a URL's host part early)
AWS_SECRET = f"{secrets.token_hex(10)}/{secrets.token_hex(9)}+x"
OTHERS = {"AWS_SECRET_ACCESS_KEY": AWS_SECRET,
          "AWS_SESSION_TOKEN": f"token-{secrets.token_hex(12)}",
          "MLSYS_TEST_PASSWORD": f"pw-{secrets.token_hex(12)}"}
SENTINELS = [KEY, *OTHERS.values(), SECRET_KEY]  # SECRET_KEY: the S3 fixtures' own test key
# what is searched for: each secret, and each of its pieces of 8 or more characters between
# punctuation (a message that cut a key at its '/' would hold only the pieces)
NEEDLES = sorted({piece for s in SENTINELS for piece in [s, *re.split(r"[^A-Za-z0-9]", s)]
                  if len(piece) >= 8})


def leaks_in_text(text: str) -> list[str]:
    return [s for s in NEEDLES if s in text]


def leaks_in_tree(root: Path) -> list[str]:
    """Files under ``root`` whose bytes (or name) hold a sentinel."""
    found = []
    for p in root.rglob("*"):
        if leaks_in_text(p.name):
            found.append(str(p))
        elif p.is_file() and not p.is_symlink():
            data = p.read_bytes()
            if leaks_in_bytes(data):
                found.append(str(p))
    return found


def leaks_in_bytes(data: bytes) -> bool:
    return any(s.encode() in data for s in NEEDLES)


@dataclass
class Evidence:
    """Everything a run produced that a secret could leak into."""

    texts: dict[str, str] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)

    def expect_error(self, name: str, call: object) -> MlsysError:
        try:
            call()  # type: ignore[operator]
        except MlsysError as err:
            self.errors.append(err)
            self.texts[f"exception {name}"] = (f"{err!s} {err!r} {err.__cause__!r} "
                                               f"{err.__context__!r}")
            return err
        raise AssertionError(f"{name} did not fail")

    def leaks(self, caplog: pytest.LogCaptureFixture,
              capfd: pytest.CaptureFixture[str]) -> dict[str, list[str]]:
        """The texts (with this test's output and logs) that hold a secret, and which."""
        out, err = capfd.readouterr()
        self.texts["stdout"], self.texts["stderr"], self.texts["logs"] = out, err, caplog.text
        found = {name: leaks_in_text(text) for name, text in self.texts.items()}
        return {name: pieces for name, pieces in found.items() if pieces}


@pytest.fixture
def secret_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Sentinel credentials in the environment; temporary files kept under ``tmp_path``."""
    monkeypatch.setenv("HOPSWORKS_API_KEY", KEY)
    for k, v in OTHERS.items():
        monkeypatch.setenv(k, v)
    home = tmp_path / "store"
    monkeypatch.setenv("MLSYS_HOME", str(home))
    monkeypatch.setenv("MLSYS_BACKEND", "local")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # downloads, model staging ...
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    monkeypatch.chdir(tmp_path)
    yield home


def build_and_use_apps(project: object) -> str:
    """Build every app over the store; call the iris predictor with good and bad input."""
    import gradio as gr
    import matplotlib.pyplot as plt

    from mlsys.apps import APPS, build_app

    seen = []
    for name in APPS:
        demo = build_app(name, project)  # type: ignore[arg-type]
        seen.append(repr(demo.config.get("title")))
        if name == "iris":
            predict = next(f.fn for f in demo.fns.values() if f.api_name == "predict")
            assert predict is not None
            seen.append(repr(predict(5.1, 3.5, 1.4, 0.2)[:2]))
            try:
                predict(-1, 3.5, 1.4, 0.2)
            except gr.Error as err:
                seen.append(str(err.message))
    plt.close("all")
    return "\n".join(seen)


def test_the_search_finds_a_planted_secret(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "config.json").write_text(f'{{"key": "{KEY}"}}')
    assert leaks_in_tree(tmp_path) == [str(tmp_path / "a" / "b" / "config.json")]
    assert leaks_in_text(f"x{OTHERS['AWS_SECRET_ACCESS_KEY']}x")
    first, second = AWS_SECRET.split("/")
    assert leaks_in_text(f"'akid:{first}' is not a bucket name") == [first]  # half a key
    assert leaks_in_text(f"s3://akid/{second}@bucket") == [second.split("+")[0]]
    assert not leaks_in_text(f"{first[:7]} {KEY[:12]}")  # short pieces are no finding


def test_no_secret_in_anything_written(secret_env: Path, tmp_path: Path,
                                       caplog: pytest.LogCaptureFixture,
                                       capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    ev = Evidence()
    iris = get_system("iris")
    end = date(2026, 1, 10)

    # the pipelines, in process
    project = mlsys.login(api_key_value=KEY)  # local ignores Hopsworks options; keeps none
    backfill(project, iris)
    daily(project, iris, day=end, since=end - timedelta(days=4))
    train(project, iris)
    result = infer(project, iris)
    ev.texts["infer result"] = repr(result)
    ev.texts["validate"] = repr(validate_all(project, tmp_path / "reports"))
    ev.texts["project"] = repr(project)
    ev.texts["apps"] = build_and_use_apps(project)
    project.close()

    # the CLI, in process and as a real process
    runner = CliRunner()
    for args in (["status"], ["daily", "iris", "--date", "2026-01-11"],
                 ["report", "--out", str(tmp_path / "cli-reports")],
                 ["daily", "iris", "--since", "2026-02-01", "--date", "2026-01-01"]):
        r = runner.invoke(app, args)
        ev.texts[f"cli {args}"] = r.output + repr(r.exception)
    r = runner.invoke(app, ["status"], env={"MLSYS_BACKEND": "hopsworks"})
    ev.texts["cli hopsworks"] = r.output + repr(r.exception) + str(r.exception)
    env = child_env({"HOPSWORKS_API_KEY": KEY, **OTHERS, "MLSYS_HOME": str(secret_env)})
    for extra in ({}, {"MLSYS_BACKEND": "hopsworks"}):
        done = subprocess.run([sys.executable, "-m", "mlsys.cli", "status"],
                              env={**env, **extra}, capture_output=True, text=True, timeout=120)
        ev.texts[f"process {extra}"] = done.stdout + done.stderr

    # a Hopsworks login that fails here (no SDK): key from the environment, then given
    ev.expect_error("hopsworks login (env key)", lambda: mlsys.login(backend="hopsworks"))
    ev.expect_error("hopsworks login (given key)",
                    lambda: mlsys.login(backend="hopsworks", api_key_value=KEY,
                                        host="c.app.hopsworks.ai"))

    assert ev.leaks(caplog, capfd) == {}, "a secret leaked into output or errors"
    assert leaks_in_tree(tmp_path) == [], "a secret was written to a file"
    # the run really produced what was searched
    assert (secret_env / "mlsys" / "catalog.sqlite").is_file()
    assert list((tmp_path / "reports").rglob("*.html"))
    assert list((tmp_path / "cli-reports").rglob("*.html"))
    assert len(ev.errors) == 2 and caplog.records
    assert "Iris" in ev.texts["apps"] and "must be" in ev.texts["apps"]  # built, and used


# ----------------------------------------------------------------------- a store in a bucket


@pytest.fixture
def bucket_env(s3_bucket: str, secret_env: Path, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> str:
    """The store in a fresh bucket of moto's server, signed with the sentinel secret key and
    session token (moto accepts any); the cache folder under ``tmp_path``. Its bucket name."""
    for k, v in OTHERS.items():
        monkeypatch.setenv(k, v)  # over the fixtures' test key
    monkeypatch.setenv("MLSYS_HOME", f"s3://{s3_bucket}/store")
    monkeypatch.setenv("MLSYS_CACHE", str(tmp_path / "cache"))
    return s3_bucket


def leaks_in_bucket(bucket: str) -> tuple[list[str], list[str]]:
    """Every key of ``bucket``, and those whose name or bytes hold a secret."""
    objects = BucketObjects(bucket)
    keys = objects.keys()
    found = []
    for key in keys:
        got = objects.read(key)
        if leaks_in_text(key) or got is None or leaks_in_bytes(got.data):
            found.append(key)
    return keys, found


def refusing_server(monkeypatch: pytest.MonkeyPatch) -> tuple[subprocess.Popen[bytes], S3Server]:
    """A second moto server that checks signatures: it knows no key, so refuses every request
    (HTTP 403), as AWS does keys that are wrong."""
    monkeypatch.setenv("INITIAL_NO_AUTH_ACTION_COUNT", "0")
    try:
        return start_server()
    finally:
        monkeypatch.delenv("INITIAL_NO_AUTH_ACTION_COUNT")


def bucket_failures(ev: Evidence, bucket: str, s3_server: S3Server,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The ways a store in a bucket fails, each with the sentinel credentials set."""
    login = mlsys.login
    ev.expect_error("no such bucket", lambda: login(backend="local", home="s3://mlsys-none/p"))
    ev.expect_error("bad bucket name", lambda: login(backend="local", home="s3://Bad_Name/p"))
    token = OTHERS["AWS_SESSION_TOKEN"]
    for i, url in enumerate([f"s3://{ACCESS_KEY}:{AWS_SECRET}@{bucket}/p",  # cut at its '/'
                             f"s3://{ACCESS_KEY}:{AWS_SECRET.replace('/', '%2F')}@{bucket}/p",
                             f"s3://{token}@{bucket}/p", f"https://u:{AWS_SECRET}@host/p",
                             f"s3://{bucket}/p?X-Amz-Security-Token={token}"]):
        err = ev.expect_error(f"credentials in the URL {i}", lambda u=url: login(home=u))
        assert "carries credentials" in str(err), err
    project = login()
    group = project.get_feature_store().get_feature_group("iris", 1)
    proc, refusing = refusing_server(monkeypatch)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", refusing.endpoint)
        ev.expect_error("refused keys (login)", lambda: login(home=f"s3://{bucket}/other"))
        err = ev.expect_error("refused keys (read)", group.read)  # delta-rs's request
        assert isinstance(err, BackendUnavailableError), err  # the keys, not a damaged table
        assert "Nothing is damaged; check AWS_ACCESS_KEY_ID" in str(err), err
    finally:
        proc.kill()
        proc.wait()
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{probe.getsockname()[1]}")
    ev.expect_error("no server", lambda: login(home=f"s3://{bucket}/other"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")  # the secret key and token without their id
    ev.expect_error("no key id", lambda: login(home=f"s3://{bucket}/other"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    project.close()


def test_no_secret_in_a_bucket_store_or_anything_written(
        bucket_env: str, s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    ev = Evidence()
    iris = get_system("iris")
    end = date(2026, 1, 10)

    project = mlsys.login(backend="local", home=f"s3://{bucket_env}/store")
    assert isinstance(project, LocalProject)
    backfill(project, iris)
    daily(project, iris, day=end, since=end - timedelta(days=2))
    train(project, iris)
    ev.texts["infer result"] = repr(infer(project, iris))
    ev.texts["validate"] = repr(validate_all(project, tmp_path / "reports"))
    fs = project.get_feature_store()
    ev.texts["objects"] = repr([project, fs, fs.get_feature_group("iris", 1),
                                project.get_model_registry().get_model(iris.model_name),
                                BucketObjects(bucket_env, "store"), project.config,
                                project.catalog])
    project.close()

    runner = CliRunner()
    for args in (["status"], ["status", "--json"], ["verify"],
                 ["daily", "iris", "--date", "2026-01-11"],
                 ["report", "--out", str(tmp_path / "cli-reports")]):
        r = runner.invoke(app, args)
        ev.texts[f"cli {args}"] = r.output + repr(r.exception)
    env = child_env({**OTHERS, "MLSYS_HOME": f"s3://{bucket_env}/store",
                     "MLSYS_CACHE": str(tmp_path / "cache-b")})
    runs = {"status": ({"RUST_LOG": "debug"}, 0),  # delta-rs logs its S3 client's config
            "no such bucket": ({"MLSYS_HOME": "s3://mlsys-none/p"}, 2),
            "credentials in the URL": ({"MLSYS_HOME": f"s3://k:{AWS_SECRET}@b/p"}, 2)}
    for name, (extra, code) in runs.items():
        done = subprocess.run([sys.executable, "-m", "mlsys.cli", "status"],
                              env={**env, **extra}, capture_output=True, text=True, timeout=120)
        ev.texts[f"process {name}"] = done.stdout + done.stderr
        assert done.returncode == code, (name, done.stdout[-2000:], done.stderr[-2000:])
    bucket_failures(ev, bucket_env, s3_server, monkeypatch)

    assert ev.leaks(caplog, capfd) == {}, "a secret leaked into output or errors"
    keys, leaked = leaks_in_bucket(bucket_env)
    assert leaked == [], "a secret was written to the bucket"
    assert leaks_in_tree(tmp_path) == [], "a secret was written to a file"
    # the run really produced what was searched: the store in the bucket, a cache, reports
    assert "store/mlsys/catalog/catalog.json" in keys, keys[:20]
    assert any("_delta_log/" in k for k in keys) and any("/models/" in k for k in keys), keys
    assert (tmp_path / "cache").is_dir() and list((tmp_path / "reports").rglob("*.html"))
    assert list((tmp_path / "cli-reports").rglob("*.html"))
    assert "secret_key" in ev.texts["process status"]  # the config was logged (redacted)
    assert len(ev.errors) == 11 and caplog.records
