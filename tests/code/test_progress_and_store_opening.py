"""Progress lines when output is piped, metrics beside their baseline, and read-only verbs that
refuse to invent an empty store where MLSYS_HOME points at nothing."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mlsys
from mlsys.cli import app
from mlsys.errors import ConfigurationError
from mlsys.progress import PlainProgress, progress_for
from mlsys.quality import describe_quality, versus_baseline

# ------------------------------------------------------------------------------ progress


def test_plain_progress_names_the_running_step_and_prints_its_time() -> None:
    out = io.StringIO()
    progress = PlainProgress(out)
    with progress.step("wine: training") as step:
        step.done("2 models")
    with progress.step("wine: day by day", total=20) as step:
        for day in range(20):
            step.advance(f"day {day + 1}")
        step.done("20 days")
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "wine: training: running..."
    assert re.fullmatch(r"wine: training: 2 models \(\d+\.\d s\)", lines[1])
    assert lines[2] == "wine: day by day: running (20 steps)..."
    # about every tenth unit, and the last one
    assert [ln.split()[0] for ln in lines[3:-1]] == [f"{k}/20" for k in range(2, 21, 2)]
    assert lines[4] == "  4/20 day 4"
    assert re.fullmatch(r"wine: day by day: 20 days \(\d+\.\d s\)", lines[-1])
    assert [t.name for t in progress.times] == ["wine: training", "wine: day by day"]


def test_a_silent_long_step_still_says_it_is_running() -> None:
    out = io.StringIO()
    progress = PlainProgress(out, heartbeat=1.0)
    with progress.step("wine: EDA report"):
        time.sleep(2.5)
    progress.close()
    text = out.getvalue()
    assert "  wine: EDA report: still running (" in text
    assert re.search(r"wine: EDA report: done \(2\.\d s\)$", text.strip())


def test_a_failing_step_is_still_timed_and_ended() -> None:
    out = io.StringIO()
    progress = PlainProgress(out)
    with pytest.raises(RuntimeError), progress.step("iris: training"):
        raise RuntimeError("boom")
    progress.close()
    assert len(progress.times) == 1 and "iris: training: done (" in out.getvalue()


def test_a_pipe_gets_plain_lines() -> None:
    assert isinstance(progress_for(io.StringIO()), PlainProgress)


# ------------------------------------------------------------------------- quality text


def test_macro_f1_leads_and_each_metric_stands_beside_its_baseline() -> None:
    metrics = {"accuracy": 0.756, "baseline_accuracy": 0.767, "macro_f1": 0.561,
               "baseline_macro_f1": 0.289, "balanced_accuracy": 0.58}
    shown = [m.metric for m in versus_baseline(metrics)]
    assert shown == ["macro_f1", "balanced_accuracy", "accuracy"]
    text = describe_quality(metrics)
    assert text.startswith("macro F1 0.561 (majority-class baseline 0.289)")
    assert "accuracy 0.756 (majority-class baseline 0.767) — NOT above the baseline" in text
    assert text.count("NOT above") == 1


# ------------------------------------------------------------------ opening a store


def test_login_without_create_refuses_a_missing_store(tmp_path: Path) -> None:
    missing = tmp_path / "typo"
    with pytest.raises(ConfigurationError, match=r"no mlsys store at .*mlsys demo"):
        mlsys.login(backend="local", home=missing, create=False)
    assert not missing.exists()
    mlsys.login(backend="local", home=missing).close()  # the default still creates it
    mlsys.login(backend="local", home=missing, create=False).close()  # now it is there


READ_ONLY = (["status"], ["status", "--json"], ["report", "--out", "r"],
             ["serve", "iris-dashboard"])


@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: " ".join(a))
def test_read_only_verbs_refuse_a_mistyped_home(tmp_path: Path, args: list[str]) -> None:
    typo = tmp_path / "stroe"
    result = CliRunner().invoke(app, args, env={"MLSYS_HOME": str(typo),
                                                "MLSYS_BACKEND": "local"})
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert f"no mlsys store at {typo / 'mlsys'}" in message and "mlsys demo" in message
    assert not typo.exists()  # nothing was created


def test_the_real_process_says_it_in_one_line(tmp_path: Path) -> None:
    typo = tmp_path / "stroe"
    env = {"PATH": "/usr/bin:/bin", "MLSYS_HOME": str(typo), "MLSYS_BACKEND": "local"}
    done = subprocess.run([sys.executable, "-m", "mlsys.cli", "status"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: no mlsys store at")
    assert not typo.exists()


# ------------------------------------------------------------------ the demo's last words


def test_what_next_names_the_store_only_when_a_new_shell_needs_it(tmp_path: Path) -> None:
    from mlsys.config import Settings
    from mlsys.pipelines.demo import DemoResult, what_next

    report = tmp_path / "q" / "index.html"
    result = DemoResult((), tmp_path, reports=(report,), systems=("iris",))
    default = Settings.from_env(backend="local", home="~/.mlsys", project="mlsys")
    lines = what_next(result, default)
    assert "  status:  mlsys status" in lines
    assert any(line.startswith("  serve:   mlsys serve iris-dashboard") for line in lines)
    assert f"  store:   {Path('~/.mlsys').expanduser().resolve() / 'mlsys'}" in lines
    other = Settings.from_env(backend="local", home=tmp_path / "my store", project="p2")
    text = "\n".join(what_next(result, other, "/venv/bin/mlsys"))
    assert (f"MLSYS_HOME='{tmp_path / 'my store'}' MLSYS_PROJECT=p2 /venv/bin/mlsys serve "
            "iris-dashboard") in text
    assert f"reports: {report.as_uri()}" in text


# ------------------------------------------------------------------------- a URL as MLSYS_HOME


@pytest.mark.parametrize(("home", "says"), [
    ("gs://bucket", "is a gs:// URL"),
    ("https://example.org/x", "is a https:// URL"),
    ("s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/prefix", "carries credentials"),
    ("s3://AKIAEXAMPLE:wJalrXUtnFEMI/K7MDENG@bucket/prefix", "carries credentials"),  # a "/"
    ("s3://Not_A_Bucket/prefix", "is not a bucket name"),
    ("s3://bucket/a/../b", "are not allowed"),
])
def test_a_url_the_store_cannot_use_is_refused_and_nothing_is_written(
        home: str, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``s3://bucket/prefix`` was taken as the relative folder ``./s3:/bucket/prefix``: the
    backfill 'succeeded' into the working directory and the bucket stayed empty. Buckets are a
    location now; every other URL, and a bucket URL mlsys cannot use, is refused naming it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLSYS_HOME", home)
    done = CliRunner().invoke(app, ["backfill", "iris"])
    assert done.exit_code == 2, done.output
    assert says in done.output and "Traceback" not in done.output
    assert not [s for s in ("wJalrXUtnFEMI", "K7MDENG", "AKIAEXAMPLE") if s in done.output]
    assert list(tmp_path.iterdir()) == []  # no ./s3:/ tree
    with pytest.raises(ConfigurationError, match=re.escape(says)):
        mlsys.login()


def test_a_bucket_without_credentials_says_which_are_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no keys and no endpoint the SDK asks an EC2 metadata address; the user is told to
    set the AWS variables, not shown that address's refusal, and nothing lands in ./s3:/."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("MLSYS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MLSYS_HOME", "s3://bucket/prefix")
    done = CliRunner().invoke(app, ["status"])
    assert done.exit_code != 0, done.output
    assert "AWS_ACCESS_KEY_ID" in done.output and "Traceback" not in done.output
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["cache"])


def test_a_file_url_names_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLSYS_HOME", (tmp_path / "store").as_uri())
    done = CliRunner().invoke(app, ["backfill", "iris"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "store" / "mlsys" / "catalog.sqlite").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]  # not ./file:/...
