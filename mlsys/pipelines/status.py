"""A plain-text summary of what a store holds: groups with row counts, views, models."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlsys.store.api import Project


def store_status(project: Project) -> list[str]:
    """One line per feature group, feature view and registered model of the known systems."""
    from mlsys.errors import NotFoundError
    from mlsys.systems import SYSTEMS, get_system

    fs = project.get_feature_store()
    lines = [f"project {project.name} ({project.backend})"]
    for fg in fs.get_feature_groups():
        rows = len(fg.read()) if fg.features else 0
        policy = fg.validation_ingestion_policy or "no suite"
        lines.append(f"feature group {fg.name} v{fg.version}: {rows} rows, {policy}")
    for fv in fs.get_feature_views():
        lines.append(f"feature view {fv.name} v{fv.version}: labels {fv.labels}")
    mr = project.get_model_registry()
    for name in SYSTEMS:
        system = get_system(name)
        try:
            models = mr.get_models(system.model_name)
        except NotFoundError:
            models = []
        for m in models:
            f1 = m.training_metrics.get("macro_f1")
            shown = "n/a" if f1 is None else f"{f1:.3f}"
            lines.append(f"model {m.name} v{m.version}: macro_f1 {shown}")
    return lines
