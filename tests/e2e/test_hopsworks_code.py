"""Code written for Hopsworks runs unchanged on mlsys: through `mlsys run` and the pytest plugin.

The notebooks and scripts below have the shape of the ID2223 course's Iris pipeline (backfill
notebook, training notebook, daily script, batch inference script): a CSV holding one flower
twice inserted into a group keyed by all four measurements, a Great Expectations 1.x suite,
``from hsml.schema import Schema`` and ``Schema(X_train)``, an indented first cell, IPython magics
and shell lines, and a batch job that takes the newest flower as ``df.iloc[-1]``. Each runs as a
user runs it: ``mlsys run FILE`` in a subprocess, on a fresh embedded store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

MLSYS = str(Path(sys.executable).with_name("mlsys"))

BACKFILL = [
    "import pandas as pd\n%matplotlib inline\n!pip install -U 'hopsworks[python]' --quiet",
    "import hopsworks\nproject = hopsworks.login()\nfs = project.get_feature_store()",
    "iris_df = pd.read_csv('iris.csv')\niris_df.shape",
    "iris_fg = fs.get_or_create_feature_group(\n    name='iris', version=1,\n"
    "    primary_key=['sepal_length','sepal_width','petal_length','petal_width'],\n"
    "    description='Iris flower dataset')\niris_fg.insert(iris_df)",
    "from great_expectations.core import ExpectationSuite\n"
    "from great_expectations.expectations.expectation_configuration import "
    "ExpectationConfiguration\n"
    "suite = ExpectationSuite(name='iris_dimensions')\n"
    "suite.add_expectation_configuration(ExpectationConfiguration(\n"
    "    type='expect_column_values_to_be_between',\n"
    "    kwargs={'column': 'sepal_length', 'min_value': 4.0, 'max_value': 8.0}))\n"
    "iris_fg.save_expectation_suite(expectation_suite=suite, "
    "validation_ingestion_policy='STRICT')",
    "print('stored rows:', len(iris_fg.read()))",
]

TRAINING = [
    "    import hopsworks\n    from sklearn.neighbors import KNeighborsClassifier\n"
    "    from hsml.schema import Schema\n    from hsml.model_schema import ModelSchema\n"
    "    import joblib, os",
    "project = hopsworks.login()\nfs = project.get_feature_store()\n"
    "iris_fg = fs.get_feature_group(name='iris', version=1)\n"
    "feature_view = fs.get_or_create_feature_view(name='iris', version=1, labels=['variety'],\n"
    "                                             query=iris_fg.select_all())",
    "X_train, X_test, y_train, y_test = feature_view.train_test_split(0.2)\n"
    "model = KNeighborsClassifier(n_neighbors=2)\nmodel.fit(X_train, y_train.values.ravel())",
    "accuracy = float((model.predict(X_test) == y_test['variety'].to_numpy()).mean())\n"
    "print('accuracy', accuracy)",
    "mr = project.get_model_registry()\nos.makedirs('iris_model', exist_ok=True)\n"
    "joblib.dump(model, 'iris_model/iris_model.pkl')\n"
    "model_schema = ModelSchema(Schema(X_train), Schema(y_train))\n"
    "iris_model = mr.python.create_model(name='iris_model', metrics={'accuracy': accuracy},\n"
    "                                    model_schema=model_schema, description='Iris')\n"
    "iris_model.save('iris_model')\nprint(json.dumps(model_schema.to_dict()))",
]

DAILY = '''
import sys


def g(flower):
    import hopsworks
    import pandas as pd

    project = hopsworks.login()
    fs = project.get_feature_store()
    iris_fg = fs.get_feature_group(name="iris", version=1)
    iris_fg.insert(pd.DataFrame([flower]))
    print(flower["variety"], "added")


if __name__ == "__main__":
    sl, sw, pl, pw, variety = sys.argv[1:]
    g({"sepal_length": float(sl), "sepal_width": float(sw), "petal_length": float(pl),
       "petal_width": float(pw), "variety": variety})
'''

BATCH = '''
def g():
    from datetime import datetime

    import hopsworks
    import joblib
    import pandas as pd

    project = hopsworks.login()
    fs = project.get_feature_store()
    model = joblib.load(project.get_model_registry().get_model("iris_model", version=1)
                        .download() + "/iris_model.pkl")
    batch_data = fs.get_feature_view(name="iris", version=1).get_batch_data()
    y_pred = model.predict(batch_data)
    flower = y_pred[y_pred.size - 1]
    df = fs.get_feature_group(name="iris", version=1).read()
    label = df.iloc[-1]["variety"]
    print("newest flower:", df.iloc[-1]["sepal_length"], label, "predicted:", flower)
    monitor_fg = fs.get_or_create_feature_group(name="iris_predictions", version=1,
                                                primary_key=["datetime"])
    now = datetime.now().strftime("%m/%d/%Y, %H:%M:%S.%f")
    monitor_fg.insert(pd.DataFrame({"prediction": [flower], "label": [label],
                                    "datetime": [now]}),
                      write_options={"wait_for_job": False})
    print("history:", list(monitor_fg.read()["label"]))


if __name__ == "__main__":
    g()
'''


def _notebook(path: Path, cells: list[str], preamble: str = "") -> Path:
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# a heading, not code"]},
        *({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
           "source": src.splitlines(keepends=True)} for src in [preamble, *cells] if src),
    ]}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSYS_")}
    env.update({"MLSYS_HOME": str(home), "MLSYS_BACKEND": "local", "MPLBACKEND": "Agg",
                **extra})
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str],
         module: bool = False) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "mlsys", "run", *args] if module else [MLSYS, "run", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _iris_csv(path: Path) -> pd.DataFrame:
    from mlsys.systems.iris.data import load

    real = load()
    df = real[["sepal_length", "sepal_width", "petal_length", "petal_width", "variety"]]
    df = pd.concat([df.iloc[::5], df.iloc[[5]]], ignore_index=True)  # one flower twice
    df.to_csv(path, index=False)
    return df


def test_a_course_shaped_pipeline_runs_end_to_end_through_mlsys_run(tmp_path: Path) -> None:
    work, home = tmp_path / "course", tmp_path / "home"
    work.mkdir()
    csv = _iris_csv(work / "iris.csv")
    env = _env(home)

    backfill = _run([str(_notebook(work / "backfill.ipynb", BACKFILL))], work, env)
    assert backfill.returncode == 0, backfill.stdout + backfill.stderr
    out = backfill.stdout
    assert "(skipped IPython line: %matplotlib inline)" in out
    assert "(skipped IPython line: !pip install" in out
    assert f"({len(csv)}, 5)" in out  # the last bare expression of a cell is shown
    assert "1 row(s) repeat the primary key" in backfill.stderr  # the one warning, with its count
    assert f"stored rows: {len(csv)}" in out  # the repeated flower is stored, not dropped

    training = _run([str(_notebook(work / "training.ipynb", TRAINING, "import json"))],
                    work, env, module=True)  # python -m mlsys run
    assert training.returncode == 0, training.stdout + training.stderr
    schema = json.loads(training.stdout.strip().splitlines()[-1])
    assert [c["name"] for c in schema["input_schema"]["columnar_schema"]] == [
        "sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert schema["output_schema"]["columnar_schema"][0]["name"] == "variety"
    accuracy = float(training.stdout.split("accuracy ")[1].split()[0])
    majority = csv["variety"].value_counts(normalize=True).max()
    assert accuracy > majority, (accuracy, majority)  # beside its baseline, on held-out rows

    (work / "daily.py").write_text(DAILY, encoding="utf-8")
    (work / "batch.py").write_text(BATCH, encoding="utf-8")
    # two decimals, like the course's random flowers: never a stored flower's key
    flowers = [("7.71", "3.02", "6.13", "2.27", "Virginica"),
               ("4.62", "3.61", "1.04", "0.22", "Setosa"),
               ("5.93", "2.88", "4.31", "1.33", "Versicolor")]
    labels = []
    for flower in flowers:
        daily = _run(["daily.py", *flower], work, env)
        assert daily.returncode == 0, daily.stdout + daily.stderr
        assert f"{flower[4]} added" in daily.stdout
        batch = _run(["batch.py"], work, env)
        assert batch.returncode == 0, batch.stdout + batch.stderr
        # df.iloc[-1] is the flower the daily run just added: newest row last
        assert f"newest flower: {float(flower[0])} {flower[4]} predicted:" in batch.stdout
        labels.append(flower[4])
        assert f"history: {labels}" in batch.stdout  # the monitor's rows, oldest first

    import mlsys

    with mlsys.login(backend="local", home=home) as project:
        fg = project.get_feature_store().get_feature_group("iris", 1)
        assert len(fg.read()) == len(csv) + len(flowers)
        assert fg.validation_ingestion_policy == "STRICT"
        assert project.get_model_registry().get_model("iris_model", 1).model_schema == schema


def test_a_failing_cell_stops_the_notebook_and_is_named(tmp_path: Path) -> None:
    cells = ["x = 1\n!echo from the shell", "%%bash\necho a cell magic", "print('x is', x)",
             "raise ValueError('boom in cell four')", "open('after.txt', 'w').write('ran')"]
    nb = _notebook(tmp_path / "broken.ipynb", cells)
    result = _run([str(nb)], tmp_path, _env(tmp_path / "home"))
    assert result.returncode == 1
    assert "x is 1" in result.stdout
    assert "(skipped IPython line: %%bash)" in result.stdout
    assert "cell 4 of broken.ipynb failed: ValueError: boom in cell four" in result.stdout
    assert "[cell 5]" not in result.stdout and not (tmp_path / "after.txt").exists()
    assert "Traceback" in result.stderr and "mlsys/compat" not in result.stderr


def test_bad_files_and_a_failing_script_exit_with_a_clear_message(tmp_path: Path) -> None:
    env = _env(tmp_path / "home")
    missing = _run(["nope.py"], tmp_path, env)
    assert missing.returncode == 2 and "nope.py is not a file" in missing.stderr
    (tmp_path / "notes.txt").write_text("hi", encoding="utf-8")
    assert _run(["notes.txt"], tmp_path, env).returncode == 2
    (tmp_path / "fail.py").write_text("import hsfs.engine\n", encoding="utf-8")
    failed = _run(["fail.py"], tmp_path, env)
    assert failed.returncode == 1
    assert "No module named 'hsfs.engine'" in failed.stdout + failed.stderr
    assert "hsml.schema" in failed.stderr  # names what is offered


def test_a_script_ends_as_python_would_end_it(tmp_path: Path) -> None:
    """The CLI leaves with os._exit (native threads abort a normal teardown); a script's unclosed
    file is still flushed, its atexit handlers still run, and its exit code is the command's."""
    (tmp_path / "s.py").write_text(
        "import atexit, sys\n"
        "log = open('out.txt', 'w')\n"
        "log.write('written')\n"
        "atexit.register(lambda: open('atexit.txt', 'w').write('ran'))\n"
        "sys.exit(int(sys.argv[1]))\n", encoding="utf-8")
    for code in (0, 3):
        done = _run(["s.py", str(code)], tmp_path, _env(tmp_path / "home"))
        assert done.returncode == code, done.stderr
        assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "written"
        assert (tmp_path / "atexit.txt").read_text(encoding="utf-8") == "ran"
        (tmp_path / "atexit.txt").unlink()


