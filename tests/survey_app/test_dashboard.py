"""The EDI dashboard, its exports, the board report and the indicators API.

One released regional bank-workers wave (tests/survey_app/released_wave.py) is built once per
database and read by every test here: access control on every route, audit entries, what the pages
show, that the deliberately small group (5 Black Caribbean respondents) leaks through no view, and
that spreadsheet exports escape formula-like labels.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl.utils import get_column_letter
from sqlalchemy import select, text

from analysis.indicators import MEASURES
from survey_app.app import create_app
from survey_app.cli import main
from survey_app.config import Settings
from survey_app.edi.benchmarks import COLUMNS, benchmark_rows, wres_benchmarks
from survey_app.edi.charts import Bar, bar_chart
from survey_app.edi.views import gap_text
from survey_app.indicators import NO_REASON_WORDING
from survey_app.keys import write_secret_file
from survey_app.storage.database import engine_for, upgrade
from survey_app.storage.models import AuditEvent
from survey_app.wave_names import long_date
from tests.conftest import SHARED, _admin_engine, _postgres_url
from tests.survey_app import released_wave as rw
from tests.survey_app.helpers import sign_in, web_settings

W = rw.WAVE
WORDING = "fewer than 11 responses"
# What a group of 5 may say: its true reason, or none where the reason would narrow a small group.
SMALL_WORDINGS = (WORDING, NO_REASON_WORDING)
WRES = ("wres5", "wres6", "wres7", "wres8")
BLACK = "Black / African / Caribbean / Black British"
WHITE_PREFIX = "White - "
PAGES = [
    f"/edi/waves/{W}",
    f"/edi/waves/{W}/measures",
    f"/edi/waves/{W}/indicators/wres5",
    f"/edi/waves/{W}/report",
    f"/edi/waves/{W}/export.csv?by=ethnic_category",
    f"/edi/waves/{W}/export.xlsx?by=ethnic_category",
    f"/edi/waves/{W}/themes",
    f"/edi/waves/{W}/themes.csv",
    f"/edi/waves/{W}/themes.xlsx",
]
API = [f"/api/v1/waves/{W}/indicators?by=ethnic_category", f"/api/v1/waves/{W}/themes"]
EVERY_ROUTE = PAGES + API
# This wave has no released testimonies, so no themes: their downloads and API answer 404 (the page says so).
NO_THEMES_YET = {f"/edi/waves/{W}/themes.csv", f"/edi/waves/{W}/themes.xlsx", f"/api/v1/waves/{W}/themes"}


@dataclass(frozen=True)
class Dashboard:
    settings: Settings
    app: Litestar
    planted: rw.Planted


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dashboard(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    folder = tmp_path_factory.mktemp("dashboard")
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'survey.db'}"
        upgrade(url)
    else:
        template = request.getfixturevalue("postgres_template")
        name = f"survey_dash_{secrets.token_hex(6)}"
        with _admin_engine().connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        url = _postgres_url(name)
    kek, case = folder / "keys" / "kek.key", folder / "keys" / "case.key"
    write_secret_file(kek)
    write_secret_file(case)
    settings = Settings(database_url=url, key_file=kek, case_key_file=case)
    planted = rw.build(settings)
    web = dataclasses.replace(web_settings(settings), session_folder=folder / "sessions")
    yield Dashboard(settings, create_app(web), planted)
    engine_for(url).dispose()
    if name is not None:
        with _admin_engine().connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def client(dashboard: Dashboard) -> Iterator[TestClient]:
    with TestClient(dashboard.app) as client:
        yield client


def as_(client: TestClient, who: str) -> TestClient:
    client.cookies.clear()
    sign_in(client, rw.EMAILS[who])
    return client


def audit(dashboard: Dashboard, actor: str) -> list[tuple[str, dict[str, Any]]]:
    with engine_for(dashboard.settings.database_url).connect() as connection:
        rows = connection.execute(
            select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.actor == actor).order_by(AuditEvent.id)
        ).all()
    return [(row.action, json.loads(row.detail)) for row in rows]


# --- reading pages ----------------------------------------------------------------------------------

class Page(HTMLParser):
    """Tables (rows of cell texts, without NHS.UK's repeated responsive headings) and SVG charts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[dict[str, Any]] = []
        self._skip = 0
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._caption: list[str] | None = None
        self.feed(html)
        self.charts = [parse_chart(svg) for svg in re.findall(r'<svg[^>]*class="app-chart".*?</svg>', html, flags=re.S)]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if self._skip:
            self._skip += tag != "wbr"
            return
        if tag == "span" and "nhsuk-table__heading" in classes:
            self._skip = 1
        elif tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            self._skip -= 1
            return
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


def parse_chart(svg: str) -> dict[str, Any]:
    rows = []
    for row in re.findall(r'<g class="app-chart__row">(.*?)</g>', svg, flags=re.S):
        label = unescape(" ".join(re.findall(r"<tspan[^>]*>(.*?)</tspan>", row)))
        rest = re.sub(r'<text class="app-chart__label".*?</text>', "", row, flags=re.S)
        rows.append({"label": label, "rest": rest})
    return {
        "svg": svg,
        "title": unescape(re.search(r"<title[^>]*>(.*?)</title>", svg, flags=re.S).group(1)),  # type: ignore[union-attr]
        "desc": unescape(re.search(r"<desc[^>]*>(.*?)</desc>", svg, flags=re.S).group(1)),  # type: ignore[union-attr]
        "rows": rows,
    }


def squashed(text: str) -> str:
    """Without whitespace: a chart wraps a long label over lines, breaking long words."""
    return re.sub(r"\s+", "", text)


def digits_without_wording(value: str) -> list[str]:
    return re.findall(r"\d", value.replace(WORDING, ""))


def figures_of(table: dict[str, Any]) -> dict[str, tuple[int, int] | None]:
    """Group -> (count, base) from a figures table's "x of y" column; None when withheld."""
    found: dict[str, tuple[int, int] | None] = {}
    for row in table["rows"][1:]:
        group = row[0]
        match = next((re.fullmatch(r"([\d,]+) of ([\d,]+)", cell) for cell in row if " of " in cell), None)
        if match:
            found[group] = (int(match.group(1).replace(",", "")), int(match.group(2).replace(",", "")))
        else:
            found[group] = None
    return found


def sheet_rows(sheet: Any) -> list[dict[str, Any]]:
    """A table sheet (header in row 1) as one mapping per row."""
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]


