"""Rendering of one feature group's data-quality page: validation reports, Pandera, statistics."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mlsys.reports.plots import (
    esc,
    is_numeric,
    render_feature_plots,
    render_history_plot,
)
from mlsys.validation.ge import jsonable

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.validation.schemas import SchemaResult
    from mlsys.validation.types import ExpectationResult, ValidationReport

MAX_PAST_DETAILED = 20  # past reports shown expectation by expectation; older ones as one row
MAX_PAST_ROWS = 500  # past reports listed at all
MAX_EXAMPLES = 10  # unexpected values shown per expectation

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;
background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:16px 28px}
header a{color:#9cc3ff}
main{padding:16px 28px;max-width:1400px}
h1{margin:0;font-size:1.5em}
h2{margin-top:28px;border-bottom:1px solid #d5d9e0;padding-bottom:4px}
table{border-collapse:collapse;background:#fff;margin:8px 0;font-size:.9em}
th,td{border:1px solid #d5d9e0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#137333;font-weight:600}.fail{color:#b3261e;font-weight:600}
.muted{color:#667085}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
.badge.pass{background:#137333;color:#fff}.badge.fail{background:#b3261e;color:#fff}
.badge.none{background:#667085}
.grid{display:flex;flex-wrap:wrap;gap:8px}
.grid figure{margin:0;background:#fff;border:1px solid #d5d9e0;padding:4px}
.grid figcaption{font-size:.8em;text-align:center}
code{font-size:.85em;word-break:break-word}
details{margin:6px 0}
summary{cursor:pointer}
"""