def test_with_the_hopsworks_backend_the_real_sdk_is_not_shadowed(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import importlib.util, sys\n"
                     "from mlsys.compat.hook import HopsworksFinder\n"
                     "print('hooked', any(isinstance(f, HopsworksFinder) for f in sys.meta_path))\n"
                     "try:\n    import hsml\nexcept ModuleNotFoundError:\n    print('no sdk')\n"
                     "else:\n    print('stand-in', getattr(hsml, '__mlsys_stand_in__', False))\n",
                     encoding="utf-8")
    result = _run(["probe.py"], tmp_path, _env(tmp_path / "home", MLSYS_BACKEND="hopsworks"))
    assert result.returncode == 0, result.stderr
    assert "hooked False" in result.stdout and "stand-in True" not in result.stdout
    local = _run(["probe.py"], tmp_path, _env(tmp_path / "home"))
    assert "hooked True" in local.stdout and "stand-in True" in local.stdout


USER_TESTS = '''
import warnings

import pandas as pd
import pytest


def test_my_hopsworks_pipeline(mlsys_project):
    import hopsworks
    from hsml.schema import Schema
    from hsml.model_schema import ModelSchema
    from mlsys.errors import DuplicateKeyWarning

    project = hopsworks.login()
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group(name="iris", version=1, primary_key=["a", "b"])
    with pytest.warns(DuplicateKeyWarning):
        fg.insert(pd.DataFrame({"a": [1.0, 1.0, 2.0], "b": [1.0, 1.0, 3.0],
                                "variety": ["x", "x", "y"]}))
    fg.insert(pd.DataFrame({"a": [9.0], "b": [9.0], "variety": ["newest"]}))
    df = fg.read()
    assert len(df) == 4 and df.iloc[-1]["variety"] == "newest"
    schema = ModelSchema(Schema(df[["a", "b"]]), Schema(df["variety"]))
    assert schema.to_dict()["input_schema"]["columnar_schema"][0]["name"] == "a"
    # the fixture's project and hopsworks.login() are the same store
    assert len(mlsys_project.get_feature_store().get_feature_group("iris", 1).read()) == 4


def test_each_test_gets_a_fresh_store(mlsys_project):
    import hopsworks

    assert hopsworks.login().get_feature_store().get_feature_groups() == []


def test_without_the_fixture_the_sdk_is_not_shadowed():
    try:
        import hsml
    except ModuleNotFoundError:
        return
    assert not getattr(hsml, "__mlsys_stand_in__", False)
'''


def test_the_pytest_plugin_runs_a_users_hopsworks_tests_without_an_account(
        tmp_path: Path) -> None:
    (tmp_path / "test_user_pipeline.py").write_text(USER_TESTS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLSYS_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error",
         "test_user_pipeline.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


@pytest.mark.parametrize("ini", ["true", "false"])
def test_the_ini_option_resolves_top_level_imports_of_a_test_module(tmp_path: Path,
                                                                  ini: str) -> None:
    (tmp_path / "pytest.ini").write_text(f"[pytest]\nmlsys_hopsworks_imports = {ini}\n",
                                         encoding="utf-8")
    (tmp_path / "test_top.py").write_text(
        "try:\n    import hsml.schema\nexcept ModuleNotFoundError:\n    hsml = None\n"
        "def test_top():\n"
        "    print('STAND-IN', getattr(getattr(hsml, 'schema', None), '__mlsys_stand_in__', "
        "False))\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLSYS_", "PYTEST_"))}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p",
                             "no:cacheprovider", "test_top.py"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"STAND-IN {ini == 'true'}" in result.stdout
