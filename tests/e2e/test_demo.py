"""`mlsys demo` as a user runs it (piped), and its monitoring figures checked independently.

The demo follows the schedule it imitates (backfill, train, then day by day the daily data and
batch inference), so every daily row is predicted by a model that never saw it. The figures the
dashboards and ``mlsys status`` show for unseen rows are recomputed here from the store: the
predictions, the feature group's labels and the recorded training split of each model.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest

import mlsys
from mlsys.apps.dashboard import headline
from mlsys.apps.dashboard_data import describe_model, read_dashboard
from mlsys.pipelines.backfill import backfill
from mlsys.pipelines.common import PREDICTIONS_VERSION
from mlsys.pipelines.daily import daily, today
from mlsys.pipelines.demo import run_demo
from mlsys.pipelines.infer import infer
from mlsys.pipelines.train import VIEW_VERSION, train
from mlsys.store.api import Project
from mlsys.systems import SYSTEMS as REGISTRY
from mlsys.systems import get_system
from mlsys.systems.base import System

DAYS = 3
SYSTEMS = REGISTRY.names()  # the demo runs every registered system


@dataclass(frozen=True)
class DemoRun:
    home: Path
    reports: Path
    stdout: str
    stderr: str
    code: int

    def project(self) -> Project:
        return mlsys.login(backend="local", home=self.home, create=False)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSYS_")}
    return {**env, "MLSYS_HOME": str(home), "MLSYS_BACKEND": "local", "COLUMNS": "200"}


def _cli(args: list[str], home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed command as a real process, its output piped (not a terminal)."""
    return subprocess.run([sys.executable, "-m", "mlsys.cli", *args], env=_env(home), cwd=cwd,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    base = tmp_path_factory.mktemp("demo")
    done = _cli(["demo", "--days", str(DAYS), "--out", "reports"], base / "home", base)
    return DemoRun(base / "home", base / "reports", done.stdout, done.stderr, done.returncode)


def test_demo_succeeds(demo: DemoRun) -> None:
    assert demo.code == 0, demo.stdout + demo.stderr
    assert "Traceback" not in demo.stderr


# every step the demo runs, in order: each is named when it starts and printed with its time
STEPS = [f"{s}: {step}" for s in SYSTEMS for step in (
    "backfill", "training on the data so far",
    "day by day, daily data then batch inference")] + [
    "wine: EDA report (charts and the 3- vs 7-class study)",
    "data-quality report (every suite and schema)"]


def test_piped_output_names_each_running_step_then_its_time(demo: DemoRun) -> None:
    lines = demo.stdout.splitlines()
    position = 0
    for step in STEPS:
        started = lines.index(f"{step}: running..." if "day by day" not in step
                              else f"{step}: running ({DAYS} steps)...")
        assert started >= position, f"{step} started out of order"
        finished = next(i for i, line in enumerate(lines)
                        if line.startswith(f"{step}: ") and i > started
                        and re.search(r"\(\d+\.\d s\)$", line))
        position = finished
    # the day-by-day step shows its progress: one line per day here (3 days)
    for k in range(1, DAYS + 1):
        assert any(line.startswith(f"  {k}/{DAYS} ") for line in lines), k
    assert re.search(r"^done in \d+ s$", demo.stdout, re.M)


def test_what_next_names_the_store_reports_and_a_serve_command_that_works(
        demo: DemoRun) -> None:
    from mlsys.apps import build_app

    block = demo.stdout[demo.stdout.index("What next"):]
    assert f"store:   {demo.home / 'mlsys'}" in block
    urls = re.findall(r"file://\S+", block)
    assert len(urls) == 2
    for url in urls:
        path = Path(urlparse(url).path)
        assert path.is_absolute() and path.is_file(), url
    assert {Path(urlparse(u).path).parent.name for u in urls} == {"wine_eda", "quality"}
    serve = next(line for line in block.splitlines() if line.startswith("  serve:"))
    words = shlex.split(serve.split("serve:", 1)[1].split("(", 1)[0])
    env = dict(w.split("=", 1) for w in words if "=" in w)
    command = [w for w in words if "=" not in w]
    assert env == {"MLSYS_HOME": str(demo.home)}
    # this test ran `python -m mlsys.cli`, so that is the command the block gives back
    assert command == [sys.executable, "-m", "mlsys.cli", "serve", "wine-dashboard"]
    status = next(line for line in block.splitlines() if line.startswith("  status:"))
    done = subprocess.run(shlex.split(status.split("status:", 1)[1])[1:],
                          env={**_env(demo.home), **env}, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and "wine_model v" in done.stdout, done.stderr
    # what the serve command would serve: the app builds against the store the line names
    project = mlsys.login(backend="local", home=env["MLSYS_HOME"], create=False)
    assert build_app(command[-1], project) is not None


def _predictions(project: Project, system: System) -> pd.DataFrame:
    fs = project.get_feature_store()
    return fs.get_feature_group(system.predictions_group, PREDICTIONS_VERSION).read()


def _independent_unseen(project: Project, system: System) -> tuple[pd.DataFrame, dict[int, str]]:
    """The stored predictions with labels re-read from the feature group by key and each row's
    training membership recomputed from its model's recorded split; and each training
    dataset's majority class."""
    keys = [*system.primary_key, system.event_time]
    preds = _predictions(project, system)
    fs = project.get_feature_store()
    truth = fs.get_feature_group(system.feature_group, system.version).read()
    truth = truth[[*keys, system.label]].astype(preds[keys].dtypes.to_dict())
    preds = preds.merge(truth, on=keys, how="left", validate="one_to_one")
    fv = fs.get_feature_view(system.view_name, VIEW_VERSION)
    mr = project.get_model_registry()
    seen, majority = [], {}
    members: dict[int, set[tuple[object, ...]]] = {}
    for _, row in preds.iterrows():
        model = mr.get_model(system.model_name, int(row["model_version"]))
        td = model.training_dataset_version
        assert td is not None and td == row["training_dataset_version"]
        if td not in members:
            x_train, _, y_train, _ = fv.get_train_test_split(td, primary_key=True,
                                                             event_time=True)
            frame = x_train[keys].astype(preds[keys].dtypes.to_dict())
            members[td] = set(frame.itertuples(index=False, name=None))
            majority[td] = str(y_train[system.label].astype(str).mode().iloc[0])
        seen.append(tuple(row[keys]) in members[td])
    return preds.assign(recomputed_seen=seen), majority


@pytest.mark.parametrize("name", SYSTEMS)
def test_dashboard_figures_equal_an_independent_held_out_evaluation(demo: DemoRun,
                                                                    name: str) -> None:
    system = get_system(name)
    project = demo.project()
    preds, majority = _independent_unseen(project, system)
    assert len(preds) == DAYS
    # the stored membership is the recomputed one, and on this schedule no row was seen
    assert list(preds["in_training_data"]) == list(preds["recomputed_seen"])
    assert not preds["recomputed_seen"].any()
    unseen = preds.loc[~preds["recomputed_seen"]]
    accuracy = float((unseen["prediction"] == unseen[system.label]).mean())
    baseline = float((unseen["training_dataset_version"].map(majority)
                      == unseen[system.label]).mean())

    data = read_dashboard(project, system)
    assert data.evaluation is not None
    assert data.evaluation.unseen == len(unseen)
    assert data.accuracy == pytest.approx(accuracy)
    assert data.evaluation.baseline_accuracy_unseen == pytest.approx(baseline)
    shown = headline(data)
    assert f"**{len(unseen)}** of rows the model never saw" in shown
    assert f"**{accuracy:.1%}** (majority-class baseline {baseline:.1%}" in shown
    # and `mlsys status --json` reports the same figures
    done = _cli(["status", "--json"], demo.home, demo.home.parent)
    assert done.returncode == 0, done.stderr
    mine = next(s for s in json.loads(done.stdout)["systems"] if s["system"] == name)
    assert mine["predictions"]["unseen"] == len(unseen)
    assert mine["predictions"]["accuracy_unseen"] == pytest.approx(accuracy)
    assert mine["predictions"]["baseline_accuracy_unseen"] == pytest.approx(baseline)


@pytest.mark.parametrize("name", SYSTEMS)
def test_the_baseline_stands_beside_every_shown_metric(demo: DemoRun, name: str) -> None:
    system = get_system(name)
    project = demo.project()
    data = read_dashboard(project, system)
    assert data.model is not None
    text = describe_model(data.model, system)
    f1, base = data.model.metrics["macro_f1"], data.model.metrics["baseline_macro_f1"]
    assert f"macro F1 {f1:.3f} (majority-class baseline {base:.3f})" in text
    assert text.index("macro F1") < text.index("accuracy")  # macro F1 leads
    assert "majority-class baseline" in data.model.description  # the registry's own text
    if name == "wine":  # the wine KNN's accuracy is below always saying "fair": said so
        acc, base_acc = data.model.metrics["accuracy"], data.model.metrics["baseline_accuracy"]
        assert ("NOT above the baseline" in text) == (acc <= base_acc)
    trained = [line for line in demo.stdout.splitlines()
               if line.startswith(f"{name}: training on the data so far: ") and "(" in line]
    assert trained and "majority-class baseline" in trained[-1]


def test_status_is_a_table_of_what_the_store_holds(demo: DemoRun) -> None:
    done = _cli(["status"], demo.home, demo.home.parent)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    project = demo.project()
    fs = project.get_feature_store()
    last = f"{today():%Y-%m-%d}"
    for name in SYSTEMS:
        system = get_system(name)
        rows = len(fs.get_feature_group(system.feature_group, system.version).read())
        assert f"{system.feature_group} v{system.version}: {rows} rows, last {last}, passed" \
            in out
        assert f"{system.predictions_group} v{PREDICTIONS_VERSION}: {DAYS} rows" in out
        data = read_dashboard(project, system)
        assert data.model is not None and f"{system.model_name} v{data.model.version}" in out
        assert f"{DAYS} stored, {DAYS} unseen" in out
        assert data.accuracy is not None and f"unseen accuracy {data.accuracy:.3f}" in out
    assert "majority-class baseline" in out and "drift" in out


def test_status_json_is_for_scripts(demo: DemoRun) -> None:
    done = _cli(["status", "--json"], demo.home, demo.home.parent)
    status = json.loads(done.stdout)
    assert [s["system"] for s in status["systems"]] == list(SYSTEMS)
    fs = demo.project().get_feature_store()
    for s in status["systems"]:
        system = get_system(s["system"])
        group = next(g for g in s["groups"] if g["name"] == system.feature_group)
        assert group["rows"] == len(fs.get_feature_group(system.feature_group, 1).read())
        assert group["last_validation"] == "passed"
        assert s["held_out"][0]["metric"] == "macro_f1"
        assert s["held_out"][0]["baseline"] is not None
        assert s["drift"]


# ------------------------------------------------------------ rows a model saw are told apart


END = date(2026, 1, 30)


def test_rows_in_the_training_data_are_flagged_and_left_out(tmp_path: Path) -> None:
    """The old order (days first, then train, then infer) predicts rows the model trained on:
    they are stored as seen, and the dashboard's figures count only the others."""
    iris = get_system("iris")
    project = mlsys.login(backend="local", home=tmp_path)
    backfill(project, iris)
    daily(project, iris, day=END, since=END - timedelta(days=19))
    train(project, iris)
    infer(project, iris)
    preds, majority = _independent_unseen(project, iris)
    assert list(preds["in_training_data"]) == list(preds["recomputed_seen"])
    assert 0 < int(preds["recomputed_seen"].sum()) < len(preds)  # ~80% went into training
    unseen = preds.loc[~preds["recomputed_seen"]]
    data = read_dashboard(project, iris)
    assert data.evaluation is not None and data.evaluation.unseen == len(unseen)
    assert data.accuracy == pytest.approx(float((unseen["prediction"]
                                                 == unseen[iris.label]).mean()))
    assert len(data.unseen_history) == len(unseen)
    baseline = (unseen["training_dataset_version"].map(majority) == unseen[iris.label]).mean()
    assert data.evaluation.baseline_accuracy_unseen == pytest.approx(float(baseline))
    assert data.evaluation.accuracy_all == pytest.approx(float((preds["prediction"]
                                                                == preds[iris.label]).mean()))


def test_retraining_every_n_days_predicts_each_day_with_a_model_that_never_saw_it(
        tmp_path: Path) -> None:
    iris = get_system("iris")
    project = mlsys.login(backend="local", home=tmp_path / "home")
    r = run_demo(project, days=5, systems=("iris",), report_dir=tmp_path / "reports", end=END,
                 retrain_every=2)
    assert len(project.get_model_registry().get_models(iris.model_name)) == 3  # 1 + days 2, 4
    preds, _ = _independent_unseen(project, iris)
    assert len(preds) == 5 and not preds["in_training_data"].any()
    assert list(preds["in_training_data"]) == list(preds["recomputed_seen"])
    assert r.evaluations["iris"].unseen == 5
    names = [t.name for t in r.times]
    assert names[:3] == ["iris: backfill", "iris: training on the data so far",
                         "iris: day by day, daily data then batch inference (retraining every "
                         "2 days)"]
    assert all(t.seconds >= 0 for t in r.times)
