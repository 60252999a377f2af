"""Themes of a wave's released testimonies, published as a sealed aggregate (issue 5, parts 2 and 6).

Run by the release job (it holds the wave keys): every testimony batch of the wave is opened, each
testimony's texts are redacted with the organisation's terms *before* theming (nothing unredacted
reaches `analysis/theming.py`, and its placeholders never become words), and only what is safe leaves
this module: per theme a label, key phrases, the number of testimonies, its share by the coarse
attributes respondents chose and up to three redacted quotes from respondents who agreed to be
quoted. The set is sealed under a key derived from the case secret, which the web process holds, so
no free text is plaintext in the database.

What a theme may show, release after release (the intruder keeps every theme set):

- a label or key phrase only from words found in at least `MIN_CELL` distinct released testimonies;
- a theme with fewer than `MIN_CELL` testimonies publishes nothing at all: no label, phrase or count;
- each theme is a measure of the release's disclosure control (`analysis/tables.py`): its count and
  its shares by ethnic heading and worker type are cells, protected jointly, as intervals, and by the
  growth rule across theme sets. A theme whose count has moved by fewer than `MIN_CELL` since it was
  last shown keeps its earlier entry whole (label, phrases, figures, quotes), and a withheld theme
  stays withheld until it has grown by `MIN_CELL`; so comparing two theme sets never describes fewer
  than `MIN_CELL` newcomers. The reference counts this needs are sealed under the wave's data key,
  which only the worker holds.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

import numpy as np

from analysis.disclosure import Cell, total_relation
from analysis.intervals import Publication
from analysis.redaction import redact
from analysis.tables import TOTAL, Breakdown, Column, PublishedCell, publications, publish_tables
from analysis.theming import Theme, theme_texts
from survey_app.config import Settings
from survey_app.ftsu.redacting import organisation_terms
from survey_app.keys import read_secret_file
from survey_app.mixer import part_context
from survey_app.sealing import WaveKeys, derive_key, open_with_key, seal_with_key
from survey_app.storage.models import (
    PublishedThemeSet,
    Release,
    TestimonyBatch,
    Wave,
    random_id,
)
from survey_app.waves import instrument_from_definition

THEMES_PURPOSE = "survey_app published themes"
# The testimony's free texts, in reading order: the lived-experience questions, or the bank comment.
TEXT_QUESTIONS = ("what_happened", "how_it_affected_you", "what_would_have_helped", "tw_comments")
SHARE_ATTRIBUTES = ("ethnic_heading", "worker_type")
NOT_GIVEN = "Not given"
MAX_QUOTES = 3
QUOTE_CHARACTERS = 500


def themes_key(case_secret: bytes) -> bytes:
    return derive_key(case_secret, THEMES_PURPOSE)


def themes_context(wave_id: str) -> bytes:
    return b"themes:" + wave_id.encode()


def _testimony_text(texts: dict[str, Any], terms: Any) -> str:
    parts = [str(texts[q]).strip() for q in TEXT_QUESTIONS if isinstance(texts.get(q), str) and texts[q].strip()]
    return "\n\n".join(redact(part, terms).text for part in parts)


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= QUOTE_CHARACTERS:
        return text
    return text[:QUOTE_CHARACTERS].rsplit(" ", 1)[0] + " …"


def _option_labels(instrument: Any, question_id: str) -> dict[Any, str]:
    question = instrument.questions.get(question_id)
    return {o.code: o.label for o in question.options} if question is not None else {}


@dataclass
class ThemeState:
    """What the next theme set needs to know of this one, sealed under the wave's data key: the cells
    as published, their reference counts, every theme set's publications (for interval protection),
    and each shown theme's entry (kept whole while its count moves by fewer than MIN_CELL)."""

    cells: list[list[Any]] = field(default_factory=list)
    bases: list[list[Any]] = field(default_factory=list)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def previous_cells(self) -> dict[tuple[str, str, str], PublishedCell]:
        return {
            (table, group, measure): PublishedCell(table, group, measure, base, tuple(counts) if counts else None, withheld, held)
            for table, group, measure, base, counts, withheld, held in self.cells
        }

    def previous_bases(self) -> dict[tuple[str, str, str], int]:
        return {(table, group, measure): base for table, group, measure, base in self.bases}

    def publications(self) -> dict[str, list[Publication]]:
        return {
            measure: [
                Publication(
                    {Cell(*key.split("\x1f")): value for key, value in p["shown"].items()},
                    {Cell(*key.split("\x1f")): value for key, value in p["held"].items()},
                    frozenset(Cell(*key.split("\x1f")) for key in p["withheld"]),
                )
                for p in publications_
            ]
            for measure, publications_ in self.history.items()
        }


