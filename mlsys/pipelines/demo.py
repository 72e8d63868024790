"""The whole system in one call, on the schedule it imitates, and what to look at afterwards.

Per system: backfill the real data, train on what exists, then day by day the daily feature
pipeline and batch inference (and a retrain every ``retrain_every`` days, as the training
workflow would), so every day's row is predicted by a model that never saw it. Then the EDA
report of each system that has one and the data-quality report.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from mlsys.errors import ConfigurationError, InvalidArgumentError

if TYPE_CHECKING:
    from mlsys.config import Settings
    from mlsys.pipelines.evaluation import ServedEvaluation
    from mlsys.progress import Progress, StepTime
    from mlsys.store.api import Project
    from mlsys.systems.base import System

CATALOG_FILE = "catalog.sqlite"


@dataclass(frozen=True)
class DemoResult:
    """One line per step, each step's time, where the reports are, and the monitoring figures."""

    steps: tuple[str, ...]
    report_dir: Path
    times: tuple[StepTime, ...] = ()
    reports: tuple[Path, ...] = ()  # absolute paths of the report index pages
    evaluations: dict[str, ServedEvaluation] = field(default_factory=dict)  # by system
    systems: tuple[str, ...] = ()


def wipe_project(project_dir: Path | str) -> None:
    """Delete a local project directory (or a project in a bucket, ``s3://.../<project>``),
    but only one that holds an mlsys catalog."""
    if isinstance(project_dir, str):
        from mlsys.store.local.bucket import objects_at, remove_all

        if objects_at(project_dir).keys():
            if not objects_at(f"{project_dir}/catalog").keys():
                raise ConfigurationError(
                    f"{project_dir} is not an mlsys store (no catalog); refusing to delete it. "
                    "Point MLSYS_HOME at an empty prefix or an mlsys store")
            remove_all(project_dir)
        return
    if not project_dir.exists():
        return
    if not (project_dir / CATALOG_FILE).exists():
        raise ConfigurationError(
            f"{project_dir} is not an mlsys store (no {CATALOG_FILE}); refusing to delete it. "
            "Point MLSYS_HOME at an empty or mlsys directory")
    shutil.rmtree(project_dir)


def _train_line(project: Project, system: System) -> str:
    from mlsys.pipelines.train import train
    from mlsys.quality import describe_quality

    t = train(project, system)
    best = t.best
    return (f"{len(t.models)} model(s) on {t.train_rows} rows (training dataset "
            f"v{t.training_dataset_version}); best v{best.version} ({best.kind}): "
            f"{describe_quality(best.metrics)}")


def _run_system(project: Project, system: System, days: list[date], retrain_every: int | None,
                progress: Progress) -> tuple[list[str], ServedEvaluation | None]:
    from mlsys.pipelines.backfill import backfill
    from mlsys.pipelines.daily import daily
    from mlsys.pipelines.evaluation import membership_reader
    from mlsys.pipelines.infer import infer

    name = system.name
    lines: list[str] = []
    with progress.step(f"{name}: backfill") as s:
        b = backfill(project, system)
        s.done(f"{b.rows_inserted} new of {b.rows_loaded} real rows")
        lines.append(f"{name}: backfill {s.summary}")
    with progress.step(f"{name}: training on the data so far") as s:
        s.done(_train_line(project, system))
        lines.append(f"{name}: trained {s.summary}")
    evaluation = None
    label = f"{name}: day by day, daily data then batch inference"
    if retrain_every:
        label += f" (retraining every {retrain_every} days)"
    # a recorded training dataset does not change and nothing here deletes one: each is
    # read once for all the days
    membership = membership_reader(project, system)
    with progress.step(label, total=len(days)) as s:
        retrains = 0
        for i, day in enumerate(days, start=1):
            d = daily(project, system, day=day)
            # score and draw once, at the end
            r = infer(project, system, monitor=i == len(days), membership=membership)
            evaluation = r.evaluation or evaluation
            note = (f"{day}: {len(d.added)} new row(s), {r.predicted} predicted "
                    f"({r.new_unseen} unseen) by v{r.model_version}")
            if retrain_every and i % retrain_every == 0 and i < len(days):
                _train_line(project, system)
                retrains += 1
                note += "; retrained"
            s.advance(note)
        shown = "no predictions yet" if evaluation is None else evaluation.text()
        s.done(f"{len(days)} day(s), {retrains} retrain(s); {shown}")
        lines.append(f"{name}: {s.summary}")
    return lines, evaluation


