"""Names people recognise for a wave: its organisation, the survey's title and its dates.

A slug ("demo-nhs-staff-survey") and an instrument version ("2025.1") are for operators and
machines; a board paper or a staff page says "Barts Health, NHS Staff Survey: your experience at
work, 3 March 2026 to 30 April 2026". Staff pages, the board report and exports all name waves
here, so they name them the same way; the slug stays available as a reference in small print.

Where a wave's results live also depends on what it asked: a survey with the WRES questions has
indicator pages, while a lived-experience wave has only testimonies, so its results are its themes
(`results_path`), never an empty indicator page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, select

from analysis.indicators import WRES
from questionnaires import Instrument
from survey_app.storage.models import Organisation, Wave
from survey_app.waves import WaveSummary, instrument_from_definition


def long_date(day: dt.date | str | None) -> str:
    """"3 March 2026" (no leading zero), as people write dates; "" for none."""
    if day is None or day == "":
        return ""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return f"{day.day} {day:%B %Y}"


def wave_dates(opened_on: dt.date | str | None, closed_on: dt.date | str | None) -> str:
    """"3 March 2026 to 30 April 2026", or "opened 3 March 2026" while the wave is open."""
    if closed_on:
        return f"{long_date(opened_on)} to {long_date(closed_on)}"
    return f"opened {long_date(opened_on)}"


def first_upper(text: str) -> str:
    """"Opened 3 March 2026": the first letter upper case, the rest as it is (not str.capitalize)."""
    return text[:1].upper() + text[1:]


def asks_indicators(instrument: Instrument) -> bool:
    """Whether the survey asks the questions of at least one WRES indicator."""
    return any(all(question in instrument.questions for question in measure.questions) for measure in WRES)


@dataclass(frozen=True)
class WaveName:
    slug: str
    organisation: str
    survey: str  # the instrument's title
    dates: str
    status: str
    has_indicators: bool

    @property
    def title(self) -> str:
        """"Barts Health, NHS Staff Survey: your experience at work, opened 3 March 2026"."""
        return f"{self.organisation}, {self.survey}, {self.dates}"

    @property
    def dates_heading(self) -> str:
        """The dates starting a sentence or a table cell: "Opened 3 March 2026"."""
        return first_upper(self.dates)

    @property
    def short(self) -> str:
        """The survey and its dates, for a page already headed by the organisation."""
        return f"{self.survey}, {self.dates}"

    @property
    def results_path(self) -> str:
        """Where an EDI lead reads this wave's results: indicators, or the themes of testimonies."""
        return f"/edi/waves/{self.slug}" if self.has_indicators else f"/edi/waves/{self.slug}/themes"


def wave_name(summary: WaveSummary, instrument: Instrument) -> WaveName:
    return WaveName(
        slug=summary.slug,
        organisation=summary.organisation_name,
        survey=instrument.title,
        dates=wave_dates(summary.opened_on, summary.closed_on),
        status=summary.status,
        has_indicators=asks_indicators(instrument),
    )


def named_waves(connection: Connection, organisation_ids: list[str]) -> list[WaveName]:
    """The waves of some organisations, named, by organisation and newest first."""
    rows = connection.execute(
        select(
            Wave.id, Wave.slug, Wave.definition, Wave.status, Wave.opened_on, Wave.closed_on, Organisation.name
        )
        .join(Organisation, Organisation.id == Wave.organisation_id)
        .where(Wave.organisation_id.in_(organisation_ids))
        .order_by(Organisation.name, Wave.opened_on.desc(), Wave.slug)
    ).all()
    names = []
    for row in rows:
        instrument = instrument_from_definition(row.id, row.definition)
        names.append(
            WaveName(
                slug=row.slug,
                organisation=row.name,
                survey=instrument.title,
                dates=wave_dates(row.opened_on, row.closed_on),
                status=row.status,
                has_indicators=asks_indicators(instrument),
            )
        )
    return names