def _encode_publication(publication: Publication) -> dict[str, Any]:
    def key(cell: Cell) -> str:
        return f"{cell.table}\x1f{cell.group}"

    return {
        "shown": {key(c): v for c, v in publication.shown.items()},
        "held": {key(c): v for c, v in publication.held.items()},
        "withheld": sorted(key(c) for c in publication.withheld),
    }


def _theme_tables(
    themes: list[Theme],
    attributes: list[dict[str, Any]],
    labels: dict[str, dict[Any, str]],
    usable: list[bool],
    min_cell: int,
    state: ThemeState,
) -> tuple[dict[tuple[str, str, str], PublishedCell], dict[tuple[str, str, str], int]]:
    """Each theme as a measure: its count (total) and shares by attribute, through the release's
    disclosure control with the growth rule against the previous theme set."""
    n = len(attributes)
    breakdowns, relations = [], []
    for attribute in SHARE_ATTRIBUTES:
        groups = list(dict.fromkeys([*labels[attribute].values(), NOT_GIVEN]))
        position = {group: i for i, group in enumerate(groups)}
        membership = np.array(
            [position[labels[attribute].get(a.get(attribute), NOT_GIVEN)] for a in attributes], dtype=np.int64
        )
        breakdowns.append(Breakdown(attribute, tuple(groups), membership))
        relations.append(total_relation(TOTAL, attribute, groups))
    columns = []
    for theme in themes:
        index = np.full(n, -1, dtype=np.int64)
        index[[i for i in theme.members if usable[i]]] = 0
        columns.append(Column(theme.id, (1,), index=index))
    cells, _, bases = publish_tables(
        columns, breakdowns, relations, min_cell, state.previous_cells(), state.previous_bases(),
        history=state.publications(),
    )
    return {cell.key: cell for cell in cells}, bases