# --- access control ---------------------------------------------------------------------------------

def test_every_route_refuses_anonymous_users(client: TestClient) -> None:
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303), path
        assert response.headers["location"] == "/staff/login", path
    for path in API:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["status"] == 401
        # Only what the staff session middleware sets on every staff route: no CSRF cookie from the API.
        assert "staff_csrf" not in response.headers.get("set-cookie", "")


def test_every_route_is_404_for_another_organisations_wave(client: TestClient) -> None:
    as_(client, "other_edi")
    for path in EVERY_ROUTE:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "north" not in response.text.lower().replace(W, ""), path  # says nothing about the wave
    assert client.get(API[0]).json() == {"status": 404, "error": "No such survey wave"}
    as_(client, "edi")
    for path in EVERY_ROUTE:
        assert client.get(path.replace(W, rw.OTHER_WAVE)).status_code == 404, path
        assert client.get(path.replace(W, "no-such-wave")).status_code == 404, path


def test_every_route_is_403_for_a_role_that_may_not_see_indicators(client: TestClient) -> None:
    as_(client, "ftsu")
    for path in EVERY_ROUTE:
        assert client.get(path).status_code == 403, path
    assert client.get(API[0]).json()["status"] == 403


def test_edi_leads_and_administrators_see_every_route(client: TestClient) -> None:
    """Administrators see the figures but no free text (DESIGN.md): themes carry quotes and phrases."""
    for who in ("edi", "admin"):
        as_(client, who)
        for path in EVERY_ROUTE:
            if who == "admin" and "/themes" in path:
                assert client.get(path).status_code == 403, (who, path)
                continue
            assert client.get(path).status_code == (404 if path in NO_THEMES_YET else 200), (who, path)


# --- what the pages show -----------------------------------------------------------------------------

