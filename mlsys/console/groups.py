"""Feature-group pages: the list, one group (schema, commits, rows, suite, validation), stats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlsys.console.html import Html, badge, bars, link, page, section, table, tag, url

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.store.api import FeatureGroup, Project
    from mlsys.validation.types import ValidationReport

PAGE_ROWS = 50  # rows of one page of a group's data
COMMITS_SHOWN = 100  # newest commits listed; older ones are reached by number (?commit=N)
REPORTS_SHOWN = 50  # newest validation reports shown
CELL_CHARS = 200  # a longer value is cut in a table cell (the page is for looking, not export)


def when(value: Any) -> str:
    """A time as ``YYYY-MM-DD HH:MM:SS UTC`` (or its text)."""
    strftime = getattr(value, "strftime", None)
    return strftime("%Y-%m-%d %H:%M:%S %Z").strip() if strftime else str(value)


def cell(value: Any) -> str:
    text = str(value)
    return text if len(text) <= CELL_CHARS else text[:CELL_CHARS] + "…"


def frame_table(df: pd.DataFrame, **attrs: Any) -> Html:
    return table(list(df.columns), ([cell(v) for v in row] for row in
                                    df.itertuples(index=False, name=None)), **attrs)


def group_href(fg: FeatureGroup, **query: Any) -> str:
    return url("groups", fg.name, fg.version, **query)


def groups_page(project: Project) -> Html:
    """Every feature group: version, rows, keys, event time, online, last commit."""
    rows = []
    for fg in sorted(project.get_feature_store().get_feature_groups(),
                     key=lambda g: (g.name, g.version)):
        latest = next(iter(fg.commit_details(limit=1).values()), None)
        total = fg.read_page(0, 0).total_rows if latest is not None else 0  # a count only
        rows.append([link(fg.name, group_href(fg)), fg.version, total,
                     ", ".join(fg.primary_key), fg.event_time or "", "yes" if fg.online_enabled
                     else "no", when(latest["committed_on"]) if latest else "never"])
    body = (table(["name", "version", "rows", "primary key", "event time", "online",
                   "last commit"], rows, id="groups") if rows
            else tag("p", "No feature groups yet.", class_="muted"))
    return page("Feature groups", body, project=project.name)


def group_page(project: Project, name: str, version: int, commit: int | None,
               page_no: int) -> Html:
    """One group at ``commit`` (default: the latest), its rows paged ``PAGE_ROWS`` at a time."""
    fg = project.get_feature_store().get_feature_group(name, version)
    rows = fg.read_page(page_no * PAGE_ROWS, PAGE_ROWS, commit=commit)
    at = "latest commit" if commit is None else f"commit {commit}"
    title = f"{fg.name} v{fg.version}"
    return page(
        title,
        tag("p", fg.description or "", class_="muted"),
        tag("p", link("statistics and distributions", url("groups", fg.name, fg.version,
                                                           "stats", commit=commit))),
        section("Schema", _schema(fg), id_="schema"),
        section(f"Rows at the {at}", _rows(fg, rows, commit, page_no), id_="rows"),
        section("Commits (time travel)", _commits(fg, rows.commit), id_="commits"),
        section("Expectation suite", _suite(fg), id_="suite"),
        section("Validation history", _validations(fg), id_="validations"),
        project=project.name)


def _schema(fg: FeatureGroup) -> Html:
    keys = {*fg.primary_key}
    rows = [[f.name, f.type, "primary key" if f.name in keys else
             ("event time" if f.name == fg.event_time else "")] for f in fg.features]
    return table(["feature", "type", "key"], rows) if rows else tag(
        "p", "No schema yet (nothing inserted).", class_="muted")


def _rows(fg: FeatureGroup, rows: Any, commit: int | None, page_no: int) -> Html:
    first = rows.offset + 1 if len(rows.rows) else 0
    nav = []
    if page_no > 0:
        nav.append(link("« previous", group_href(fg, commit=commit, page=page_no - 1) + "#rows",
                        rel="prev"))
    if rows.has_next:
        nav.append(link("next »", group_href(fg, commit=commit, page=page_no + 1) + "#rows",
                        rel="next"))
    shown = f"rows {first}–{rows.offset + len(rows.rows)} of {rows.total_rows}"
    return tag("div", tag("p", shown, " ", *nav, class_="pager"),
               frame_table(rows.rows, id="data"))


def _commits(fg: FeatureGroup, shown: int | None) -> Html:
    commits = fg.commit_details(limit=COMMITS_SHOWN)
    rows = []
    for number, d in commits.items():
        mark = badge("shown", "info") if number == shown else ""
        rows.append([link(number, group_href(fg, commit=number) + "#rows"), mark,
                     when(d["committed_on"]), d.get("operation") or "", d["rows_inserted"],
                     d["rows_updated"], d["rows_deleted"]])
    pick = tag("form", tag("label", "Show the rows of commit ",
                           tag("input", name="commit", type="number", min="0")),
               tag("button", "show", type="submit"), method="get", action=group_href(fg))
    note = (f"the newest {COMMITS_SHOWN} commits; older ones by number" if
            len(commits) >= COMMITS_SHOWN else "")
    return tag("div", pick, tag("p", note, class_="muted"),
               table(["commit", "", "committed", "operation", "inserted", "updated", "deleted"],
                     rows, id="commit-list"))


def _suite(fg: FeatureGroup) -> Html:
    suite = fg.get_expectation_suite()
    if suite is None:
        return tag("p", "No suite attached: inserts are not validated.", class_="muted")
    rows = [[e.type, ", ".join(f"{k}={v!r}" for k, v in e.kwargs.items())]
            for e in suite.expectations]
    return tag("div", tag("p", "Suite ", tag("code", suite.name), ", policy ",
                          badge(fg.validation_ingestion_policy or "?", "info")),
               table(["expectation", "arguments"], rows))


def _validations(fg: FeatureGroup) -> Html:
    reports: list[ValidationReport] = fg.get_all_validation_reports()[:REPORTS_SHOWN]
    if not reports:
        return tag("p", "No validation reports.", class_="muted")
    rows = []
    for r in reports:
        failed = [tag("div", f.expectation_type, f" on {f.column}" if f.column else "", ": ",
                      _observed(f)) for f in r.failures]
        rows.append([when(r.validation_time), r.ingestion_result.value,
                     badge("passed", "ok") if r.success else badge("FAILED", "bad"),
                     r.row_count, tag("div", *failed) if failed else ""])
    return table(["validated", "ingestion", "result", "rows", "failed expectations"], rows,
                 id="validation-list")


def _observed(f: Any) -> str:
    if f.exception_message:
        return f"error: {f.exception_message}"
    parts = [f"observed {cell(f.observed_value)}"] if f.observed_value is not None else []
    if f.unexpected_count:
        parts.append(f"{f.unexpected_count} unexpected, e.g. {cell(f.partial_unexpected_list[:5])}")
    return "; ".join(parts) or "failed"


def stats_page(project: Project, name: str, version: int, commit: int | None,
               summary: Any) -> Html:
    """Per-feature statistics and distributions, from ``summary`` (see ``console.stats``)."""
    fg = project.get_feature_store().get_feature_group(name, version)
    blocks = []
    for s in summary.features:
        facts = table(["count", "missing", "distinct", "min", "max", "mean", "std"],
                      [[s.count, s.missing, "not counted" if s.distinct is None else s.distinct,
                        *(cell("" if v is None else v) for v in (s.min, s.max, s.mean, s.std))]])
        blocks.append(section(f"{s.name} ({s.type})", facts, bars(s.distribution)))
    at = "latest commit" if commit is None else f"commit {commit}"
    return page(f"{fg.name} v{fg.version}: statistics", tag(
        "p", f"{summary.rows} rows at the {at}", " · ", link("back to the group", group_href(
            fg, commit=commit))), *blocks, project=project.name)
