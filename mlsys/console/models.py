"""Model pages: each name's versions beside the baseline, the served one, one version's facts."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from mlsys.console.artefacts import IMAGE_TYPES, ArtefactCache
from mlsys.console.groups import when
from mlsys.console.html import Html, badge, link, page, section, table, tag, url
from mlsys.quality import versus_baseline

if TYPE_CHECKING:
    from mlsys.store.api import Model, Project


def model_names(project: Project) -> list[str]:
    """The models the known systems register (the registry contract has no list of names)."""
    from mlsys.console.systems import known_systems

    return sorted({s.model_name for s in known_systems()})


def served(project: Project, name: str) -> tuple[Model | None, str]:
    """The version serving loads (``mlsys.serving.best_model``) and the metric it picks by."""
    from mlsys.serving import BEST_METRIC

    best = project.get_model_registry().get_best_model(name, BEST_METRIC, "max")
    return best, BEST_METRIC


def _quality(model: Model) -> Html:
    shown = versus_baseline(model.training_metrics)
    if not shown:
        return Html(", ".join(f"{k} {v:.3f}" for k, v in model.training_metrics.items()))
    return tag("div", *(tag("div", m.text(), class_="bad-text" if m.below_baseline else None)
                        for m in shown))


def models_page(project: Project) -> Html:
    rows = []
    for name in model_names(project):
        versions = project.get_model_registry().get_models(name)
        best, metric = served(project, name)
        serving = (link(f"v{best.version}", url("models", name, best.version))
                   if best is not None else "none")
        rows.append([name, ", ".join(f"v{m.version}" for m in versions) or "none registered",
                     tag("span", serving, f" (best {metric})") if best is not None else serving])
    return page("Models", table(["model", "versions", "served"], rows, id="models"),
                project=project.name)


def model_page(project: Project, name: str, version: int, cache: ArtefactCache) -> Html:
    registry = project.get_model_registry()
    model = registry.get_model(name, version)
    best, metric = served(project, name)
    rows = []
    for m in registry.get_models(name):
        fv = m.feature_view
        td = (link(f"{fv[0]} v{fv[1]} / training dataset {m.training_dataset_version}",
                   url("views", fv[0], fv[1]) + "#training-datasets") if fv else "")
        mark = (badge(f"SERVED (best {metric})", "ok")
                if best is not None and m.version == best.version else "")
        rows.append([link(f"v{m.version}", url("models", name, m.version)), mark,
                     when(m.created) if m.created else "", _quality(m), td])
    return page(
        f"{name} v{version}",
        tag("p", model.description or "", class_="muted"),
        section("Versions", tag("p", "Serving loads the version with the best ", tag(
            "code", metric), " (ties: the newest)."),
                table(["version", "", "created", "held-out quality (majority-class baseline)",
                       "trained on"], rows, id="versions"), id_="versions"),
        section("Metrics", table(["metric", "value"], sorted(model.training_metrics.items()))),
        section("Input schema and example", _schema(model)),
        section("Artefacts", _artefacts(model, cache), id_="artefacts"),
        project=project.name)


def _schema(model: Model) -> Html:
    schema = model.model_schema or {}
    parts: list[Any] = []
    for side in ("input_schema", "output_schema"):
        cols = (schema.get(side) or {}).get("columnar_schema") or []
        if cols:
            parts.append(tag("h3", side.replace("_", " ")))
            parts.append(table(["name", "type"], [[c.get("name"), c.get("type")] for c in cols]))
    example = model.input_example
    parts.append(tag("h3", "input example"))
    parts.append(tag("pre", json.dumps(example, indent=1, default=str)
                     if example is not None else "none"))
    return tag("div", *parts)


def _artefacts(model: Model, cache: ArtefactCache) -> Html:
    found = cache.get(model)
    if not found.verified:
        return tag("div", badge("sha256 verification FAILED", "bad"), " ",
                   tag("span", found.error or ""))
    items = []
    for rel in found.files:
        href = url("models", model.name, model.version, "files", *PurePosixPath(rel).parts)
        shown: list[Any] = [link(rel, href)]
        if PurePosixPath(rel).suffix.lower() in IMAGE_TYPES:
            shown.append(tag("div", tag("img", "", src=href, alt=rel)))
        items.append(tag("li", *shown))
    return tag("div", badge("sha256 verified", "ok"), " every file matches its recorded hash",
               tag("ul", *items))
