"""Feature-view pages: the query, the recorded training datasets and the models trained on them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlsys.console.groups import when
from mlsys.console.html import Html, link, page, section, table, tag, url
from mlsys.console.models import model_names

if TYPE_CHECKING:
    from mlsys.store.api import Model, Project


def views_page(project: Project) -> Html:
    rows = []
    for fv in sorted(project.get_feature_store().get_feature_views(),
                     key=lambda v: (v.name, v.version)):
        rows.append([link(fv.name, url("views", fv.name, fv.version)), fv.version,
                     ", ".join(fv.labels), len(fv.features), len(fv.get_training_datasets())])
    body = (table(["name", "version", "labels", "features", "training datasets"], rows,
                  id="views") if rows else tag("p", "No feature views yet.", class_="muted"))
    return page("Feature views", body, project=project.name)


def _trained_on(project: Project, name: str, version: int) -> dict[int, list[Model]]:
    """Registered models of the known systems per training-dataset version of this view."""
    out: dict[int, list[Model]] = {}
    registry = project.get_model_registry()
    for model_name in model_names(project):
        for m in registry.get_models(model_name):
            if m.feature_view == (name, version) and m.training_dataset_version is not None:
                out.setdefault(m.training_dataset_version, []).append(m)
    return out


def _window(extra: dict[str, Any]) -> str:
    start, end = extra.get("start_time"), extra.get("end_time")
    if start is None and end is None:
        return "all rows"
    return f"{start or '…'} to {end or '…'}"


def view_page(project: Project, name: str, version: int) -> Html:
    fv = project.get_feature_store().get_feature_view(name, version)
    labels = set(fv.labels)
    features = [[f.name, f.type, "label" if f.name in labels else ""] for f in fv.features]
    models = _trained_on(project, fv.name, fv.version)
    datasets = []
    for td in fv.get_training_datasets():
        split = ("all rows (no split)" if td.test_size is None else
                 f"train {1 - td.test_size:.0%} / test {td.test_size:.0%}"
                 + (", stratified" if td.stratify else ""))
        trained = [link(f"{m.name} v{m.version}", url("models", m.name, m.version))
                   for m in models.get(td.version, [])]
        datasets.append([td.version, when(td.created), split, "" if td.seed is None else td.seed,
                         td.row_count, _window(td.extra), td.description,
                         tag("span", *[tag("div", t) for t in trained]) if trained else "none"])
    return page(
        f"{fv.name} v{fv.version}",
        tag("p", fv.description or "", class_="muted"),
        section("Query", tag("p", "Query ", tag("code", repr(fv.query)), "; primary key ",
                             tag("code", ", ".join(fv.primary_keys)), "; labels ",
                             tag("code", ", ".join(fv.labels) or "none")),
                table(["feature", "type", "role"], features)),
        section("Training datasets", table(
            ["version", "created", "split", "seed", "rows", "window", "description",
             "models trained on it"], datasets, id="training-datasets"),
                id_="training-datasets"),
        project=project.name)
