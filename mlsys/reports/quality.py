"""The data-quality report: one self-contained HTML page per feature group plus an index page."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsys.errors import MlsysError
from mlsys.reports.pages import GroupInfo, badge, page, render_group_page, table
from mlsys.reports.plots import esc
from mlsys.validation.schemas import run_schema

if TYPE_CHECKING:
    from mlsys.store.api import FeatureGroup, Project
    from mlsys.validation.schemas import SchemaResult
    from mlsys.validation.types import ValidationReport


@dataclass(frozen=True)
class GroupPage:
    """One feature group's page and what it found."""

    name: str
    version: int
    path: Path
    rows: int
    latest_success: bool | None  # None: no validation report stored
    schema_passed: bool | None  # None: no Pandera schema given for the group
    reports: int
    error: str | None = None  # the group's data or reports could not be read

    @property
    def success(self) -> bool:
        """No failed latest report, no failed schema, no read error."""
        return (self.error is None and self.latest_success is not False
                and self.schema_passed is not False)


@dataclass(frozen=True)
class QualityReport:
    """What :func:`write_quality_report` wrote: the index, one page per group, the verdict."""

    index: Path
    groups: tuple[GroupPage, ...]

    @property
    def success(self) -> bool:
        """Every group passed: its latest validation report and its Pandera schema (if any)."""
        return all(g.success for g in self.groups)

    @property
    def pages(self) -> dict[str, Path]:
        """``{"<name>_v<version>": page path}``."""
        return {f"{g.name}_v{g.version}": g.path for g in self.groups}

    def __str__(self) -> str:
        ok = sum(g.success for g in self.groups)
        return f"{self.index} ({ok}/{len(self.groups)} feature group(s) pass)"


def write_quality_report(project: Project, out_dir: Path | str,
                         groups: Sequence[FeatureGroup] | None = None,
                         schemas: dict[str, Any] | None = None) -> QualityReport:
    """Write ``index.html`` and one page per feature group into ``out_dir``.

    Uses the store API only, so it works on every backend. ``groups`` defaults to every group of
    the project's feature store. ``schemas`` maps a group name (every version) or
    ``"<name>_v<version>"`` to a Pandera schema (or a factory of one), run on the group's data.
    A group passes when its latest stored validation report succeeded (or none is stored) and
    its schema (if given) passed.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if groups is None:
        groups = project.get_feature_store().get_feature_groups()
    ordered = sorted(groups, key=lambda fg: (fg.name, fg.version))
    generated = datetime.now(UTC)
    pages = tuple(_write_group(fg, out, schemas or {}, generated) for fg in ordered)
    index = out / "index.html"
    _write_atomic(index, render_index(getattr(project, "name", ""), pages, generated))
    return QualityReport(index=index, groups=pages)


def _schema_for(fg: FeatureGroup, schemas: dict[str, Any]) -> Any:
    return schemas.get(f"{fg.name}_v{fg.version}", schemas.get(fg.name))


def _page_name(fg: FeatureGroup) -> str:
    # names are already normalised by the store; this only guards the file system
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{fg.name}_v{fg.version}") + ".html"


def _write_group(fg: FeatureGroup, out: Path, schemas: dict[str, Any],
                 generated: datetime) -> GroupPage:
    import pandas as pd

    errors: list[str] = []
    suite_name = None
    try:
        suite = fg.get_expectation_suite()
        suite_name = None if suite is None else suite.name
    except MlsysError as err:
        errors.append(f"expectation suite: {err}")
    try:
        df = fg.read() if fg.features else pd.DataFrame()
    except MlsysError as err:
        errors.append(f"data: {err}")
        df = pd.DataFrame()
    reports: list[ValidationReport] = []
    try:
        reports = sorted(fg.get_all_validation_reports(), key=lambda r: r.validation_time,
                         reverse=True)
    except MlsysError as err:
        errors.append(f"validation reports: {err}")
    schema = _schema_for(fg, schemas)
    schema_result: SchemaResult | None = None
    if schema is not None:
        schema_result = run_schema(schema, df)
    info = GroupInfo(
        name=fg.name, version=fg.version, description=getattr(fg, "description", "") or "",
        primary_key=tuple(getattr(fg, "primary_key", ()) or ()),
        event_time=getattr(fg, "event_time", None), suite_name=suite_name,
        policy=fg.validation_ingestion_policy, error="; ".join(errors) or None,
    )
    path = out / _page_name(fg)
    _write_atomic(path, render_group_page(info, df, reports, schema_result, generated))
    return GroupPage(
        name=fg.name, version=fg.version, path=path, rows=len(df),
        latest_success=reports[0].success if reports else None,
        schema_passed=None if schema_result is None else schema_result.passed,
        reports=len(reports), error=info.error,
    )


def render_index(project_name: str, pages: Sequence[GroupPage], generated: datetime) -> str:
    """The index page: overall verdict and one row per group, linking to its page."""
    ok = all(p.success for p in pages)
    rows = [[
        f'<a href="{esc(p.path.name)}">{esc(p.name)}</a>', esc(p.version), esc(p.rows),
        badge(p.latest_success), badge(p.schema_passed), esc(p.reports),
        badge(p.success) + (f' <span class="fail">{esc(p.error)}</span>' if p.error else ""),
    ] for p in pages]
    header = (f"<h1>Data quality report · {esc(project_name)}</h1>"
              f"<p>generated {esc(generated.strftime('%Y-%m-%d %H:%M:%S UTC'))}</p>")
    if pages:
        body = (f"<p>{badge(ok, 'ALL PASS', 'FAILURES')} {sum(p.success for p in pages)} of "
                f"{len(pages)} feature group(s) pass.</p>"
                + table(["feature group", "version", "rows", "latest validation", "Pandera",
                         "reports", "verdict"], rows, numeric=(1, 2, 5)))
    else:
        body = '<p class="muted">The feature store has no feature groups yet.</p>'
    return page(f"Data quality · {project_name}", header, body)


def _write_atomic(path: Path, text: str) -> None:
    """Readers (a browser, a CI artifact upload) see the old page or the new one, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        Path(tmp).chmod(0o644)  # mkstemp makes 0600; a report is meant to be read and served
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["GroupPage", "QualityReport", "render_index", "write_quality_report"]