def test_overview_shows_the_four_indicators_with_gap_benchmarks_and_trend(client: TestClient) -> None:
    as_(client, "edi")
    html = client.get(f"/edi/waves/{W}").text
    page = Page(html)
    assert "Release 1 of" in html and ">242<" in html
    summary = page.tables[0]
    assert summary["caption"].startswith("WRES indicators 5 to 8")
    assert summary["rows"][0][1] == "Direction"
    assert summary["rows"][0][-2:] == ["London: BME / White (year)", "England: BME / White (year)"]
    by_indicator = {row[0]: row for row in summary["rows"][1:]}
    # Each indicator's latest published figures: London 2018 throughout, England 2024 for indicator 6.
    assert by_indicator["Indicator 5"][-2:] == ["31.7% / 32.8% (2018)", "29.8% / 27.8% (2018)"]
    assert by_indicator["Indicator 6"][-1] == "24.9% / 20.7% (2024)"
    assert by_indicator["Indicator 8"][-2:] == ["16.4% / 8.4% (2018)", "15.3% / 6.4% (2018)"]
    assert [by_indicator[f"Indicator {n}"][1] for n in (5, 6, 7, 8)] == [
        "Higher is worse", "Higher is worse", "Higher is better", "Higher is worse"
    ]
    api = client.get(f"/api/v1/waves/{W}/indicators?by=bme_white").json()
    wres5 = {g["group"]: g for g in api["indicators"][0]["groups"]}
    assert by_indicator["Indicator 5"][2] == f"{wres5['BME']['percent']:.1f}%"
    assert by_indicator["Indicator 5"][4] == gap_text(wres5["BME"]["comparison"]["gap_points"])
    verdict = by_indicator["Indicator 5"][5]
    if wres5["BME"]["comparison"]["significant"]:
        assert verdict.startswith(("Worse for BME staff", "Better for BME staff")), verdict
    else:
        assert verdict.startswith("No significant difference"), verdict
    assert "percentage points" in html and ("than White" in html or "as White" in html)
    # The wave is named as people know it, with the slug only as a small-print reference.
    assert "Survey of bank, agency, locum and temporary workers" in html
    assert f"Reference: {W} (bank-temporary-workers, version" in html
    for measure in WRES:
        assert f'href="/edi/waves/{W}/indicators/{measure}"' in html
    # A chart per indicator, with the benchmarks drawn beside the wave's groups.
    assert len(page.charts) == 4
    labels = [row["label"] for row in page.charts[0]["rows"]]
    assert labels[:3] == ["All respondents", "White", "BME"]
    assert "BME, London 2018 (published)" in labels and "White, England 2018 (published)" in labels
    # The trend across waves flags q15's new wording for indicator 7 only.
    assert html.count("Question changed") == 1
    trend_tables = [t for t in page.tables if t["caption"] == "BME and White staff in each survey"]
    assert len(trend_tables) == 4
    today = long_date(dt.date.today())
    assert [row[0] for row in trend_tables[2]["rows"][1:]] == [f"{today} to {today}", f"Opened {today}"]
    assert "Question changed" in trend_tables[2]["rows"][2][-1]
    # A change across waves says whether it could be chance (the q15 change shows none).
    changes = [row[2] for table in trend_tables for row in table["rows"][2:] if not row[2].startswith("–")]
    assert changes and all(re.fullmatch(r"[+-]\d+\.\d \((significant|could be chance)\)", c) for c in changes), changes
    for path in (f"/edi/waves/{W}/report", f"/edi/waves/{W}/measures", "/edi/waves/" + W + "/export.csv?by=worker_type"):
        assert f'href="{path}"' in html.replace("&amp;", "&") or path.startswith("/edi/waves/" + W + "/export"), path
    assert f'href="/edi/waves/{W}/export.xlsx?by=worker_type"' in html


def test_indicator_page_shows_every_breakdown_as_chart_and_table(client: TestClient) -> None:
    as_(client, "edi")
    html = client.get(f"/edi/waves/{W}/indicators/wres8").text
    page = Page(html)
    for heading in ("BME and White staff", "Ethnic group heading", "Ethnic group", "Way of working", "Occupation group", "Organisation"):
        assert f">{heading}</h2>" in html, heading
    figure_tables = [t for t in page.tables if t["caption"].startswith("Indicator 8:")]
    assert len(figure_tables) == len(page.charts) == 6
    for table, chart in zip(figure_tables, page.charts):
        # The chart and its table show the same groups, in the same order.
        assert [squashed(row["label"]) for row in chart["rows"]] == [squashed(r[0]) for r in table["rows"][1:]]
        assert 'role="img"' in chart["svg"] and chart["title"].startswith("Indicator 8:")
    worker = next(t for t in figure_tables if "way of working" in t["caption"])
    assert worker["rows"][-1][0] == "Temporary staff (all temporary types)"
    # Companion measures have pages too; unknown ones do not.
    assert "Discrimination from patients" in client.get(f"/edi/waves/{W}/measures").text
    assert client.get(f"/edi/waves/{W}/indicators/discrimination_public").status_code == 200
    assert client.get(f"/edi/waves/{W}/indicators/q28").status_code == 404


def test_board_report_has_every_indicator_by_heading_bme_white_and_worker_type_with_methods(client: TestClient) -> None:
    as_(client, "edi")
    html = client.get(f"/edi/waves/{W}/report").text
    page = Page(html)
    assert len(page.charts) == 4 * 3
    captions = [t["caption"] for t in page.tables]
    for number in (5, 6, 7, 8):
        for phrase in ("by BME and White staff", "by ethnic group heading", "by way of working"):
            assert any(c.startswith(f"Indicator {number}:") and phrase in c for c in captions), (number, phrase)
    assert "Wilson score intervals" in html and "two-proportion z-test" in html and "at least 11 responses" in html
    assert "London 2018" in html and "England 2018" in html
    css = client.get("/static/build/survey.css").text
    assert "@media print" in css and ".app-report__section{break-before:page}" in css


