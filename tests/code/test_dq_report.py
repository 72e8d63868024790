"""The data-quality HTML report: sections, statistics, self-contained plots, escaping."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

import mlsys
from mlsys.reports.pages import (
    GroupInfo,
    feature_statistics,
    render_group_page,
)
from mlsys.reports.quality import write_quality_report
from mlsys.validation.engine import validate_frame
from mlsys.validation.schemas import SchemaResult, run_schema
from mlsys.validation.suite_io import parse_suite
from mlsys.validation.types import IngestionResult, ValidationReport

HOSTILE = "<script>alert('x')</script>"
VOID = {"meta", "img", "br", "hr", "input", "link"}

SUITE = {
    "name": f"suite {HOSTILE}",
    "expectations": [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "alcohol", "min_value": 8.0, "max_value": 15.0}},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "colour", "value_set": ["red", "white"]}},
        {"type": "expect_column_mean_to_be_between",
         "kwargs": {"column": "alcohol", "min_value": 9.0, "max_value": 12.0}},
    ],
}


class _Structure(HTMLParser):
    """Checks that every non-void tag is closed in order; collects ids, image sources, links."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: set[str] = set()
        self.images: list[str] = []
        self.links: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "img":
            self.images.append(str(a.get("src")))
        if tag == "a":
            self.links.append(str(a.get("href")))
        if tag == "script":
            self.scripts += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()


def _parse(html: str) -> _Structure:
    s = _Structure()
    s.feed(html)
    s.close()
    assert s.errors == [] and s.stack == [], (s.errors, s.stack)
    assert s.scripts == 0
    return s


def _frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "wine_id": np.arange(n),
        "alcohol": rng.uniform(9.0, 12.0, size=n),
        "colour": rng.choice(["red", "white"], size=n),
    })


def _reports() -> tuple[pd.DataFrame, list[ValidationReport]]:
    suite = parse_suite(SUITE)
    good = _frame()
    bad = _frame(seed=1)
    bad.loc[[0, 1], "alcohol"] = [40.0, 2.0]
    bad.loc[2, "colour"] = HOSTILE
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    older = [
        ValidationReport(success=r.success, results=r.results, suite_name=r.suite_name,
                         ingestion_result=IngestionResult.INGESTED,
                         validation_time=t0 + timedelta(days=i), row_count=r.row_count, id=i + 1)
        for i, r in enumerate(validate_frame(f, suite) for f in (good, good, good))
    ]
    b = validate_frame(bad, suite)
    latest = ValidationReport(success=b.success, results=b.results, suite_name=b.suite_name,
                              ingestion_result=IngestionResult.REJECTED,
                              validation_time=t0 + timedelta(days=5), row_count=b.row_count,
                              id=4)
    return bad, [latest, *reversed(older)]


def _page(df: pd.DataFrame, reports: list[ValidationReport],
          schema_result: SchemaResult | None = None) -> str:
    info = GroupInfo(name="wine", version=1, description=f"wines {HOSTILE}",
                     primary_key=("wine_id",), event_time=None, suite_name=reports[0].suite_name,
                     policy="STRICT")
    return render_group_page(info, df, reports, schema_result, datetime.now(UTC))


def test_page_has_every_section_and_no_raw_user_markup() -> None:
    df, reports = _reports()
    schema = pa.DataFrameSchema({"alcohol": pa.Column(float, pa.Check.le(15.0))},
                                name=f"schema {HOSTILE}")
    html = _page(df, reports, run_schema(schema, df))
    s = _parse(html)
    assert {"latest", "history", "pandera", "statistics", "plots"} <= s.ids
    assert "<script>" not in html
    assert "&lt;script&gt;" in html  # the hostile value is shown, escaped
    # expectation by expectation: each type, the observed mean, the unexpected examples
    latest = reports[0]
    for r in latest.results:
        assert r.expectation_type in html
    mean = latest.results[2].observed_value
    assert f"{mean:.6g}" in html
    assert "40.0" in html and "2.0" in html
    assert "REJECTED" in html and "INGESTED" in html
    # every past report is listed, the recent ones expandable in full
    assert html.count("<details>") == len(reports) - 1
    assert "FAIL" in html and "PASS" in html


def test_plots_are_inline_pngs_and_nothing_is_fetched() -> None:
    df, reports = _reports()
    s = _parse(_page(df, reports))
    # a histogram per numeric feature, a bar chart for colour, the history plot
    assert len(s.images) == 4
    for src in s.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    html = _page(df, reports)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert s.links == ["index.html"]


