"""The WRES headline (BME and White side by side) is shown whenever it safely can be.

Before cost-weighted suppression, a small "Not stated" group (its cell sits in the relation
total = White + BME + Not stated) was protected by withholding the smaller side of the pair, and
the headline disappeared although both sides had dozens of respondents. These tests release a wave
where "Not stated" is under MIN_CELL and BME is large, through the real release path, and attack
what it published.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from analysis.disclosure import Cell
from survey_app.breakdowns import build_breakdowns
from survey_app.config import Settings
from survey_app.inbox import submit_response
from survey_app.keys import WaveKeyStore
from survey_app.release import _previous_release, release_wave
from survey_app.storage.database import engine_for
from survey_app.storage.models import PublishedCell, Release
from survey_app.waves import find_published_wave
from tests.analysis.attacks import exactly_recoverable, feasible_ranges, labelled
from tests.survey_app.helpers import mix_now, open_test_wave

WHITE_NURSE = {"q27c": 2, "q28": 1, "q34a": 3, "q35": 26}
BLACK_NURSE = {"q27c": 3, "q28": 15, "q34a": 3, "q35": 26}
ASIAN_HCA = {"q27c": 2, "q28": 9, "q34a": 3, "q35": 34}
NOT_STATED = {"q27c": 2, "q34a": 3, "q35": 26}  # ethnicity not answered
WRES = ("wres5", "wres6", "wres7", "wres8")


def _people(profile: dict[str, int], count: int) -> list[dict[str, Any]]:
    return [
        {**profile, "q14a": 1 + i % 2, "q14b": 1 + i % 3, "q14c": 1, "q15": 1 + i % 2, "q16b": 1 + i % 2}
        for i in range(count)
    ]


def _release(settings: Settings, rows: list[dict[str, Any]]) -> tuple[list[Any], Any, dict[tuple[str, str, str], int]]:
    slug = open_test_wave(settings, "nhs-staff-survey", "staff")
    engine = engine_for(settings.database_url)
    with engine.begin() as connection:
        wave = find_published_wave(connection, slug)
        assert wave is not None
        for row in rows:
            assert submit_response(connection, wave, row)
    assert mix_now(settings, wave.id).responses_mixed == len(rows)
    keys = WaveKeyStore(settings.key_file).load(wave.id)
    release_wave(engine, wave.id, keys, settings)
    with engine.connect() as connection:
        true_bases = _previous_release(connection, wave.id, keys).bases  # the sealed reference bases
        cells = connection.execute(
            select(PublishedCell).join(Release, Release.id == PublishedCell.release_id).where(Release.wave_id == wave.id)
        ).all()
    return cells, wave.instrument, true_bases


def test_a_small_not_stated_group_no_longer_hides_a_large_bme_headline(settings: Settings) -> None:
    rows = _people(WHITE_NURSE, 40) + _people(BLACK_NURSE, 30) + _people(ASIAN_HCA, 25) + _people(NOT_STATED, 6)
    cells, instrument, true_bases = _release(settings, rows)
    by_key = {(c.table_name, c.group_label, c.measure): c for c in cells}
    for measure in WRES:
        bme, white = by_key[("bme_white", "BME", measure)], by_key[("bme_white", "White", measure)]
        assert bme.withheld is None and bme.base == 55, (measure, bme)
        assert white.withheld is None and white.base == 40, (measure, white)
        # The small group is still withheld everywhere it appears, and nothing recovers it.
        for table in ("bme_white", "ethnic_category", "ethnic_heading"):
            assert by_key[(table, "Not stated", measure)].withheld is not None, (table, measure)
    _, relations = build_breakdowns(instrument, {}, 0, settings.white_codes)
    for measure in WRES:
        release = {
            Cell(c.table_name, c.group_label): ("withheld", None) if c.withheld else ("shown", c.base)
            for c in cells
            if c.measure == measure
        }
        truth = {cell: true_bases[(cell.table, cell.group, measure)] for cell in release}
        shown = {cell: figure for cell, (state, figure) in release.items() if state == "shown"}
        assert exactly_recoverable(truth, shown, relations) == [], measure
        # The reader may know which groups are empty (no one in the trust is "Roma").
        empty = [cell for cell, (state, _) in release.items() if state == "withheld" and truth[cell] == 0]
        ranges = feasible_ranges([release], relations, settings.min_cell, empty)
        low, high = ranges[Cell("bme_white", "Not stated")]
        assert low <= truth[Cell("bme_white", "Not stated")] <= high, (measure, low, high)
        for cell, (low, high) in ranges.items():
            assert high - low >= settings.min_cell - 1e-6, (measure, cell, low, high)
        # The reasons published are true, and a reader who reads them narrows no small group.
        told = labelled(cells, measure)
        for cell, (state, _) in told.items():
            if state in ("primary", "complementary"):
                assert state == ("primary" if truth[cell] < settings.min_cell else "complementary"), (cell, state)
        assert told[Cell("bme_white", "Not stated")][0] in ("primary", "withheld")
        for cell, (low, high) in feasible_ranges([told], relations, settings.min_cell, empty).items():
            if truth[cell] < settings.min_cell:
                assert high - low >= settings.min_cell - 1 - 1e-6, (measure, cell, low, high)


def test_the_dashboard_says_why_each_group_is_withheld(settings: Settings) -> None:
    """What an EDI lead reads: "fewer than 11 responses" only for a group that has fewer, and the
    headline pair shown."""
    from survey_app.indicators import COMPLEMENTARY_WORDING, NO_REASON_WORDING, wave_indicators, withheld_wording

    rows = _people(WHITE_NURSE, 40) + _people(BLACK_NURSE, 30) + _people(ASIAN_HCA, 25) + _people(NOT_STATED, 6)
    cells, _, true_bases = _release(settings, rows)
    with engine_for(settings.database_url).connect() as connection:
        report = wave_indicators(connection, "staff", "ethnic_category")
    small = withheld_wording(settings.min_cell)
    seen = set()
    for result in report.indicators:
        for group in result.groups:
            shown = group.figure
            if not shown.withheld:
                continue
            wording = report.wording_for(shown)
            seen.add(wording)
            base = true_bases[(shown.table, shown.group, shown.measure)]
            if wording == small:
                assert base < settings.min_cell, (shown, base)
            elif wording == COMPLEMENTARY_WORDING:
                assert base >= settings.min_cell, (shown, base)
            else:
                assert wording == NO_REASON_WORDING
    assert small in seen