def test_board_report_opens_with_a_one_page_summary_in_plain_words(client: TestClient) -> None:
    as_(client, "edi")
    html = client.get(f"/edi/waves/{W}/report").text
    first_page = html.split('class="app-report__summary"')[1].split("</section>")[0]
    summary = Page(first_page).tables[0]
    assert summary["rows"][0] == [
        "Indicator", "BME", "White", "Gap, BME minus White", "Change since the previous survey",
        "England: BME / White", "London: BME / White",
    ]
    rows = {row[0].split(":")[0]: row for row in summary["rows"][1:]}
    assert list(rows) == ["Indicator 5", "Indicator 6", "Indicator 7", "Indicator 8"]
    assert rows["Indicator 5"][0].endswith("Higher is worse") and rows["Indicator 7"][0].endswith("Higher is better")
    api = {i["measure"]: {g["group"]: g for g in i["groups"]} for i in client.get(f"/api/v1/waves/{W}/indicators?by=bme_white").json()["indicators"]}
    for number in (5, 6, 7, 8):
        row, groups = rows[f"Indicator {number}"], api[f"wres{number}"]
        bme, white = groups["BME"], groups["White"]
        for cell, group in ((row[1], bme), (row[2], white)):
            if group["withheld"]:
                assert cell == group["note"]
            else:  # the API rounds to 3 places, the page to 1
                assert abs(float(cell.rstrip("%")) - group["percent"]) <= 0.0501, (cell, group["percent"])
        comparison = bme["comparison"]
        if comparison["available"]:
            assert row[3].startswith(f"{gap_text(comparison['gap_points'])} points: ")
            words = "unlikely to be chance" if comparison["significant"] else "could be chance"
            assert words in row[3] and ("p < 0.001" in row[3] or "p = " in row[3])
        # The earlier wave is the previous survey: a change with its test, or the q15 rewording.
        if number == 7:
            assert re.fullmatch(r"BME: question reworded: not compared\s*White: question reworded: not compared", row[4])
        else:
            assert re.fullmatch(
                r"BME: [+-]\d+\.\d points, (unlikely to be|could be) chance \(p [<=] [\d.]+\)\s*"
                r"White: [+-]\d+\.\d points, (unlikely to be|could be) chance \(p [<=] [\d.]+\)",
                row[4],
            ), row[4]
    assert rows["Indicator 6"][5] == "24.9% / 20.7% (2024)" and rows["Indicator 6"][6] == "30.9% / 27.8% (2018)"
    # The guide to intervals and significance is on the first page; the detail follows it.
    for term in ("How to read these figures", "95% intervals", "Significant difference", "Change since the last survey"):
        assert term in first_page, term
    assert html.index("app-report__summary") < html.index('class="app-indicator app-report__section"')
    assert "Survey of bank, agency, locum and temporary workers" in first_page and "previous survey" in first_page
    assert "response rate not known (no eligible headcount was entered)" in first_page
    css = client.get("/static/build/survey.css").text
    assert "size:A4" in css.replace(" ", "")


def test_staff_home_names_waves_by_organisation_survey_and_dates(client: TestClient) -> None:
    as_(client, "edi")
    home = Page(client.get("/staff").text)
    (table,) = home.tables
    assert table["rows"][0] == ["Survey", "Organisation", "Dates", "Status"]
    today = long_date(dt.date.today())
    by_dates = {row[2]: row for row in table["rows"][1:] if row[0].startswith("Survey of bank")}
    assert set(by_dates) == {f"{today} to {today}", f"Opened {today}"}
    current = by_dates[f"Opened {today}"]
    assert current[1] == "North ICS" and current[3] == "Open"
    assert current[0] == f"Survey of bank, agency, locum and temporary workers, opened {today} Reference: {W}"
    staff = [row for row in table["rows"][1:] if row[0].startswith("NHS Staff Survey: your experience at work")]
    assert len(staff) == 1


