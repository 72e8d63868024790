"""MLflow (local SQLite tracking and registry backend) registering and loading the same KNN."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MODEL_NAME = "wine_model"


def tracking_uri(root: Path) -> str:
    return f"sqlite:///{root / 'mlflow.db'}"


def setup(root: Path) -> str:
    """Point MLflow at a SQLite backend under ``root`` with file artefacts there too; returns
    the experiment id."""
    import mlflow

    root.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking_uri(root))
    name = "mlsys_bench"
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    return str(mlflow.create_experiment(name, artifact_location=(root / "artifacts").as_uri()))


def trusted_types(model: Any) -> dict[str, Any]:
    """``log_model`` keywords for MLflow's default skops format: the model's own types, which
    skops refuses to load unless listed (found once, before timing). Empty without skops."""
    try:
        import skops.io as sio
    except ImportError:
        return {}
    return {"skops_trusted_types": sio.get_untrusted_types(data=sio.dumps(model))}


def register(experiment_id: str, model: Any, f1: float, options: dict[str, Any]) -> None:
    """Log the model with its metric and register it as the next version of ``wine_model``
    (MLflow's default serialisation; ``options`` from :func:`trusted_types`)."""
    import mlflow
    import mlflow.sklearn

    with mlflow.start_run(experiment_id=experiment_id):
        mlflow.log_metric("macro_f1", f1)
        try:  # MLflow 3 names the logged model; 2.x took an artifact path
            mlflow.sklearn.log_model(model, name="model", registered_model_name=MODEL_NAME,
                                     **options)
        except TypeError:
            mlflow.sklearn.log_model(model, artifact_path="model",
                                     registered_model_name=MODEL_NAME)


LOAD = """
import mlflow, mlflow.sklearn
mlflow.set_tracking_uri({uri!r})
model = mlflow.sklearn.load_model("models:/{name}/latest")
assert model.classes_ is not None
"""


def load_code(root: Path) -> str:
    """``python -c`` code loading the latest registered version in a fresh process."""
    return LOAD.format(uri=tracking_uri(root), name=MODEL_NAME)