def fmt(value: Any, limit: int = 160) -> str:
    """A short readable text for a value (numbers rounded, containers as compact JSON), escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = str(value)
    elif isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, dict | list | tuple):
        text = json.dumps(value, default=str, ensure_ascii=False)
    else:
        text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return esc(text)


def badge(ok: bool | None, yes: str = "PASS", no: str = "FAIL", none: str = "none") -> str:
    if ok is None:
        return f'<span class="badge none">{esc(none)}</span>'
    return f'<span class="badge {"pass" if ok else "fail"}">{esc(yes if ok else no)}</span>'


def page(title: str, header: str, body: str) -> str:
    """A complete, self-contained HTML document (inline CSS, no scripts, no external assets)."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body><header>{header}</header><main>{body}</main></body></html>\n"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = (),
          cls: str = "") -> str:
    """An HTML table; ``rows`` hold already-escaped cell HTML."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        ) + "</tr>"
        for row in rows
    )
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# --------------------------------------------------------------------------- validation reports


def _other_kwargs(r: ExpectationResult) -> dict[str, Any]:
    return {k: v for k, v in r.kwargs.items() if k not in ("column", "batch_id")}


def render_results(report: ValidationReport) -> str:
    """Expectation by expectation: outcome, arguments, observed value, unexpected examples."""
    if not report.results:
        return '<p class="muted">The suite has no expectations.</p>'
    rows = []
    for r in report.results:
        unexpected = ""
        if r.unexpected_count is not None:
            pct = "" if r.unexpected_percent is None else f" ({r.unexpected_percent:.3g}%)"
            unexpected = f"{r.unexpected_count}{esc(pct)}"
        examples = fmt(r.partial_unexpected_list[:MAX_EXAMPLES]) if r.partial_unexpected_list \
            else ""
        rows.append([
            badge(r.success, "pass", "fail"),
            f"<code>{esc(r.expectation_type)}</code>",
            esc(r.column or ""),
            f"<code>{fmt(_other_kwargs(r))}</code>" if _other_kwargs(r) else "",
            fmt(r.observed_value),
            fmt(r.element_count),
            unexpected,
            f"<code>{examples}</code>" if examples else "",
            f'<span class="fail">{fmt(r.exception_message, 300)}</span>'
            if r.exception_message else "",
        ])
    return table(["", "expectation", "column", "arguments", "observed", "rows", "unexpected",
                  "unexpected examples", "error"], rows, numeric=(5,))


def _report_line(report: ValidationReport) -> list[str]:
    stats = report.statistics
    failed = ", ".join(
        f"{r.expectation_type}({r.column})" if r.column else r.expectation_type
        for r in report.failures[:4]
    ) + (" …" if len(report.failures) > 4 else "")
    return [
        esc(report.id if report.id is not None else ""),
        esc(_when(report.validation_time)),
        badge(report.success),
        esc(report.ingestion_result.value),
        esc(report.row_count),
        esc(f"{stats['successful_expectations']}/{stats['evaluated_expectations']}"),
        f"<code>{esc(failed)}</code>",
    ]


def _when(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def render_latest(report: ValidationReport | None) -> str:
    if report is None:
        return ('<p class="muted">No validation report is stored for this group (attach an '
                "expectation suite and insert, or run <code>mlsys validate</code>).</p>")
    stats = report.statistics
    summary = (
        f"<p>{badge(report.success)} suite <code>{esc(report.suite_name)}</code>, "
        f"{esc(_when(report.validation_time))}, {esc(report.ingestion_result.value)}, "
        f"{esc(report.row_count)} row(s); {esc(stats['successful_expectations'])} of "
        f"{esc(stats['evaluated_expectations'])} expectation(s) met "
        f"({stats['success_percent']:.1f}%).</p>"
    )
    return summary + render_results(report)


def render_history(reports: Sequence[ValidationReport]) -> str:
    """Every past report as one row, the newest ``MAX_PAST_DETAILED`` expandable in full."""
    if not reports:
        return '<p class="muted">No earlier reports.</p>'
    shown = reports[:MAX_PAST_ROWS]
    parts = [table(["id", "time", "outcome", "ingestion", "rows", "met", "failed expectations"],
                   [_report_line(r) for r in shown], numeric=(0, 4))]
    if len(reports) > len(shown):
        parts.append(f'<p class="muted">{len(reports) - len(shown)} older report(s) not '
                     "listed.</p>")
    for r in shown[:MAX_PAST_DETAILED]:
        label = f"report {r.id if r.id is not None else ''} · {_when(r.validation_time)}"
        parts.append(f"<details><summary>{badge(r.success)} {esc(label)}</summary>"
                     f"{render_results(r)}</details>")
    return "".join(parts)


# --------------------------------------------------------------------------- pandera


def render_schema_result(result: SchemaResult | None) -> str:
    if result is None:
        return ('<p class="muted">No Pandera schema was given for this group.</p>')
    head = (f"<p>{badge(result.passed)} schema <code>{esc(result.schema_name)}</code> on "
            f"{esc(result.row_count)} row(s)")
    if result.passed:
        return head + ": every check passed.</p>"
    head += f": {esc(result.failure_count)} failure case(s).</p>"
    if result.error:
        head += f'<p class="fail">{fmt(result.error, 400)}</p>'
    rows = [[fmt(None if _isna(c.column) else c.column), f"<code>{fmt(c.check)}</code>",
             fmt(c.failure_case), fmt(None if _isna(c.index) else c.index)]
            for c in result.failure_cases.itertuples(index=False)]
    if rows:
        head += table(["column", "check", "failure case", "row index"], rows)
        if result.failure_count > len(rows):
            head += f'<p class="muted">first {len(rows)} of {result.failure_count} shown.</p>'
    return head


def _isna(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other containers are not "NA"
        return False


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class FeatureStats:
    """Summary statistics of one feature (column); numbers are None where they do not apply."""

    name: str
    dtype: str
    count: int  # non-null values
    nulls: int
    distinct: int | None
    mean: float | None = None
    std: float | None = None
    min: Any = None
    max: Any = None


def feature_statistics(df: pd.DataFrame) -> list[FeatureStats]:
    """Count, nulls, distinct, mean, std, min and max of every column of ``df``."""
    out = []
    for name in df.columns:
        s = df[name]
        nulls = int(s.isna().sum())
        try:
            distinct: int | None = int(s.nunique(dropna=True))
        except TypeError:  # unhashable cells (lists, dicts)
            distinct = None
        mean = std = lo = hi = None
        if is_numeric(s) and len(s) - nulls:
            mean, std = _float(s.mean()), _float(s.std())
            lo, hi = jsonable(s.min()), jsonable(s.max())
        elif len(s) - nulls:
            with contextlib.suppress(TypeError, ValueError):  # mixed or unorderable values
                lo, hi = jsonable(s.min()), jsonable(s.max())
        out.append(FeatureStats(str(name), str(s.dtype), len(s) - nulls, nulls, distinct,
                                mean, std, lo, hi))
    return out


def _float(v: Any) -> float | None:
    import math

    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def render_statistics(stats: Sequence[FeatureStats], rows: int) -> str:
    if not stats:
        return '<p class="muted">The group has no features yet.</p>'
    body = []
    for s in stats:
        pct = f" ({100.0 * s.nulls / rows:.1f}%)" if rows else ""
        body.append([f"<code>{esc(s.name)}</code>", esc(s.dtype), esc(s.count),
                     esc(f"{s.nulls}{pct}"), fmt(s.distinct), fmt(s.mean), fmt(s.std),
                     fmt(s.min, 40), fmt(s.max, 40)])
    return table(["feature", "type", "count", "nulls", "distinct", "mean", "std", "min", "max"],
                 body, numeric=(2, 3, 4, 5, 6))


# --------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class GroupInfo:
    """What the page header says about the group (taken from the store API)."""

    name: str
    version: int
    description: str = ""
    primary_key: tuple[str, ...] = ()
    event_time: str | None = None
    suite_name: str | None = None
    policy: str | None = None
    error: str | None = None  # set when the group's data could not be read


def render_group_page(info: GroupInfo, df: pd.DataFrame, reports: Sequence[ValidationReport],
                      schema_result: SchemaResult | None, generated: datetime,
                      index_href: str = "index.html") -> str:
    """The whole HTML page of one feature group (``reports`` newest first)."""
    title = f"{info.name} v{info.version}"
    latest = reports[0] if reports else None
    header = (f'<p><a href="{esc(index_href)}">← all feature groups</a></p>'
              f"<h1>Data quality: {esc(title)}</h1>"
              f"<p>{esc(info.description)}</p>")
    facts = table(["primary key", "event time", "rows", "features", "expectation suite",
                   "ingestion policy", "generated"], [[
                       esc(", ".join(info.primary_key)), esc(info.event_time or ""),
                       esc(len(df)), esc(len(df.columns)), esc(info.suite_name or "none"),
                       esc(info.policy or ""), esc(_when(generated))]])
    status = (f"<p>Latest validation {badge(None if latest is None else latest.success)} "
              f"· Pandera {badge(None if schema_result is None else schema_result.passed)}</p>")
    error = f'<p class="fail">{fmt(info.error, 500)}</p>' if info.error else ""
    body = "".join([
        facts, status, error,
        '<h2 id="latest">Latest validation report</h2>', render_latest(latest),
        '<h2 id="history">Past validation reports</h2>', render_history_plot(reports),
        render_history(reports[1:]),
        '<h2 id="pandera">Pandera schema</h2>', render_schema_result(schema_result),
        '<h2 id="statistics">Feature statistics</h2>',
        render_statistics(feature_statistics(df), len(df)),
        '<h2 id="plots">Distributions</h2>', render_feature_plots(df),
    ])
    return page(f"Data quality · {title}", header, body)
