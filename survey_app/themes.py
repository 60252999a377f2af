"""Themes of a wave's released testimonies, published as a sealed aggregate (issue 5, parts 2 and 6).

Run by the release job (it holds the wave keys): every testimony batch of the wave is opened, each
testimony's texts are redacted with the organisation's terms *before* theming, and only what is safe
leaves this module: per theme a label, key phrases, the number of testimonies, its share by the
coarse attributes respondents chose (through the release's disclosure control) and up to three
redacted quotes from respondents who agreed to be quoted. A theme with fewer than `min_cell`
testimonies shows its label only. The set is sealed under a key derived from the case secret, which
the web process holds, so no free text is plaintext in the database.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from analysis.disclosure import Cell, suppress, total_relation
from analysis.redaction import redact
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


def _shares(
    theme_attributes: list[dict[str, Any]], labels: dict[str, dict[Any, str]], min_cell: int
) -> dict[str, list[dict[str, Any]]]:
    """Counts per group of each attribute, through the release's disclosure control (total relation)."""
    total = Cell("total", "all")
    bases: dict[Cell, int] = {total: len(theme_attributes)}
    relations = []
    groups_of: dict[str, list[str]] = {}
    for attribute in SHARE_ATTRIBUTES:
        groups = [*labels[attribute].values(), NOT_GIVEN]
        groups_of[attribute] = groups
        for group in groups:
            bases[Cell(attribute, group)] = 0
        for attributes in theme_attributes:
            group = labels[attribute].get(attributes.get(attribute), NOT_GIVEN)
            bases[Cell(attribute, group)] += 1
        relations.append(total_relation(total, attribute, groups))
    withheld = suppress(bases, relations, min_cell)
    n = len(theme_attributes)
    shares: dict[str, list[dict[str, Any]]] = {}
    for attribute, groups in groups_of.items():
        rows = []
        for group in groups:
            cell = Cell(attribute, group)
            if cell in withheld:
                rows.append({"group": group, "withheld": True, "count": None, "percent": None})
            else:
                count = bases[cell]
                rows.append({"group": group, "withheld": False, "count": count, "percent": round(100 * count / n, 1)})
        shares[attribute] = rows
    return shares


def _theme_entry(
    theme: Theme,
    texts: list[str],
    attributes: list[dict[str, Any]],
    labels: dict[str, dict[Any, str]],
    min_cell: int,
) -> dict[str, Any]:
    members = [i for i in theme.members if texts[i]]
    if len(members) < min_cell:
        return {
            "id": theme.id, "kind": theme.kind, "label": theme.label, "withheld": True,
            "count": None, "key_phrases": [], "shares": {}, "quotes": [],
        }
    consenting = [i for i in members if attributes[i].get("consent_quote") == 1]
    chosen = secrets.SystemRandom().sample(consenting, k=min(MAX_QUOTES, len(consenting)))
    return {
        "id": theme.id,
        "kind": theme.kind,
        "label": theme.label,
        "withheld": False,
        "count": len(members),
        "key_phrases": list(theme.key_phrases),
        "shares": _shares([attributes[i] for i in members], labels, min_cell),
        "quotes": [_quote(texts[i]) for i in chosen],
    }


def _released_testimonies(connection: Connection, wave_id: str, keys: WaveKeys) -> list[dict[str, Any]]:
    sealed = connection.execute(select(TestimonyBatch.sealed).where(TestimonyBatch.wave_id == wave_id)).scalars().all()
    context = part_context("testimony_batch", wave_id)
    return [t for s in sealed for t in json.loads(open_with_key(keys.data_key, bytes(s), context))]


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
    if not testimonies or release_id is None:
        return None
    instrument = instrument_from_definition(wave_id, wave.definition)
    labels = {attribute: _option_labels(instrument, attribute) for attribute in SHARE_ATTRIBUTES}
    texts = [_testimony_text(t.get("texts", {}), terms) for t in testimonies]
    attributes = [t.get("attributes", {}) for t in testimonies]
    del testimonies  # nothing unredacted goes further than this line
    result = theme_texts(texts, seed=0)
    themes = [
        _theme_entry(theme, texts, attributes, labels, settings.min_cell)
        for theme in (*result.discovered, *result.guided)
        if theme.count > 0
    ]
    # Published themes first (largest first), then those withheld; withheld ones in a fixed order.
    themes.sort(key=lambda t: (t["withheld"], -(t["count"] or 0), t["kind"], t["label"]))
    computed_on = dt.date.today()
    theme_set = {
        "wave": wave.slug,
        "computed_on": computed_on.isoformat(),
        "testimonies": sum(1 for t in texts if t),
        "min_cell": settings.min_cell,
        "themes": themes,
    }
    with engine.begin() as connection:
        connection.execute(
            insert(PublishedThemeSet).values(
                id=random_id(),
                wave_id=wave_id,
                release_id=release_id,
                computed_on=computed_on,
                sealed=seal_with_key(themes_key(case_secret), json.dumps(theme_set).encode(), themes_context(wave_id)),
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
    return json.loads(open_with_key(themes_key(case_secret), bytes(sealed), themes_context(wave_id)))


def describe(theme_set: dict[str, Any]) -> str:
    """Plain text for the CLI."""
    min_cell = theme_set["min_cell"]
    lines = [f"{theme_set['wave']}: themes of {theme_set['testimonies']} testimonies ({theme_set['computed_on']})"]
    for theme in theme_set["themes"]:
        if theme["withheld"]:
            lines.append(f"- {theme['label']} ({theme['kind']}): fewer than {min_cell} testimonies")
            continue
        lines.append(f"- {theme['label']} ({theme['kind']}): {theme['count']} testimonies")
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
