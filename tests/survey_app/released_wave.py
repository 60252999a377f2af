"""A released regional bank-workers wave with known figures, for the dashboard, export and API tests.

The region's member organisations include names that begin with spreadsheet formula triggers, and
one ethnic category is deliberately small (5 Black Caribbean respondents), so that its cells are
withheld: the tests check that no number about it surfaces anywhere. Other small categories are
present too (as in any real wave), and some are empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from analysis.indicators import MEASURES, WRES
from questionnaires import validate_answers
from survey_app.accounts import add_account
from survey_app.config import Settings
from survey_app.inbox import submit_response
from survey_app.keys import WaveKeyStore, read_secret_file
from survey_app.mixer import mix_round
from survey_app.organisations import add_organisation
from survey_app.release import release_wave
from survey_app.storage.database import engine_for
from survey_app.storage.models import Wave
from survey_app.waves import close_wave, find_published_wave, open_wave

PASSWORD = "correct horse battery staple"
REGION = "north-ics"
WAVE = "north-bank-2026"
EARLIER = "north-bank-2025"
UNRELEASED = "north-staff-2026"
OTHER_WAVE = "homerton-bank-2026"
FORMULA_NAMES = ('=HYPERLINK("http://example.org","click")', "@SUM(1+1)", "+44 Trust", "-Minus Trust")
MEMBERS = ("Barts Health", *FORMULA_NAMES)
SMALL_CODE = 16  # Black / African / Caribbean / Black British - Caribbean
SMALL_LABEL = "Black / African / Caribbean / Black British - Caribbean"
SMALL_COUNT = 5
# ethnic category code -> respondents (None: not stated)
ETHNIC_MIX: dict[int | None, int] = {
    1: 77,
    2: 12,
    4: 18,
    9: 30,
    10: 12,
    14: 4,
    15: 45,
    SMALL_CODE: SMALL_COUNT,
    17: 13,
    18: 3,
    # Enough "Any other ethnic group" that the Other heading is shown: its small Arab category is
    # then protected inside the heading, not by withholding groups across the whole table.
    19: 11,
    None: 12,
}
assert sum(ETHNIC_MIX.values()) % 11 == 0, "a whole number of mixer batches: every response is released"
WHITE_CODES = (1, 2, 3, 4)
EMAILS = {
    "edi": "lead@north.example",
    "admin": "admin@north.example",
    "ftsu": "guardian@north.example",
    "other_edi": "lead@homerton.example",
}


@dataclass(frozen=True)
class Planted:
    rows: list[dict[str, Any]]

    def ethnic_group_rows(self, code: int | None) -> list[dict[str, Any]]:
        return [row for row in self.rows if row.get("q28") == code]

    def truth(self, measure: str, code: int | None) -> tuple[int, int]:
        """(count, base) of a measure among respondents of one ethnic category."""
        return measure_truth(measure, self.ethnic_group_rows(code))


def measure_truth(measure: str, rows: list[dict[str, Any]]) -> tuple[int, int]:
    definition = MEASURES[measure]
    count = base = 0
    for row in rows:
        answered = [row.get(q) for q in definition.questions if row.get(q) is not None]
        in_base = any(
            (definition.base_codes is None or value in definition.base_codes) for value in answered
        )
        if in_base:
            base += 1
            count += any(value in definition.yes_codes for value in answered)
    return count, base


def planted_rows(mix: dict[int | None, int] | None = None) -> list[dict[str, Any]]:
    rows = []
    serial = 0
    for code, size in (mix or ETHNIC_MIX).items():
        for i in range(size):
            serial += 1
            row: dict[str, Any] = {
                "q14a": 2 if serial % 3 == 0 else 1,
                "q14b": 3 if serial % 4 == 0 else 1,
                "q14c": 2 if serial % 5 == 0 else 1,
                "q15": (1, 2, 9)[serial % 3],
                "q16a": 2,
                "q16b": 1 if serial % 4 == 1 else 2,
                "tw_worker_type": 1 + serial % 5,
                "main_organisation": serial % len(MEMBERS),  # an index, made a code below
                "q35": (26, 34, 38)[serial % 3],
            }
            if code is not None:
                row["q28"] = code
            rows.append(row)
    return rows


def _submit_mix_release(settings: Settings, slug: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Submit `rows` (a whole number of mixer batches), mix and release; returns the stored answers."""
    engine = engine_for(settings.database_url)
    key_store = WaveKeyStore(settings.key_file)
    with engine.begin() as connection:
        wave = find_published_wave(connection, slug)
        assert wave is not None
        organisations = sorted(wave.instrument.questions["main_organisation"].codes)
        stored = []
        for row in rows:
            row = {**row, "main_organisation": organisations[row["main_organisation"] % len(organisations)]}
            clean, errors = validate_answers(wave.instrument, row)
            assert not errors, errors
            assert submit_response(connection, wave, clean)
            stored.append(clean)
    keys = key_store.load(wave.id)
    mixed = mix_round(engine, key_store, wave.id, read_secret_file(settings.case_key_file, "case"), settings.mix_batch)
    assert mixed.responses_mixed == len(stored), "every response is released"
    release_wave(engine, wave.id, keys, settings)
    return stored


def build(settings: Settings, mix: dict[int | None, int] | None = None) -> Planted:
    """Organisations and accounts; an earlier wave (2024 instrument: q15's old wording) released and
    closed; the wave under test released; an unreleased wave; another organisation's wave."""
    engine = engine_for(settings.database_url)
    key_store = WaveKeyStore(settings.key_file)
    with engine.begin() as connection:
        add_organisation(connection, "North ICS", REGION, headcount=40000)
        for number, name in enumerate(MEMBERS):
            add_organisation(connection, name, f"member-{number}", REGION)
        add_organisation(connection, "Homerton Healthcare", "homerton", headcount=4000)
        add_account(connection, EMAILS["edi"], "edi", [REGION], PASSWORD)
        add_account(connection, EMAILS["admin"], "admin", [REGION], PASSWORD)
        add_account(connection, EMAILS["ftsu"], "ftsu", [REGION], PASSWORD)
        add_account(connection, EMAILS["other_edi"], "edi", ["homerton"], PASSWORD)
        open_wave(connection, key_store, "bank-temporary-workers", REGION, EARLIER)
    earlier = [row for row in planted_rows() if row.get("q28") in (1, 15)][:121]
    _submit_mix_release(settings, EARLIER, earlier)
    with engine.begin() as connection:
        connection.execute(update(Wave).where(Wave.slug == EARLIER).values(instrument_version="2024.1"))
        close_wave(connection, EARLIER)
        open_wave(connection, key_store, "bank-temporary-workers", REGION, WAVE)
        open_wave(connection, key_store, "nhs-staff-survey", REGION, UNRELEASED)
        open_wave(connection, key_store, "bank-temporary-workers", "homerton", OTHER_WAVE)
    return Planted(_submit_mix_release(settings, WAVE, planted_rows(mix)))


WRES_MEASURES = tuple(m.name for m in WRES)