def _theme_entry(
    theme: Theme,
    texts: list[str],
    attributes: list[dict[str, Any]],
    cells: dict[tuple[str, str, str], PublishedCell],
    labels: dict[str, dict[Any, str]],
    previous: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """The published entry of a theme; None when it is withheld (it then publishes nothing)."""
    total = cells[(TOTAL.table, TOTAL.group, theme.id)]
    if total.withheld is not None or total.base is None:
        return None
    if total.held_from_previous and previous is not None:
        return {**previous, "held_from_previous": True}
    members = [i for i in theme.members if texts[i]]
    consenting = [i for i in members if attributes[i].get("consent_quote") == 1]
    chosen = secrets.SystemRandom().sample(consenting, k=min(MAX_QUOTES, len(consenting)))
    shares: dict[str, list[dict[str, Any]]] = {}
    for attribute in SHARE_ATTRIBUTES:
        rows = []
        for group in dict.fromkeys([*labels[attribute].values(), NOT_GIVEN]):
            cell = cells[(attribute, group, theme.id)]
            if cell.withheld is not None or cell.base is None:
                rows.append({"group": group, "withheld": True, "count": None, "percent": None})
            else:
                rows.append(
                    {"group": group, "withheld": False, "count": cell.base, "percent": round(100 * cell.base / total.base, 1)}
                )
        shares[attribute] = rows
    return {
        "id": theme.id,
        "kind": theme.kind,
        "label": theme.label,
        "withheld": False,
        "held_from_previous": False,
        "count": total.base,
        "key_phrases": list(theme.key_phrases),
        "shares": shares,
        "quotes": [_quote(texts[i]) for i in chosen],
    }


def _released_testimonies(connection: Connection, wave_id: str, keys: WaveKeys) -> list[dict[str, Any]]:
    sealed = connection.execute(select(TestimonyBatch.sealed).where(TestimonyBatch.wave_id == wave_id)).scalars().all()
    context = part_context("testimony_batch", wave_id)
    return [t for s in sealed for t in json.loads(open_with_key(keys.data_key, bytes(s), context))]


def _state_context(wave_id: str) -> bytes:
    return part_context("theme_state", wave_id)


def _previous_state(connection: Connection, wave_id: str, keys: WaveKeys) -> ThemeState:
    sealed = connection.execute(
        select(PublishedThemeSet.sealed_state)
        .join(Release, Release.id == PublishedThemeSet.release_id)
        .where(PublishedThemeSet.wave_id == wave_id)
        .order_by(Release.number.desc())
        .limit(1)
    ).scalar()
    if sealed is None:
        return ThemeState()
    return ThemeState(**json.loads(open_with_key(keys.data_key, bytes(sealed), _state_context(wave_id))))


def compute_wave_themes(engine: Engine, wave_id: str, keys: WaveKeys, settings: Settings) -> dict[str, Any] | None:
    """Theme every released testimony of the wave and store the sealed theme set; None if none released."""
    case_secret = read_secret_file(settings.case_key_file, "SURVEY_CASE_KEY_FILE")
    with engine.connect() as connection:
        wave = connection.execute(select(Wave).where(Wave.id == wave_id)).one()
        release_id = connection.execute(
            select(Release.id).where(Release.wave_id == wave_id).order_by(Release.number.desc()).limit(1)
        ).scalar()
        testimonies = _released_testimonies(connection, wave_id, keys)
        terms = organisation_terms(connection, wave.organisation_id)
        state = _previous_state(connection, wave_id, keys)
    if not testimonies or release_id is None:
        return None
    instrument = instrument_from_definition(wave_id, wave.definition)
    labels = {attribute: _option_labels(instrument, attribute) for attribute in SHARE_ATTRIBUTES}
    texts = [_testimony_text(t.get("texts", {}), terms) for t in testimonies]
    attributes = [t.get("attributes", {}) for t in testimonies]
    del testimonies  # nothing unredacted goes further than this line
    result = theme_texts(texts, seed=0, min_documents=settings.min_cell)
    found = [*result.discovered, *result.guided]
    cells, bases = _theme_tables(found, attributes, labels, [bool(t) for t in texts], settings.min_cell, state)
    entries = [_theme_entry(theme, texts, attributes, cells, labels, state.entries.get(theme.id)) for theme in found]
    themes = [entry for entry in entries if entry is not None]
    themes.sort(key=lambda t: (-(t["count"] or 0), t["kind"], t["label"]))
    computed_on = dt.date.today()
    theme_set = {
        "wave": wave.slug,
        "computed_on": computed_on.isoformat(),
        "testimonies": sum(1 for t in texts if t),
        "min_cell": settings.min_cell,
        "themes": themes,
    }
    history = {measure: [_encode_publication(p) for p in past] for measure, past in state.publications().items()}
    for measure, publication in publications(cells.values()).items():
        history.setdefault(measure, []).append(_encode_publication(publication))
    new_state = ThemeState(
        cells=[[c.table, c.group, c.measure, c.base, list(c.counts) if c.counts else None, c.withheld, c.held_from_previous]
               for c in cells.values()],
        bases=[[*key, base] for key, base in bases.items()],
        history=history,
        entries={entry["id"]: {k: v for k, v in entry.items() if k != "held_from_previous"} for entry in themes},
    )
    with engine.begin() as connection:
        connection.execute(
            insert(PublishedThemeSet).values(
                id=random_id(),
                wave_id=wave_id,
                release_id=release_id,
                computed_on=computed_on,
                sealed=seal_with_key(themes_key(case_secret), json.dumps(theme_set).encode(), themes_context(wave_id)),
                sealed_state=seal_with_key(keys.data_key, json.dumps(asdict(new_state)).encode(), _state_context(wave_id)),
            )
        )
    return theme_set


def latest_themes(connection: Connection, wave_id: str, case_secret: bytes) -> dict[str, Any] | None:
    """The newest stored theme set of a wave, opened; None if the release job has stored none."""
    sealed = connection.execute(
        select(PublishedThemeSet.sealed)
        .join(Release, Release.id == PublishedThemeSet.release_id)
        .where(PublishedThemeSet.wave_id == wave_id)
        .order_by(Release.number.desc())
        .limit(1)
    ).scalar()
    if sealed is None:
        return None
    theme_set = json.loads(open_with_key(themes_key(case_secret), bytes(sealed), themes_context(wave_id)))
    # Sets stored before withheld themes published nothing still hold their labels: never shown.
    theme_set["themes"] = [theme for theme in theme_set["themes"] if not theme.get("withheld")]
    return theme_set


def describe(theme_set: dict[str, Any]) -> str:
    """Plain text for the CLI."""
    min_cell = theme_set["min_cell"]
    lines = [f"{theme_set['wave']}: themes of {theme_set['testimonies']} testimonies ({theme_set['computed_on']})"]
    lines.append(f"  (themes with fewer than {min_cell} testimonies are not shown)")
    for theme in theme_set["themes"]:
        held = " (unchanged since an earlier release)" if theme.get("held_from_previous") else ""
        lines.append(f"- {theme['label']} ({theme['kind']}): {theme['count']} testimonies{held}")
        if theme["key_phrases"]:
            lines.append(f"    key phrases: {', '.join(theme['key_phrases'])}")
        for attribute, rows in theme["shares"].items():
            shown = ", ".join(
                f"{r['group']} withheld" if r["withheld"] else f"{r['group']} {r['count']} ({r['percent']}%)" for r in rows
            )
            lines.append(f"    by {attribute}: {shown}")
        for quote in theme["quotes"]:
            lines.append(f'    "{quote}"')
    return "\n".join(lines)