def test_xlsx_export_is_board_ready(client: TestClient) -> None:
    as_(client, "edi")
    for by, figures_sheet in (("bme_white", "Figures by BME and White staff"), ("ethnic_category", "Figures by ethnic group")):
        workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"/edi/waves/{W}/export.xlsx?by={by}").content))
        assert workbook.sheetnames == ["Summary", figures_sheet, "Charts", "About"]
        api = client.get(f"/api/v1/waves/{W}/indicators?by={by}").json()
        for sheet in (workbook["Summary"], workbook[figures_sheet]):
            header = sheet[1]
            assert all(cell.font.b for cell in header) and all(isinstance(cell.value, str) for cell in header)
            assert not any("_" in cell.value for cell in header), "readable headers, not code names"
            assert sheet.freeze_panes in ("B2", "D2")
            assert sheet.auto_filter.ref == sheet.dimensions
            assert all(sheet.column_dimensions[get_column_letter(i)].width >= 8 for i in range(1, sheet.max_column + 1))
        figures = sheet_rows(workbook[figures_sheet])
        shown = [r for r in figures if r["Percentage"] is not None]
        assert len(figures) == sum(len(i["groups"]) + (i["temporary_vs_substantive"] is not None) for i in api["indicators"])
        percent_column = [c.value for c in workbook[figures_sheet][1]].index("Percentage") + 1
        for cell in workbook[figures_sheet].iter_cols(min_col=percent_column, max_col=percent_column, min_row=2):
            for one in cell:
                if one.value is not None:
                    assert one.number_format == "0.0%" and 0 <= one.value <= 1
        first = api["indicators"][0]["groups"][0]
        assert shown[0]["Percentage"] == pytest.approx(round(first["percent"], 1) / 100, abs=1e-9)
        # Summary: BME and White side by side with the gap, and the benchmarks beside each indicator.
        summary = sheet_rows(workbook["Summary"])
        headers = [c.value for c in workbook["Summary"][1]]
        assert headers.index("White") == headers.index("BME") + 4 and "Gap (points, BME minus White)" in headers
        wres6 = next(r for r in summary if r["Indicator"].startswith("Indicator 6:"))
        assert (wres6["England BME"], wres6["England White"], wres6["England year"]) == (0.249, 0.207, "2024")
        assert (wres6["London BME"], wres6["London White"], wres6["London year"]) == (0.309, 0.278, "2018")
        assert wres6["Direction"] == "Higher is worse"
        assert wres6["Difference in words"] in ("Worse for BME staff", "Better for BME staff", "No significant difference")
        gap_cell = workbook["Summary"].cell(row=2 + summary.index(wres6), column=headers.index("Gap (points, BME minus White)") + 1)
        assert gap_cell.number_format == "+0.0;-0.0;0.0" and isinstance(gap_cell.value, float)
        # A native chart per indicator, and an About sheet that says how to read it.
        charts = workbook["Charts"]._charts
        assert len(charts) == len(api["indicators"])
        assert all(chart.tagname == "barChart" and chart.series[0].errBars is not None for chart in charts)
        about = {row[0]: row[1] for row in workbook["About"].iter_rows(min_row=2, values_only=True)}
        assert about["Organisation"] == "North ICS" and about["Survey"] == "Survey of bank, agency, locum and temporary workers"
        assert "Release 1 of" in about["Results from"] and "at least 11 responses" in about["Withheld groups"]
        assert "95 times in 100" in about["95% intervals"] and "p < 0.05" in about["Significant difference"]
        assert "Workforce Race Strategy" in about["Benchmarks"] and "2024 data analysis report" in about["Benchmarks"]


def test_pages_keep_to_the_content_security_policy(client: TestClient) -> None:
    as_(client, "edi")
    for path in PAGES[:4]:
        html = client.get(path).text
        assert not re.search(r"\sstyle=", html), path
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\son[a-z]+=", html), path


def test_a_wave_with_nothing_released_says_so(client: TestClient) -> None:
    as_(client, "edi")
    response = client.get(f"/edi/waves/{rw.UNRELEASED}")
    assert response.status_code == 200 and "Nothing has been published for this wave yet" in response.text
    api = client.get(f"/api/v1/waves/{rw.UNRELEASED}/indicators")
    assert api.status_code == 404 and "no release yet" in api.json()["error"]


def test_unknown_breakdowns_are_refused_with_the_choices(client: TestClient) -> None:
    as_(client, "edi")
    response = client.get(f"/api/v1/waves/{W}/indicators?by=q28")
    assert response.status_code == 400
    assert response.json()["choices"] == [
        "ethnic_category", "ethnic_heading", "bme_white", "worker_type", "occupation_heading", "organisation"
    ]
    assert client.get(f"/edi/waves/{W}/export.csv?by=q28").status_code == 400
    schema = client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/api/v1/waves/{wave}/indicators"]["get"]
    assert "staff session" in operation["description"] and {"400", "401", "403", "404"} <= set(operation["responses"])


# --- audit -------------------------------------------------------------------------------------------