def test_statistics_match_pandas() -> None:
    df = _frame(50)
    df.loc[[3, 4], "alcohol"] = np.nan
    df["note"] = [HOSTILE if i % 2 else None for i in range(50)]
    stats = {s.name: s for s in feature_statistics(df)}
    a = stats["alcohol"]
    assert (a.count, a.nulls) == (48, 2)
    assert a.mean == pytest.approx(df["alcohol"].mean())
    assert a.std == pytest.approx(df["alcohol"].std())
    assert (a.min, a.max) == (df["alcohol"].min(), df["alcohol"].max())
    assert a.distinct == df["alcohol"].nunique()
    n = stats["note"]
    assert (n.count, n.nulls, n.distinct, n.mean) == (25, 25, 1, None)
    assert stats["colour"].distinct == df["colour"].nunique()
    html = _page(df, _reports()[1])
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_page_without_reports_or_rows() -> None:
    empty = pd.DataFrame()
    info = GroupInfo(name="new", version=2)
    html = render_group_page(info, empty, [], None, datetime.now(UTC))
    _parse(html)
    assert "No validation report is stored" in html
    assert "No Pandera schema was given" in html
    assert "no features yet" in html


def test_failing_schema_lists_its_failure_cases() -> None:
    df, reports = _reports()
    schema = pa.DataFrameSchema({"colour": pa.Column(str, pa.Check.isin(["red", "white"]))})
    result = run_schema(schema, df)
    html = _page(df, reports, result)
    pandera_section = html.split('id="pandera"')[1].split('id="statistics"')[0]
    assert "isin" in pandera_section and "&lt;script&gt;" in pandera_section
    assert f"{result.failure_count} failure case(s)" in pandera_section


# --------------------------------------------------------------------------- on a real store


def test_report_over_a_local_store(tmp_path: Path) -> None:
    project = mlsys.login(backend="local", home=tmp_path / "store")
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group(name="wine", version=1, primary_key=["wine_id"],
                                        description=f"wines {HOSTILE}")
    fg.save_expectation_suite(SUITE, validation_ingestion_policy="always")
    good = _frame(100)
    fg.insert(good)
    bad = _frame(20, seed=3).assign(wine_id=np.arange(100, 120))
    bad.loc[0, "alcohol"] = 99.0
    fg.insert(bad)
    plain = fs.get_or_create_feature_group(name="plain", version=1, primary_key=["wine_id"])
    plain.insert(_frame(10))

    schema = pa.DataFrameSchema({"alcohol": pa.Column(float, pa.Check.le(15.0))})
    out = tmp_path / "report"
    report = write_quality_report(project, out, schemas={"wine": schema})

    assert report.index == out / "index.html"
    assert set(report.pages) == {"plain_v1", "wine_v1"}
    assert not report.success  # the latest report of wine failed, as did its schema
    wine = next(g for g in report.groups if g.name == "wine")
    assert (wine.latest_success, wine.schema_passed, wine.reports, wine.rows) == (
        False, False, 2, 120)
    plain_page = next(g for g in report.groups if g.name == "plain")
    assert plain_page.success and plain_page.latest_success is None
    index = report.index.read_text(encoding="utf-8")
    links = _parse(index).links
    assert sorted(links) == sorted(p.name for p in report.pages.values())
    page = report.pages["wine_v1"].read_text(encoding="utf-8")
    _parse(page)
    assert "99" in page and "<script>" not in page
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_report_for_chosen_groups_with_versioned_schema_keys(tmp_path: Path) -> None:
    project = mlsys.login(backend="local", home=tmp_path / "store")
    fs = project.get_feature_store()
    v1 = fs.get_or_create_feature_group(name="wine", version=1, primary_key=["wine_id"])
    v2 = fs.get_or_create_feature_group(name="wine", version=2, primary_key=["wine_id"])
    v1.insert(_frame(10))
    v2.insert(_frame(10))
    strict = pa.DataFrameSchema({"alcohol": pa.Column(float, pa.Check.gt(100.0))})
    report = write_quality_report(project, tmp_path / "out", groups=[v2],
                                  schemas={"wine_v2": strict, "wine": None})
    assert list(report.pages) == ["wine_v2"]
    assert report.groups[0].schema_passed is False and not report.success
    assert not (tmp_path / "out" / "wine_v1.html").exists()
    # a plain name applies to every version of the group
    both = write_quality_report(project, tmp_path / "all", schemas={"wine": strict})
    assert [g.schema_passed for g in both.groups] == [False, False]
