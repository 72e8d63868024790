"""The monitoring page: per system, its dashboard, its predictions group and its pictures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsys.console.html import Html, link, page, section, tag, url

if TYPE_CHECKING:
    from mlsys.store.api import Project


def images(project: Project) -> list[str]:
    """File names of the monitoring pictures in the project (``Resources/images``)."""
    from mlsys.pipelines.common import IMAGES_DIR

    api = project.get_dataset_api()
    if not api.exists(IMAGES_DIR):
        return []
    return sorted(p.rsplit("/", 1)[-1] for p in api.list(IMAGES_DIR)
                  if p.lower().endswith(".png"))


def image_bytes(project: Project, name: str) -> bytes:
    """A monitoring picture; only a name :func:`images` lists is read (so no path escapes)."""
    from mlsys.errors import NotFoundError
    from mlsys.pipelines.common import IMAGES_DIR

    known = images(project)
    if name not in known:
        raise NotFoundError("monitoring picture", name, known)
    return project.get_dataset_api().read_bytes(f"{IMAGES_DIR}/{name}")


def monitoring_page(project: Project) -> Html:
    from mlsys.console.systems import known_systems
    from mlsys.pipelines.common import PREDICTIONS_VERSION

    pictures = images(project)
    fs = project.get_feature_store()
    existing = {(g.name, g.version) for g in fs.get_feature_groups()}
    blocks = []
    for s in known_systems():
        predictions = (link(f"{s.predictions_group} v{PREDICTIONS_VERSION}",
                            url("groups", s.predictions_group, PREDICTIONS_VERSION))
                       if (s.predictions_group, PREDICTIONS_VERSION) in existing
                       else f"{s.predictions_group} (no predictions yet: mlsys infer {s.name})")
        own = [p for p in pictures if p.startswith(f"{s.name}_")]
        blocks.append(section(
            s.name,
            tag("p", "Dashboard: ", tag("code", f"mlsys serve {s.name}-dashboard"),
                " (a Gradio app of its own)"),
            tag("p", "Feature group: ", link(f"{s.feature_group} v{s.version}",
                                             url("groups", s.feature_group, s.version))
                if (s.feature_group, s.version) in existing else "not created yet"),
            tag("p", "Predictions: ", predictions),
            *[tag("figure", tag("img", "", src=url("images", p), alt=p), tag("figcaption", p))
              for p in own], id_=f"system-{s.name}"))
    return page("Monitoring", *blocks, project=project.name)