def test_views_and_exports_are_audited(client: TestClient, dashboard: Dashboard) -> None:
    as_(client, "admin")
    before = len(audit(dashboard, rw.EMAILS["admin"]))
    indicator_routes = [path for path in EVERY_ROUTE if "themes" not in path]  # themes: tests/survey_app/test_themes.py
    for path in indicator_routes + [f"/edi/waves/{W}/indicators/wres7"]:
        assert client.get(path).status_code == 200
    events = audit(dashboard, rw.EMAILS["admin"])[before:]
    assert [action for action, _ in events] == [
        "edi.view_wave",
        "edi.view_measures",
        "edi.view_indicator",
        "edi.view_report",
        "edi.export",
        "edi.export",
        "api.indicators",
        "edi.view_indicator",
    ]
    assert all(detail["wave"] == W and detail["release"] == 1 for _, detail in events)
    assert events[2][1]["measure"] == "wres5" and events[7][1]["measure"] == "wres7"
    assert {(d["format"], d["by"]) for a, d in events if a == "edi.export"} == {("csv", "ethnic_category"), ("xlsx", "ethnic_category")}
    assert events[6][1]["by"] == "ethnic_category"
    # Refused requests show nothing, so they log no view.
    as_(client, "other_edi")
    client.get(PAGES[0])
    assert not [a for a, _ in audit(dashboard, rw.EMAILS["other_edi"]) if a.startswith(("edi.", "api."))]


# --- no number for a withheld group, anywhere --------------------------------------------------------

def test_the_small_group_leaks_through_no_view(client: TestClient, dashboard: Dashboard) -> None:
    small = rw.SMALL_LABEL
    as_(client, "edi")
    # The API: withheld, with null for every number.
    report = client.get(f"/api/v1/waves/{W}/indicators?by=ethnic_category").json()
    for indicator in report["indicators"]:
        (group,) = [g for g in indicator["groups"] if g["group"] == small]
        assert group["withheld"] and group["note"] in SMALL_WORDINGS
        assert all(group[k] is None for k in ("count", "base", "percent", "ci_low", "ci_high"))
        if group["comparison"] is not None:
            assert all(group["comparison"][k] is None for k in ("gap_points", "ratio", "z", "p_value", "significant"))
    # CSV and XLSX exports.
    rows = list(csv.DictReader(io.StringIO(client.get(PAGES[4]).content.decode("utf-8-sig"))))
    small_rows = [r for r in rows if r["group"] == small]
    assert len(small_rows) == len(report["indicators"])
    for row in small_rows:
        assert row["note"] in SMALL_WORDINGS
        assert not digits_without_wording("".join(v for k, v in row.items() if k not in ("wave", "release", "measure", "indicator")))
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(PAGES[5]).content))
    xlsx_small = [r for r in sheet_rows(workbook["Figures by ethnic group"]) if r["Group"] == small]
    assert len(xlsx_small) == len(small_rows)
    for row in xlsx_small:
        numbers = ("Yes", "Answering", "Percentage", "95% interval from", "95% interval to", "Gap (points)", "Ratio", "p-value")
        assert all(row[k] is None for k in numbers) and row["Note"] in SMALL_WORDINGS
    charted = [r for r in workbook["Charts"].iter_rows(values_only=True) if r[0] and str(r[0]).startswith(small)]
    assert len(charted) == len(report["indicators"])
    assert all(r[0] in {f"{small} ({w})" for w in SMALL_WORDINGS} and r[1:4] == (None, None, None) for r in charted)
    assert not any(small in str(cell) for row in workbook["Summary"].iter_rows(values_only=True) for cell in row)
    # Every page: its table rows and chart rows carry the wording and no digit; chart descriptions too.
    pages = [Page(client.get(path).text) for path in PAGES[:4] if "/indicators/" not in path]
    pages += [Page(client.get(f"/edi/waves/{W}/indicators/{m}").text) for m in MEASURES]
    seen_rows = seen_bars = 0
    for page in pages:
        for table in page.tables:
            for row in table["rows"]:
                if row and row[0] == small:
                    seen_rows += 1
                    assert any(w in row[1] for w in SMALL_WORDINGS) and not digits_without_wording(" ".join(row)), row
        for chart in page.charts:
            for part in chart["desc"].split("; "):
                if part.startswith(small):
                    assert part.rstrip(".") in {f"{small}: {w}, not shown" for w in SMALL_WORDINGS}, part
            for row in chart["rows"]:
                if squashed(row["label"]) == squashed(small):
                    seen_bars += 1
                    assert "app-chart__bar" not in row["rest"] and "app-chart__interval" not in row["rest"]
                    assert not digits_without_wording(re.sub(r"<[^>]+>", " ", row["rest"]))
    assert seen_rows == seen_bars == len(MEASURES)  # once per measure page: its ethnic group table and chart

    # Subtracting shown figures from a shown total never gives the group's true count or base.
    for measure in WRES:
        truth_count, truth_base = dashboard.planted.truth(measure, rw.SMALL_CODE)
        assert truth_base > 0
        page = Page(client.get(f"/edi/waves/{W}/indicators/{measure}").text)
        tables = {t["caption"].split(", by ")[1].split(" (")[0]: figures_of(t) for t in page.tables if ", by " in t["caption"]}
        category, heading, bme_white = tables["ethnic group"], tables["ethnic group heading"], tables["BME and White staff"]
        assert category[small] is None
        candidates: list[tuple[str, tuple[int, int], list[tuple[int, int] | None]]] = []
        total = category["All respondents"]
        if total is not None:
            candidates.append(("total - categories", total, [v for g, v in category.items() if g != "All respondents"]))
        black = heading.get(BLACK)
        if black is not None:
            candidates.append(("Black heading - its categories", black, [v for g, v in category.items() if g.startswith(BLACK)]))
        bme = bme_white.get("BME")
        if bme is not None:
            bme_categories = [
                v for g, v in category.items() if g not in ("All respondents", "Not stated") and not g.startswith(WHITE_PREFIX)
            ]
            candidates.append(("BME - BME categories", bme, bme_categories))
        assert candidates, measure
        for name, (parent_count, parent_base), children in candidates:
            shown = [child for child in children if child is not None]
            left_count = parent_count - sum(c for c, _ in shown)
            left_base = parent_base - sum(b for _, b in shown)
            assert len(shown) < len(children) - 1, (measure, name, "at least two groups withheld")
            assert left_base != truth_base, (measure, name, left_base)
            assert (left_count, left_base) != (truth_count, truth_base), (measure, name)


