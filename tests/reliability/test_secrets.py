"""Secrets never leak: a sentinel HOPSWORKS_API_KEY (and other credentials) set while everything
runs never appears in the store, reports, downloads, logs, output or exception messages.

The search itself is proven able to fail: a control file holding the sentinel is found.
"""

from __future__ import annotations

import logging
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from rel_support import child_env
from typer.testing import CliRunner

import mlsys
from mlsys.cli import app
from mlsys.errors import MlsysError
from mlsys.pipelines.backfill import backfill
from mlsys.pipelines.daily import daily
from mlsys.pipelines.infer import infer
from mlsys.pipelines.train import train
from mlsys.pipelines.validate import validate_all
from mlsys.systems import get_system

KEY = f"hwkey-{secrets.token_hex(12)}"
OTHERS = {"AWS_SECRET_ACCESS_KEY": f"aws-{secrets.token_hex(12)}",
          "MLSYS_TEST_PASSWORD": f"pw-{secrets.token_hex(12)}"}
SENTINELS = [KEY, *OTHERS.values()]


def leaks_in_text(text: str) -> list[str]:
    return [s for s in SENTINELS if s in text]


def leaks_in_tree(root: Path) -> list[str]:
    """Files under ``root`` whose bytes (or name) hold a sentinel."""
    found = []
    for p in root.rglob("*"):
        if leaks_in_text(p.name):
            found.append(str(p))
        elif p.is_file() and not p.is_symlink():
            data = p.read_bytes()
            if any(s.encode() in data for s in SENTINELS):
                found.append(str(p))
    return found


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
            self.texts[f"exception {name}"] = f"{err!s} {err!r} {err.__cause__!r}"
            return err
        raise AssertionError(f"{name} did not fail")


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

    out, err = capfd.readouterr()
    ev.texts["stdout"], ev.texts["stderr"], ev.texts["logs"] = out, err, caplog.text
    leaks = {name: leaks_in_text(text) for name, text in ev.texts.items()}
    assert not {k: v for k, v in leaks.items() if v}, "a secret leaked into output or errors"
    assert leaks_in_tree(tmp_path) == [], "a secret was written to a file"
    # the run really produced what was searched
    assert (secret_env / "mlsys" / "catalog.sqlite").is_file()
    assert list((tmp_path / "reports").rglob("*.html"))
    assert list((tmp_path / "cli-reports").rglob("*.html"))
    assert len(ev.errors) == 2 and caplog.records
    assert "Iris" in ev.texts["apps"] and "must be" in ev.texts["apps"]  # built, and used