def run_demo(project: Project, days: int = 30, systems: Sequence[str] | None = None,
             report_dir: Path | None = None, end: date | None = None,
             progress: Progress | None = None, retrain_every: int | None = None) -> DemoResult:
    """Per system backfill, train, then ``days`` days up to ``end`` (default today) of the daily
    pipeline and batch inference (a retrain every ``retrain_every`` days); then each system's
    EDA report (if it has one) and the data-quality report. ``systems`` defaults to every
    registered system; ``progress`` shows each step (default: silent)."""
    from mlsys.pipelines.daily import today
    from mlsys.pipelines.validate import validate_all
    from mlsys.progress import SilentProgress
    from mlsys.systems import SYSTEMS, get_system

    if retrain_every is not None and retrain_every < 1:
        raise InvalidArgumentError(f"--retrain-every {retrain_every} is not a number of days; "
                                   "give 1 or more, or leave it out to train once")
    systems = tuple(SYSTEMS.names() if systems is None else systems)
    progress = progress or SilentProgress()
    end = end or today()
    schedule = [end - timedelta(days=k) for k in range(days - 1, -1, -1)]
    out = (report_dir or Path("reports")).resolve()
    steps: list[str] = []
    evaluations: dict[str, ServedEvaluation] = {}
    reports: list[Path] = []
    for name in systems:
        lines, evaluation = _run_system(project, get_system(name), schedule, retrain_every,
                                        progress)
        steps.extend(lines)
        if evaluation is not None:
            evaluations[name] = evaluation
    for name in systems:
        system = get_system(name)
        if system.eda is None:
            continue
        with progress.step(f"{name}: EDA report ({system.eda_contents})") as s:
            eda = system.eda(out / f"{name}_eda").resolve()
            s.done(str(eda))
        reports.append(eda)
        steps.append(f"{name}: EDA report {eda}")
    with progress.step("data-quality report (every suite and schema)") as s:
        q = validate_all(project, out / "quality")
        verdict = "all suites and schemas pass" if q.success else "FAILURES, see the report"
        s.done(f"{q.index.resolve()} ({verdict})")
    reports.append(q.index.resolve())
    steps.append(f"data-quality report {q.index.resolve()} ({verdict})")
    return DemoResult(tuple(steps), out, tuple(progress.times), tuple(reports), evaluations,
                      tuple(systems))


def _env_prefix(settings: Settings) -> str:
    """The variables a new shell needs to reach this store (none for the defaults)."""
    from mlsys.config import DEFAULT_HOME, DEFAULT_PROJECT

    parts = []
    if settings.backend != "local":
        parts.append(f"MLSYS_BACKEND={settings.backend}")
    if settings.home != DEFAULT_HOME.expanduser().resolve():
        parts.append(f"MLSYS_HOME={_quoted(str(settings.home))}")
    if settings.project != DEFAULT_PROJECT:
        parts.append(f"MLSYS_PROJECT={_quoted(settings.project)}")
    return " ".join(parts) + (" " if parts else "")


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _featured(result: DemoResult) -> str:
    """The system whose dashboard the closing block suggests: the first with an EDA report
    (the richest to look at), else the first one run."""
    eda = [r.parent.name.removesuffix("_eda") for r in result.reports
           if r.parent.name.endswith("_eda")]
    return next((n for n in eda if n in result.systems), result.systems[0])


def what_next(result: DemoResult, settings: Settings, command: str = "mlsys") -> list[str]:
    """The closing block: the store, the reports as file:// URLs, the commands to look at it
    (``command`` is how this shell runs mlsys, e.g. a virtual environment's path to it)."""
    import importlib.util

    env = _env_prefix(settings) + command
    where = (f"{settings.home}/{settings.project}" if settings.backend == "local"
             else f"Hopsworks project {settings.project}")
    lines = ["", "What next", f"  store:   {where}"]
    for i, report in enumerate(result.reports):
        lines.append(f"  {'reports:' if i == 0 else '        '} {report.as_uri()}")
    lines.append(f"  status:  {env} status")
    app = f"{_featured(result)}-dashboard"
    if importlib.util.find_spec("gradio") is None:
        lines.append("  serve:   pip install 'mlsys[ui]'   (the apps need gradio), then")
        lines.append(f"           {env} serve {app}")
    else:
        lines.append(f"  serve:   {env} serve {app}   (then open http://127.0.0.1:7860)")
    return lines