# --- spreadsheet escaping ---------------------------------------------------------------------------

def test_exports_escape_formula_like_labels_in_csv_and_xlsx(client: TestClient) -> None:
    as_(client, "edi")
    response = client.get(f"/edi/waves/{W}/export.csv?by=organisation")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"  # declared once
    assert f'filename="{W}-indicators-organisation-release-1.csv"' in response.headers["content-disposition"]
    groups = {row["group"] for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert {"'" + name for name in rw.FORMULA_NAMES} <= groups
    assert not any(group[:1] in "=+-@" for group in groups)
    response = client.get(f"/edi/waves/{W}/export.xlsx?by=organisation")
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    values = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.value[:1] not in "=+-@", cell.value
                    values.append(cell.value)
    assert {"'" + name for name in rw.FORMULA_NAMES} <= set(values)
    # Numbers the application computed stay numbers.
    numbers = [r["Percentage"] for r in sheet_rows(workbook["Figures by organisation"]) if r["Percentage"] is not None]
    assert numbers and all(isinstance(n, (int, float)) for n in numbers)


def test_cli_export_writes_csv_and_xlsx_and_is_audited(
    dashboard: Dashboard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", dashboard.settings.database_url)
    monkeypatch.setenv("SURVEY_KEY_FILE", str(dashboard.settings.key_file))
    for output_format in ("csv", "xlsx"):
        out = tmp_path / f"indicators.{output_format}"
        args = ["export", "--wave", W, "--what", "indicators", "--by", "organisation", "--format", output_format, "--out", str(out)]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert out.exists() and "rows of indicators by organisation" in result.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "indicators.csv").read_text(encoding="utf-8-sig"))))
    assert {"'" + name for name in rw.FORMULA_NAMES} <= {row["group"] for row in rows}
    sheet = openpyxl.load_workbook(tmp_path / "indicators.xlsx")["Figures by organisation"]
    assert sheet.max_row == len(rows) + 1
    events = [d for a, d in audit(dashboard, "cli") if a == "export"]
    assert [(d["format"], d["what"], d["by"]) for d in events[-2:]] == [("csv", "indicators", "organisation"), ("xlsx", "indicators", "organisation")]
    missing = CliRunner().invoke(main, ["export", "--wave", W, "--what", "indicators", "--format", "csv", "--out", str(tmp_path / "x.csv")])
    assert missing.exit_code == 1 and "--by" in missing.output
    # Raw answers are never exportable.
    unknown = CliRunner().invoke(main, ["export", "--wave", W, "--what", "answers", "--format", "csv", "--out", str(tmp_path / "y")])
    assert unknown.exit_code == 2


# --- benchmarks and charts --------------------------------------------------------------------------

