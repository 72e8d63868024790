"""Validation run: each system's GE suite and Pandera schemas over every group it writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlsys.store.api import Project


@dataclass(frozen=True)
class ValidateResult:
    """One line per group checked, the data-quality report index, and the overall verdict."""

    lines: tuple[str, ...]
    index: Path
    success: bool


def system_schemas() -> dict[str, Callable[[], Any]]:
    """Group name -> Pandera schema factory for every group the systems write: each feature
    group and its predictions group (what the data-quality report checks them with)."""
    from mlsys.systems import SYSTEMS, get_system

    out: dict[str, Callable[[], Any]] = {}
    for name in SYSTEMS:
        system = get_system(name)
        out[system.feature_group] = system.schema
        out[system.predictions_group] = system.predictions_schema
    return out


def validate_all(project: Project, out_dir: Path) -> ValidateResult:
    """Re-validate every system's stored data (the report is saved), then write the DQ report.

    Fails (``success=False``) when a suite or a schema fails on any group.
    """
    from mlsys.errors import NotFoundError
    from mlsys.reports.quality import write_quality_report
    from mlsys.systems import SYSTEMS, get_system

    fs = project.get_feature_store()
    lines: list[str] = []
    for name in SYSTEMS:
        system = get_system(name)
        try:
            fg = fs.get_feature_group(system.feature_group, system.version)
        except NotFoundError:
            lines.append(f"{system.feature_group} v{system.version}: not created yet (skipped)")
            continue
        if fg.get_expectation_suite() is None:
            lines.append(f"{fg.name} v{fg.version}: no expectation suite attached")
            continue
        report = fg.validate(fg.read(), save_report=True, ingestion_result="FG_DATA")
        verdict = "passed" if report.success else f"FAILED: {report.describe_failures()}"
        lines.append(f"{fg.name} v{fg.version}: suite {report.suite_name} on "
                     f"{report.row_count} rows {verdict}")
    quality = write_quality_report(project, out_dir, schemas=system_schemas())
    for page in quality.groups:
        if page.schema_passed is False:
            lines.append(f"{page.name} v{page.version}: Pandera schema FAILED (see {page.path})")
    return ValidateResult(tuple(lines), quality.index, quality.success)
