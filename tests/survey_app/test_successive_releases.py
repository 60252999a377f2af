"""The motivated intruder keeps every release of a wave and compares them, pair by pair.

One wave, four releases: a base of 66 respondents, then one newcomer (a lone Asian healthcare
assistant), then eleven (ten in a class already published, one more Asian healthcare assistant),
then twelve (eleven in one class, one more Asian healthcare assistant). The mixer runs with
MIX_BATCH at its floor (1), so every newcomer reaches the next release on their own. For every pair
of releases the intruder takes the difference of the microdata (the earlier rows recoded to the
later release's levels) and of the tables, and solves for every withheld cell of each release given
all releases up to it.
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import combinations
from typing import Any

from sqlalchemy import select

from analysis.disclosure import Cell
from analysis.kanonymity import GeneralisationHierarchy
from survey_app.breakdowns import build_breakdowns
from survey_app.config import Settings
from survey_app.inbox import submit_response
from survey_app.keys import WaveKeyStore
from survey_app.release import release_wave
from survey_app.storage.database import engine_for
from survey_app.storage.models import PublishedCell, PublishedMicrodata, Release, Wave
from survey_app.waves import find_published_wave, instrument_from_definition
from tests.analysis.attacks import feasible_ranges
from tests.survey_app.helpers import mix_now, open_test_wave

K = 11
QUASI = ("q27c", "q28", "q34a", "q35")
SENSITIVE = {"q14b": {2, 3, 4, 5}, "q14c": {2, 3, 4, 5}, "q16b": {1}}
WHITE_NURSE = {"q27c": 2, "q28": 1, "q34a": 3, "q35": 26}
BLACK_NURSE = {"q27c": 3, "q28": 15, "q34a": 3, "q35": 26}
ASIAN_HCA = {"q27c": 2, "q28": 9, "q34a": 3, "q35": 34}


def _people(profile: dict[str, int], count: int, start: int = 0) -> list[dict[str, Any]]:
    """`count` respondents of one profile, with answers varied enough to be l-diverse."""
    return [
        {**profile, "q14a": 1 + (start + i) % 2, "q14b": 1 + (start + i) % 3, "q14c": 1, "q15": 1 + (start + i) % 2,
         "q16b": 1 + (start + i) % 2}
        for i in range(count)
    ]


STEPS = {
    "base": _people(WHITE_NURSE, 33) + _people(BLACK_NURSE, 33),
    "one newcomer": [dict(ASIAN_HCA, q14a=2, q14b=1, q14c=1, q15=2, q16b=1)],
    "eleven newcomers": _people(WHITE_NURSE, 10, 5) + [dict(ASIAN_HCA, q28=10, q14a=1, q14b=1, q14c=1, q15=1, q16b=2)],
    "twelve newcomers": _people(BLACK_NURSE, 11, 7) + [dict(ASIAN_HCA, q28=11, q14a=2, q14b=2, q14c=1, q15=1, q16b=1)],
}


def _release_all_steps(settings: Settings) -> tuple[str, list[dict[str, Any]]]:
    slug = open_test_wave(settings, "nhs-staff-survey", "staff")
    engine = engine_for(settings.database_url)
    reports = []
    for rows in STEPS.values():
        with engine.begin() as connection:
            wave = find_published_wave(connection, slug)
            assert wave is not None
            for row in rows:
                assert submit_response(connection, wave, row)
        keys = WaveKeyStore(settings.key_file).load(wave.id)
        assert mix_now(settings, wave.id).responses_mixed == len(rows)
        reports.append(release_wave(engine, wave.id, keys, settings))
    return wave.id, [json.loads(json.dumps(r, default=lambda o: o.__dict__)) for r in reports]


def _floor(settings: Settings) -> Settings:
    return Settings(
        database_url=settings.database_url, key_file=settings.key_file, case_key_file=settings.case_key_file,
        min_cell=11, k_anonymity=K, mix_batch=1,
    )


def _coarsen(value: Any, hierarchy: GeneralisationHierarchy, level_from: int, level_to: int) -> Any:
    """A published label at one level, as the later release would show it at a coarser level."""
    for raw in range(hierarchy.raw_count + 1):  # the last position is "not answered"
        if hierarchy.labels(level_from)[hierarchy.lookup(level_from)[raw]] == value:
            return hierarchy.labels(level_to)[hierarchy.lookup(level_to)[raw]]
    raise AssertionError(f"{value!r} is no label of {hierarchy.name} at level {level_from}")


def test_no_two_releases_differ_by_fewer_than_k_people(settings: Settings) -> None:
    settings = _floor(settings)
    wave_id, reports = _release_all_steps(settings)
    engine = engine_for(settings.database_url)
    with engine.connect() as connection:
        definition = connection.execute(select(Wave.definition).where(Wave.id == wave_id)).scalar_one()
        releases = connection.execute(
            select(Release.number, PublishedMicrodata.columns, PublishedMicrodata.rows, PublishedMicrodata.levels)
            .join(PublishedMicrodata, PublishedMicrodata.release_id == Release.id)
            .where(Release.wave_id == wave_id)
            .order_by(Release.number)
        ).all()
        cells = connection.execute(
            select(
                Release.number, PublishedCell.table_name, PublishedCell.group_label, PublishedCell.measure,
                PublishedCell.base, PublishedCell.withheld, PublishedCell.held_from_previous,
            )
            .join(Release, Release.id == PublishedCell.release_id)
            .where(Release.wave_id == wave_id)
        ).all()
    instrument = instrument_from_definition(wave_id, definition)
    assert [r.number for r in releases] == [1, 2, 3, 4], [r["microdata"] for r in reports]
    hierarchies = {
        q: GeneralisationHierarchy.from_code_labels(
            instrument.questions[q].quasi_identifier,
            {o.code: list(instrument.hierarchies[instrument.questions[q].quasi_identifier].codes[o.code])
             for o in instrument.questions[q].options},
        )
        for q in QUASI
    }

    # Microdata: the difference of every pair is a union of classes of at least k, none all-sensitive.
    for earlier, later in combinations(releases, 2):
        columns = json.loads(later.columns)
        levels_from, levels_to = json.loads(earlier.levels), json.loads(later.levels)
        quasi_at = [columns.index(q) for q in QUASI]

        def key(row: list[Any], recode: bool) -> tuple:
            values = list(row)
            if recode:
                for q, position in zip(QUASI, quasi_at):
                    name = hierarchies[q].name
                    values[position] = _coarsen(values[position], hierarchies[q], levels_from[name], levels_to[name])
            return tuple(tuple(v) if isinstance(v, list) else v for v in values)

        difference = Counter(key(row, False) for row in json.loads(later.rows))
        difference.subtract(Counter(key(row, True) for row in json.loads(earlier.rows)))
        assert all(count >= 0 for count in difference.values()), "a later release dropped an earlier row"
        classes: dict[tuple, list[tuple]] = {}
        for row, count in difference.items():
            classes.setdefault(tuple(row[p] for p in quasi_at), []).extend([row] * count)
        for quasi, rows in classes.items():
            if not rows:
                continue
            assert len(rows) >= K, f"releases {earlier.number}->{later.number} isolate {len(rows)} of class {quasi}"
            for question, codes in SENSITIVE.items():
                position = columns.index(question)
                assert not all(row[position] in codes for row in rows), (earlier.number, later.number, quasi, question)

    # Tables: a shown figure moves only by at least MIN_CELL between any two releases, and every
    # withheld cell of every release ranges over at least MIN_CELL given all releases up to it.
    by_release: dict[int, dict[tuple[str, str, str], Any]] = {}
    for cell in cells:
        by_release.setdefault(cell.number, {})[(cell.table_name, cell.group_label, cell.measure)] = cell
    for first, second in combinations(sorted(by_release), 2):
        for key_, before in by_release[first].items():
            after = by_release[second].get(key_)
            if after is None or before.withheld or after.withheld or after.held_from_previous:
                continue
            if after.base != before.base:
                assert after.base - before.base >= 11, (first, second, key_, before.base, after.base)
    _, relations = build_breakdowns(instrument, {}, 0, settings.white_codes)
    checked: set[str] = set()
    for last in sorted(by_release):
        for measure in {m for (_, _, m) in by_release[last]}:
            history = [
                {
                    Cell(t, g): ("withheld", None) if c.withheld else ("held" if c.held_from_previous else "shown", c.base)
                    for (t, g, m), c in by_release[number].items()
                    if m == measure
                }
                for number in sorted(by_release)
                if number <= last
            ]
            signature = repr([sorted(release.items()) for release in history])
            if signature in checked:  # many measures publish the same (often nothing at all)
                continue
            checked.add(signature)
            for cell, (low, high) in feasible_ranges(history, relations, 11).items():
                # (A group found to be empty reveals no one: its range is [0, 0].)
                assert high - low >= 11 or high < 0.5, (last, measure, cell, low, high)