def test_every_benchmark_row_is_sourced_and_the_published_figures_are_kept() -> None:
    rows = benchmark_rows()
    assert tuple(rows[0]) == COLUMNS
    for row in rows:
        assert all(row[column] and row[column].strip() for column in COLUMNS), row
        assert re.match(r"^\d{4}(/\d{2})?$", row["year"]), row
        assert row["group"] in ("BME", "White") and row["wres_indicator"] in "5678"
        assert 0 <= float(row["percent"]) <= 100, row
        assert len(row["source"]) > 30 and re.search(r"\b(19|20)\d{2}\b", row["source"]), row
    # Every figure is published for both groups of its population, year and indicator (a gap needs both).
    keys = {(r["population"], r["year"], r["wres_indicator"]) for r in rows}
    for key in keys:
        assert {r["group"] for r in rows if (r["population"], r["year"], r["wres_indicator"]) == key} == {"BME", "White"}, key
    # The shared copy of the strategy's tables is kept whole (the demo reproduces London 2018).
    shared = SHARED / "data" / "wres_benchmarks.csv"
    if shared.exists():
        published = {tuple(r.values()) for r in csv.DictReader(io.StringIO(shared.read_text(encoding="utf-8")))}
        assert published <= {tuple(r[c] for c in COLUMNS[:5]) for r in rows}
    # Each indicator shows each population's latest year for that indicator.
    london, england = wres_benchmarks("wres7")
    assert (london.caption, london.bme, london.white) == ("London 2018", 65.8, 83.3)
    assert (england.caption, england.bme, england.white) == ("England 2018", 69.9, 86.2)
    london, england = wres_benchmarks("wres6")
    assert (london.caption, england.caption, england.bme, england.white) == ("London 2018", "England 2024", 24.9, 20.7)
    assert "2024 data analysis report" in england.source and "Workforce Race Strategy" in london.source
    assert wres_benchmarks("discrimination_public") == ()


def test_a_chart_draws_a_withheld_group_as_a_labelled_gap() -> None:
    svg = str(
        bar_chart(
            "c1",
            "Indicator 5 by group",
            [Bar("Shown", 40.0, 30.5, 50.25), Bar("Small <group>", withheld=True)],
            "fewer than 11 responses",
        )
    )
    chart = parse_chart(svg)
    assert 'role="img"' in svg and 'aria-labelledby="c1-title"' in svg and 'aria-describedby="c1-desc"' in svg
    assert chart["desc"] == (
        "Shown: 40.0% (95% interval 30.5% to 50.2%); Small <group>: fewer than 11 responses, not shown."
    )
    shown, small = chart["rows"]
    assert "app-chart__bar" in shown["rest"] and "app-chart__interval" in shown["rest"] and "40.0%" in shown["rest"]
    assert small["label"] == "Small <group>"
    assert "app-chart__gap" in small["rest"] and "fewer than 11 responses" in small["rest"]
    assert " style=" not in svg


# --- an empty neighbour is no protection, shown through the dashboard ----------------------------------

def test_an_empty_neighbour_does_not_reveal_the_small_group(tmp_path: Path) -> None:
    mix = {code: size for code, size in rw.ETHNIC_MIX.items() if code != 17}
    mix[1] += rw.ETHNIC_MIX[17]  # nobody chose "Any other Black / African / Caribbean background"
    url = f"sqlite:///{tmp_path / 'survey.db'}"
    upgrade(url)
    kek, case = tmp_path / "kek.key", tmp_path / "case.key"
    write_secret_file(kek)
    write_secret_file(case)
    settings = Settings(database_url=url, key_file=kek, case_key_file=case)
    planted = rw.build(settings, mix)
    web = dataclasses.replace(web_settings(settings), session_folder=tmp_path / "sessions")
    with TestClient(create_app(web)) as client:
        as_(client, "edi")
        headings = client.get(f"/api/v1/waves/{W}/indicators?by=ethnic_heading").json()
        categories = client.get(f"/api/v1/waves/{W}/indicators?by=ethnic_category").json()
    engine_for(url).dispose()
    revealed = []
    for heading, category in zip(headings["indicators"], categories["indicators"]):
        if heading["measure"] not in WRES:
            continue
        black = next(g for g in heading["groups"] if g["group"] == BLACK)
        shown = [g for g in category["groups"] if g["group"].startswith(BLACK) and not g["withheld"]]
        if black["withheld"]:
            continue
        left = (black["count"] - sum(g["count"] for g in shown), black["base"] - sum(g["base"] for g in shown))
        if left == planted.truth(heading["measure"], rw.SMALL_CODE):
            revealed.append((heading["measure"], left))
    assert not revealed, f"the small group's (count, base) by subtraction: {revealed}"


def test_release_reports_speak_plainly_with_the_technical_terms_one_click_away(client: TestClient) -> None:
    as_(client, "admin")
    page = client.get(f"/admin/waves/{W}/releases")
    assert page.status_code == 200
    assert "Figures hidden because fewer than 11 people gave them" in page.text
    summary, _, technical = page.text.partition("Technical terms for release")
    assert "prosecutor" not in summary and "discernibility" not in summary and "l-diverse" not in summary
    assert "prosecutor" in technical and "k-anonymity" in technical
