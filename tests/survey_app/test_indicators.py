"""`survey-app indicators`: figures from the published tables only, correct against published WRES figures,
and never a number for a withheld cell."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from analysis.wres import two_proportion_z_test
from survey_app.cli import main
from survey_app.config import Settings
from survey_app.exporting import csv_text, escape_cell
from survey_app.inbox import submit_response
from survey_app.indicators import (
    COMPLEMENTARY_WORDING,
    CSV_COLUMNS,
    NO_REASON_WORDING,
    POOLED_TEMPORARY,
    IndicatorError,
    wave_indicators,
    wave_trends,
)
from survey_app.storage.database import engine_for
from survey_app.storage.models import Wave
from survey_app.waves import find_published_wave, set_eligible_headcount
from tests.conftest import SHARED

BENCHMARKS = SHARED / "data" / "wres_benchmarks.csv"
WRES = ("wres5", "wres6", "wres7", "wres8")
WORDING = "fewer than 11 responses"
WORDINGS = (WORDING, COMPLEMENTARY_WORDING, NO_REASON_WORDING)
WHITE_CODES = (1, 2, 3, 4)
BME_CODES = tuple(range(5, 20))
HEADER = ("q14a", "q14b", "q14c", "q15", "q16a", "q16b", "q28")


def cli(*args: str, expect_exit: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == expect_exit, result.output
    return result.output


def open_import_wave(slug: str, instrument: str = "nhs-staff-survey") -> None:
    cli("org", "add", "--headcount", "1000", "--name", f"Trust {slug}", "--slug", f"org-{slug}")
    cli("wave", "open", "--instrument", instrument, "--org", f"org-{slug}", "--slug", slug, "--allow-import")


def write_returns(folder: Path, rows: list[dict[str, Any]]) -> Path:
    path = folder / "returns.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: "" if row.get(key) is None else row[key] for key in HEADER})
    return path


def import_mix_release(folder: Path, slug: str, rows: list[dict[str, Any]]) -> None:
    imported = json.loads(cli("import", "--wave", slug, str(write_returns(folder, rows)), "--format", "json"))
    assert imported["rows_imported"] == len(rows)
    cli("mix", "--wave", slug)
    (report,) = json.loads(cli("release", "--wave", slug, "--format", "json"))
    assert report["responses"] == len(rows)


def indicator_json(slug: str, by: str) -> dict[str, Any]:
    output = cli("indicators", "--wave", slug, "--by", by, "--format", "json")
    return json.loads(output)  # JSON only: anything else on stdout fails here


def groups_of(report: dict[str, Any], measure: str) -> dict[str, dict[str, Any]]:
    (indicator,) = [i for i in report["indicators"] if i["measure"] == measure]
    return {group["group"]: group for group in indicator["groups"]}


# --- correctness against published figures ----------------------------------------------------------

def london_2018() -> dict[tuple[str, str], float]:
    if not BENCHMARKS.exists():
        pytest.skip(f"{BENCHMARKS} is absent: the published WRES benchmarks are needed for this test")
    with BENCHMARKS.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["population"] == "London region" and r["year"] == "2018"]
    figures = {(f"wres{r['wres_indicator']}", r["group"]): float(r["percent"]) for r in rows}
    assert set(figures) == {(m, g) for m in WRES for g in ("BME", "White")}, figures
    return figures


def population(
    targets: dict[tuple[str, str], float], per_group: int = 1000, dont_know: int = 150, not_stated: int = 40
) -> list[dict[str, Any]]:
    """`per_group` BME and `per_group` White respondents whose WRES figures are exactly `targets`.

    Each group also has `dont_know` respondents who answered q15 "Don't know" and skipped every other
    WRES question: they are in no indicator's base, so every base stays `per_group`. Indicator 6 mixes
    harassment from managers only, colleagues only and both (counted once), and some respondents
    skip q14c altogether (still in the base through q14b). Every ethnic category has respondents, and
    `not_stated` respondents give no ethnic group, as in any real wave (an empty group is withheld,
    and disclosure control then withholds a neighbour with it).
    """
    rng = random.Random(2018)
    rows: list[dict[str, Any]] = []
    for group, codes in (("BME", BME_CODES), ("White", WHITE_CODES)):
        yes = {
            measure: set(rng.sample(range(per_group), round(targets[(measure, group)] * per_group / 100)))
            for measure in WRES
        }
        for i in range(per_group):
            row: dict[str, Any] = {"q28": codes[i % len(codes)]}
            row["q14a"] = rng.choice((2, 3, 4, 5)) if i in yes["wres5"] else 1
            if i in yes["wres6"]:
                row["q14b"], row["q14c"] = [(2, 1), (1, 3), (4, 5), (3, None)][i % 4]
            else:
                row["q14b"], row["q14c"] = (1, None) if i % 7 == 0 else (1, 1)
            row["q15"] = 1 if i in yes["wres7"] else 2
            row["q16b"] = 1 if i in yes["wres8"] else 2
            row["q16a"] = 2
            rows.append(row)
        rows += [{"q28": codes[i % len(codes)], "q15": 9} for i in range(dont_know)]
    rows += [{"q14a": 1 + i % 5, "q14b": 1, "q14c": 2, "q15": 1 + i % 2, "q16b": 2} for i in range(not_stated)]
    rng.shuffle(rows)
    return rows


def test_london_2018_wres_figures_are_reproduced_end_to_end(cli_env: dict, tmp_path: Path) -> None:
    targets = london_2018()
    slug = "london-2018"
    open_import_wave(slug)
    import_mix_release(tmp_path, slug, population(targets))
    report = indicator_json(slug, "bme_white")
    assert report["wave"] == slug and report["by"] == "bme_white" and report["release"] == 1
    for measure in WRES:
        groups = groups_of(report, measure)
        for group in ("BME", "White"):
            shown = groups[group]
            assert not shown["withheld"], (measure, group)
            assert shown["base"] == 1000, (measure, group)  # "Don't know" and blanks are in no base
            assert abs(shown["percent"] - targets[(measure, group)]) < 0.05, (measure, group, shown)
            assert round(shown["percent"], 1) == targets[(measure, group)]
            assert shown["ci_low"] < shown["percent"] < shown["ci_high"]
        gap = groups["BME"]["comparison"]
        assert gap["compared_with"] == "White" and gap["available"]
        assert round(gap["gap_points"], 1) == round(targets[(measure, "BME")] - targets[(measure, "White")], 1)
        assert abs(gap["ratio"] - targets[(measure, "BME")] / targets[(measure, "White")]) < 1e-3
        z, p = two_proportion_z_test(groups["BME"]["count"], 1000, groups["White"]["count"], 1000)
        assert gap["significant"] == (p < 0.05)
        assert groups["White"]["comparison"] is None
    # In London 2018 the gaps in indicators 7 and 8 are large and significant; in indicator 5 they are not.
    assert groups_of(report, "wres7")["BME"]["comparison"]["significant"]
    assert groups_of(report, "wres8")["BME"]["comparison"]["significant"]
    assert not groups_of(report, "wres5")["BME"]["comparison"]["significant"]
    # The same figures by ethnic heading: every non-White heading against White.
    by_heading = indicator_json(slug, "ethnic_heading")
    headings = groups_of(by_heading, "wres8")
    assert headings["White"]["percent"] == groups_of(report, "wres8")["White"]["percent"]
    assert headings["White"]["comparison"] is None
    assert headings["Asian / Asian British"]["comparison"]["compared_with"] == "White"
    # The text report prints the same percentages, to one decimal.
    text = cli("indicators", "--wave", slug, "--by", "bme_white")
    for (measure, group), percent in targets.items():
        block = text.split(f"{measure}: ")[1].split("\n\n")[0]
        (line,) = [line for line in block.splitlines() if line.strip().startswith(group)]
        assert f" {percent:.1f} " in line, (measure, group, line)


# --- withheld cells ---------------------------------------------------------------------------------

def small_wave_rows() -> list[dict[str, Any]]:
    """30 White respondents, 6 BME (a group under MIN_CELL) and 4 who did not state an ethnic group."""
    rng = random.Random(7)

    def answers(code: int | None) -> dict[str, Any]:
        return {
            "q28": code,
            "q14a": rng.choice((1, 2)),
            "q14b": rng.choice((1, 3)),
            "q14c": rng.choice((1, 2)),
            "q15": rng.choice((1, 2, 9)),
            "q16a": 2,
            "q16b": rng.choice((1, 2)),
        }

    return [answers(1) for _ in range(30)] + [answers(15) for _ in range(6)] + [answers(None) for _ in range(4)]


NUMBER_FIELDS = ("count", "base", "percent", "ci_low", "ci_high")


def test_the_cli_never_prints_a_number_for_a_withheld_cell(cli_env: dict, tmp_path: Path) -> None:
    slug = "small"
    open_import_wave(slug)
    import_mix_release(tmp_path, slug, small_wave_rows())
    withheld_groups: set[tuple[str, str]] = set()
    for by in ("bme_white", "ethnic_category", "ethnic_heading", "occupation_heading"):
        report = indicator_json(slug, by)
        assert report["withheld_wording"] == WORDING
        for indicator in report["indicators"]:
            for group in indicator["groups"]:
                if group["withheld"]:
                    withheld_groups.add((indicator["measure"], group["group"]))
                    assert all(group[name] is None for name in NUMBER_FIELDS), group
                    assert group["note"] in WORDINGS, group
                    comparison = group["comparison"]
                    if comparison is not None:
                        assert not comparison["available"]
                        assert all(comparison[name] is None for name in ("gap_points", "ratio", "z", "p_value", "significant"))
                else:
                    assert group["note"] is None and group["base"] >= 11
        rows = list(csv.DictReader(io.StringIO(cli("indicators", "--wave", slug, "--by", by, "--format", "csv"))))
        assert rows and list(rows[0]) == list(CSV_COLUMNS)
        for row in rows:
            if row["note"] in WORDINGS:
                assert all(row[name] == "" for name in (*NUMBER_FIELDS, "gap_points", "ratio", "p_value", "significant")), row
        text = cli("indicators", "--wave", slug, "--by", by)
        for line in text.splitlines():
            wording = next((w for w in WORDINGS if w in line), None)
            if wording and line.startswith("  "):  # a group's line, not the heading's explanation
                # The label and the wording, and no other digit: "11" is the only number on the line.
                label, _, rest = line.strip().partition(wording)
                assert rest.strip() == "" and not re.search(r"\d", label.replace("Not stated", "")), line
    assert ("wres5", "BME") in withheld_groups  # 6 BME respondents: withheld
    assert ("wres5", "Not stated") in withheld_groups
    # BME is withheld, so White, its complement within the total, is withheld too, and no gap is formed.
    report = indicator_json(slug, "bme_white")
    for indicator in report["indicators"]:
        groups = {g["group"]: g for g in indicator["groups"]}
        assert groups["BME"]["withheld"]
        assert groups["BME"]["comparison"]["available"] is False
        if indicator["measure"] not in ("wres5", "wres6", "wres8"):
            continue  # other measures' bases differ (routing, "don't know")
        # The reasons are true where given: 6 BME respondents are fewer than 11, 30 White are not.
        assert groups["BME"]["note"] in (WORDING, NO_REASON_WORDING)
        assert groups["BME"]["withheld_reason"] in ("primary", None)
        if groups["White"]["withheld"]:
            assert groups["White"]["note"] in (COMPLEMENTARY_WORDING, NO_REASON_WORDING)
            assert groups["White"]["withheld_reason"] in ("complementary", None)


def test_unknown_wave_and_missing_release_are_errors_not_tracebacks(cli_env: dict) -> None:
    assert "no wave 'nope'" in cli("indicators", "--wave", "nope", "--by", "bme_white", expect_exit=1)
    open_import_wave("fresh")
    output = cli("indicators", "--wave", "fresh", "--by", "bme_white", expect_exit=1)
    assert "has no release yet" in output


# --- worker type: temporary against substantive -----------------------------------------------------

def bank_rows() -> list[dict[str, Any]]:
    """33 respondents of each way of working (and 33 who did not say), a third each White British,
    African and not stated; wres5 rates differ by worker type."""
    rows = []
    for worker_type, harassed in ((1, 12), (2, 15), (3, 9), (4, 6), (5, 10), (None, 5)):
        for i in range(33):
            rows.append(
                {
                    "tw_worker_type": worker_type,
                    "q28": (1, 15, None)[i % 3],
                    "q14a": 3 if i < harassed else 1,
                    "q14b": 1,
                    "q14c": 1,
                    "q15": 1 if i % 3 else 2,
                    "q16b": 2,
                }
            )
    return [{key: value for key, value in row.items() if value is not None} for row in rows]


def submit_all(settings: Settings, slug: str, rows: list[dict[str, Any]]) -> None:
    with engine_for(settings.database_url).begin() as connection:
        wave = find_published_wave(connection, slug)
        assert wave is not None
        for answers in rows:
            assert submit_response(connection, wave, answers)


def test_worker_type_shows_temporary_against_substantive(settings: Settings, cli_env: dict) -> None:
    slug = "bank-2026"
    cli("org", "add", "--headcount", "1000", "--name", "Bank Trust", "--slug", "bank-trust")
    cli("wave", "open", "--instrument", "bank-temporary-workers", "--org", "bank-trust", "--slug", slug)
    submit_all(settings, slug, bank_rows())
    cli("mix", "--wave", slug)
    cli("release", "--wave", slug)
    report = indicator_json(slug, "worker_type")
    groups = groups_of(report, "wres5")
    substantive = groups["Bank alongside a substantive (permanent) post"]
    assert (substantive["count"], substantive["base"]) == (6, 33)
    assert substantive["comparison"] is None
    assert groups["Agency"]["comparison"]["compared_with"] == substantive["group"]
    assert round(groups["Agency"]["comparison"]["gap_points"], 3) == round(100 * 15 / 33 - 100 * 6 / 33, 3)
    (indicator,) = [i for i in report["indicators"] if i["measure"] == "wres5"]
    pooled = indicator["temporary_vs_substantive"]
    assert pooled["available"]
    assert (pooled["temporary"]["count"], pooled["temporary"]["base"]) == (12 + 15 + 9 + 10, 132)
    assert round(pooled["comparison"]["gap_points"], 3) == round(100 * 46 / 132 - 100 * 6 / 33, 3)
    _, p = two_proportion_z_test(46, 132, 6, 33)
    assert pooled["comparison"]["significant"] == (p < 0.05)
    rows = list(csv.DictReader(io.StringIO(cli("indicators", "--wave", slug, "--by", "worker_type", "--format", "csv"))))
    (pooled_row,) = [r for r in rows if r["measure"] == "wres5" and r["group"] == POOLED_TEMPORARY]
    assert (pooled_row["count"], pooled_row["base"], pooled_row["percent"]) == ("46", "132", "34.8")
    (agency,) = [r for r in rows if r["measure"] == "wres5" and r["group"] == "Agency"]
    assert agency["gap_points"] == "27.3" and agency["compared_with"] == substantive["group"]
    # The companion items of the temporary-work block are reported too.
    assert {"tw_same_respect", "tw_blocked", "violence_any"} <= {i["measure"] for i in report["indicators"]}


# --- CSV escaping -----------------------------------------------------------------------------------

def test_escape_cell() -> None:
    for text in ("=SUM(A1:A2)", "+44", "-1", "@cmd", "\t=1", "\r=1"):
        assert escape_cell(text) == "'" + text
    assert escape_cell("White") == "White"
    assert escape_cell(-1.5) == -1.5  # numbers the application wrote stay numbers
    assert escape_cell(None) == "" and escape_cell(True) == "yes"
    assert csv_text(["a", "=b"], [{"a": "=1+1", "=b": -2}]) == "a,'=b\r\n'=1+1,-2\r\n"


def test_csv_export_escapes_formula_like_labels(settings: Settings, cli_env: dict) -> None:
    cli("org", "add", "--headcount", "1000", "--name", "Formula ICS", "--slug", "formula-ics")
    names = ['=HYPERLINK("http://example.org","x")', "@SUM(1+1)", "+44 Trust", "-Minus Trust"]
    for number, name in enumerate(names):
        cli("org", "add", "--headcount", "1000", "--name", name, "--slug", f"member-{number}", "--region", "formula-ics")
    slug = "formula-bank"
    cli("wave", "open", "--instrument", "bank-temporary-workers", "--org", "formula-ics", "--slug", slug)
    with engine_for(settings.database_url).connect() as connection:
        wave = find_published_wave(connection, slug)
    assert wave is not None
    codes = sorted(wave.instrument.questions["main_organisation"].codes)
    rows = [{"main_organisation": codes[i % len(codes)], "q28": 1, "q14a": 1 + i % 2} for i in range(80)]
    submit_all(settings, slug, rows)
    cli("mix", "--wave", slug)
    cli("release", "--wave", slug)
    output = cli("indicators", "--wave", slug, "--by", "organisation", "--format", "csv")
    groups = {row["group"] for row in csv.DictReader(io.StringIO(output))}
    assert {"'" + name for name in names} <= groups
    assert not any(group[:1] in "=+-@" for group in groups)


# --- the shared function and trends --------------------------------------------------------------

def test_wave_indicators_rejects_an_unknown_breakdown_and_a_breakdown_the_instrument_lacks(
    settings: Settings, cli_env: dict, tmp_path: Path
) -> None:
    slug = "staff"
    open_import_wave(slug)
    import_mix_release(tmp_path, slug, small_wave_rows())
    with engine_for(settings.database_url).connect() as connection:
        with pytest.raises(IndicatorError, match="unknown breakdown"):
            wave_indicators(connection, slug, "q28")
        with pytest.raises(IndicatorError, match="no worker_type breakdown"):
            wave_indicators(connection, slug, "worker_type")
        report = wave_indicators(connection, slug, "bme_white", eligible_headcount=80)
    assert report.responses == 40 and report.response_rate == 50.0
    assert report.to_json()["response_rate"] == 50.0
    # Without one given, the headcount an administrator entered for the wave is used.
    with engine_for(settings.database_url).connect() as connection:
        assert wave_indicators(connection, slug, "bme_white").response_rate is None
    with engine_for(settings.database_url).begin() as connection:
        set_eligible_headcount(connection, slug, 160)
    assert indicator_json(slug, "bme_white")["response_rate"] == 25.0
    assert indicator_json(slug, "bme_white")["eligible_headcount"] == 160


def test_trends_flag_the_q15_wording_change_across_2025(settings: Settings, cli_env: dict, tmp_path: Path) -> None:
    targets = {(m, g): p for (m, g), p in london_2018().items()}
    open_import_wave("staff-2024")
    import_mix_release(tmp_path, "staff-2024", population(targets, per_group=100, dont_know=5))
    engine = engine_for(settings.database_url)
    with engine.begin() as connection:  # as if opened with the 2024 instrument, before q15 was reworded
        connection.execute(update(Wave).where(Wave.slug == "staff-2024").values(instrument_version="2024.1"))
    cli("wave", "close", "--wave", "staff-2024")
    cli("wave", "open", "--instrument", "nhs-staff-survey", "--org", "org-staff-2024", "--slug", "staff-2025", "--allow-import")
    later = {**targets, ("wres5", "BME"): 60.0}  # BME harassment from the public doubles; the rest holds
    import_mix_release(tmp_path, "staff-2025", population(later, per_group=120, dont_know=5))
    with engine.connect() as connection:
        trend = wave_trends(connection, "staff-2025", "bme_white").to_json()
    assert [w["wave"] for w in trend["waves"]] == ["staff-2024", "staff-2025"]
    assert trend["waves"][0]["closed_on"] is not None and trend["waves"][1]["closed_on"] is None
    series = {(s["measure"], s["group"]): s["points"] for s in trend["series"]}
    wres7 = series[("wres7", "BME")]
    assert [p["question_changed"] for p in wres7] == [False, True]
    assert wres7[1]["change_points"] is None
    wres8 = series[("wres8", "BME")]
    assert [p["question_changed"] for p in wres8] == [False, False]
    assert wres8[1]["change_points"] == pytest.approx(wres8[1]["percent"] - wres8[0]["percent"], abs=1e-6)
    # A change carries its two-proportion test: 31.7% -> 60% of about 100 BME staff is significant,
    # the same figures again (White, indicator 5) are not, and no test spans the reworded q15.
    bme5, white5 = series[("wres5", "BME")], series[("wres5", "White")]
    assert bme5[1]["change_points"] > 25 and bme5[1]["change_significant"] is True and bme5[1]["change_p_value"] < 0.001
    assert abs(white5[1]["change_points"]) < 1 and white5[1]["change_significant"] is False
    assert white5[1]["change_p_value"] > 0.5
    assert wres7[1]["change_significant"] is None and wres7[1]["change_p_value"] is None
    assert wres8[0]["change_significant"] is None  # the first wave has nothing to change from
