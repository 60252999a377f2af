"""Themes of released testimonies: computed by the release, redacted first, sealed, shown to EDI leads."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy import select, text

from survey_app.accounts import add_account
from survey_app.app import create_app
from survey_app.cli import main
from survey_app.config import Settings
from survey_app.inbox import submit_response
from survey_app.organisations import add_organisation
from survey_app.storage.database import engine_for
from survey_app.storage.models import AuditEvent
from survey_app.waves import find_published_wave
from tests.survey_app.helpers import (
    STAFF_PASSWORD,
    mix_now,
    open_test_wave,
    sign_in,
    web_settings,
)

NAMES = ("Sarah Okafor", "James Whitfield", "Priya Sharma", "Daniel Hughes", "Grace Mensah")
PLANTED = "the charge nurse laughed at my accent in the handover"
CONSENTED = "I agreed to be quoted here."
NOT_CONSENTED = "Please keep this private."

RACISM = [
    "My manager {name} made racist remarks about my accent and my name in front of patients.",
    "Colleagues made racist jokes about Black staff and {name} said it was only banter.",
    "I heard racist comments about my hijab; {name} laughed and nobody challenged the racism.",
    "A senior nurse, {name}, kept making racist remarks and microaggressions about where I am from.",
    "Racist remarks about Asian staff were ignored when I reported them to {name}.",
]
PROMOTION = [
    "I was overlooked for promotion again; {name} gave the band 6 post to a less experienced colleague.",
    "Every time I apply for promotion I am overlooked and {name} never explains why I did not get the job.",
    "I have been acting up for two years but was overlooked for the promotion, {name} said I was not ready.",
    "Career progression is blocked for us; {name} promoted people from the same friendship group and I was overlooked.",
    "I was told by {name} that I was overlooked for promotion because of my interview, despite my appraisals.",
]
BANK = [
    "As bank staff I am always given the heaviest bank shifts and {name} cancels my bank shifts without notice.",
    "Bank and agency staff are treated as second class; {name} gives the regular staff the easy bank shifts.",
]


def responses() -> list[dict[str, Any]]:
    rows = []
    plan = [(RACISM, 15), (PROMOTION, 15), (BANK, 10)]
    i = 0
    for templates, count in plan:
        for j in range(count):
            name = NAMES[i % len(NAMES)]
            body = templates[j % len(templates)].format(name=name)
            if i == 0:
                body += f" Then {PLANTED}."
            consent = 1 if i % 3 == 0 else 2
            body += " " + (CONSENTED if consent == 1 else NOT_CONSENTED)
            rows.append(
                {
                    "what_happened": body,
                    "how_it_affected_you": "It left me anxious and I thought about leaving.",
                    "consent_quote": consent,
                    "consent_share": 2,
                    "ethnic_heading": (1, 3, 4)[i % 3],
                    "worker_type": 2 if templates is BANK else 1,
                }
            )
            i += 1
    return rows


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def themed(settings: Settings, cli_env: dict) -> tuple[str, dict[str, Any]]:
    slug = open_test_wave(settings, "lived-experience", "voices")
    engine = engine_for(settings.database_url)
    with engine.begin() as connection:
        wave = find_published_wave(connection, slug)
        assert wave is not None
        for answers in responses():
            assert submit_response(connection, wave, answers)
        add_organisation(connection, "Organisation homerton", "homerton")
        add_account(connection, "edi@barts.example", "edi", ["barts"], STAFF_PASSWORD)
        add_account(connection, "edi@homerton.example", "edi", ["homerton"], STAFF_PASSWORD)
    assert run("mix")[0] == 0
    code, output = run("release", "--wave", slug, "--format", "json")
    assert code == 0, output
    code, output = run("themes", "--wave", slug, "--format", "json")
    assert code == 0, output
    return slug, json.loads(output)


def test_themes_are_listed_with_counts_shares_and_consented_redacted_quotes(
    settings: Settings, themed: tuple[str, dict[str, Any]]
) -> None:
    slug, theme_set = themed
    assert theme_set["wave"] == slug and theme_set["testimonies"] == 40
    themes = theme_set["themes"]
    shown = themes
    assert shown and not any(t["withheld"] for t in themes), themes
    labels = " ".join(t["label"] + " " + " ".join(t["key_phrases"]) for t in shown).lower()
    assert "racis" in labels and ("promot" in labels or "overlook" in labels)
    quotes = [q for t in shown for q in t["quotes"]]
    assert quotes
    for theme in shown:
        assert theme["count"] >= 11 and len(theme["quotes"]) <= 3
        for attribute, rows in theme["shares"].items():
            assert attribute in ("ethnic_heading", "worker_type")
            for row in rows:
                if row["withheld"]:
                    assert row["count"] is None and row["percent"] is None
                else:
                    assert row["count"] >= 11
    for quote in quotes:
        assert CONSENTED in quote and NOT_CONSENTED not in quote
        for name in NAMES:
            assert name not in quote and name.split()[1] not in quote, quote
    code, output = run("themes", "--wave", slug)
    assert code == 0 and "testimonies" in output


def test_a_theme_under_min_cell_publishes_nothing(
    settings: Settings, cli_env: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Which small themes a corpus has is up to the theming: a higher MIN_CELL makes sure some are small.
    monkeypatch.setenv("MIN_CELL", "16")
    slug = open_test_wave(settings, "lived-experience", "small")
    with engine_for(settings.database_url).begin() as connection:
        wave = find_published_wave(connection, slug)
        assert wave is not None
        for answers in responses()[:30]:
            assert submit_response(connection, wave, answers)
    assert run("mix")[0] == 0
    assert run("release", "--wave", slug)[0] == 0
    code, output = run("themes", "--wave", slug, "--format", "json")
    assert code == 0, output
    theme_set = json.loads(output)
    # 15 testimonies of racism, 15 of promotion: under 16, so not even a label is published.
    assert theme_set["themes"] == [], theme_set["themes"]
    assert "Racist remarks" not in output and "promotion" not in output.lower()
    code, output = run("themes", "--wave", slug)
    assert "fewer than 16 testimonies are not shown" in output and "Racist" not in output


def test_the_theme_set_is_sealed_in_the_database(settings: Settings, themed: tuple[str, dict[str, Any]]) -> None:
    engine = engine_for(settings.database_url)
    with engine.connect() as connection:
        sealed = connection.execute(text("SELECT sealed FROM published_theme_set")).scalars().all()
    assert sealed
    for blob in sealed:
        raw = bytes(blob)
        assert PLANTED.encode() not in raw and b"racist" not in raw and b"quoted" not in raw
    if settings.database_url.startswith("sqlite"):
        path = Path(settings.database_url.removeprefix("sqlite:///"))
        engine.dispose()
        for file in path.parent.glob(path.name + "*"):
            assert PLANTED.encode() not in file.read_bytes(), file


def test_the_edi_page_shows_the_themes_and_404s_for_another_organisation(
    settings: Settings, themed: tuple[str, dict[str, Any]]
) -> None:
    slug, theme_set = themed
    shown = [t for t in theme_set["themes"] if not t["withheld"]]
    with TestClient(create_app(web_settings(settings))) as client:
        sign_in(client, "edi@barts.example")
        page = client.get(f"/edi/waves/{slug}/themes")
        assert page.status_code == 200
        assert "Themes of testimonies" in page.text
        for theme in shown:
            assert f"{theme['count']} testimonies" in page.text
        assert NOT_CONSENTED not in page.text and "Okafor" not in page.text
        # The summary table at the top: every theme, linked to its section, with its count and share.
        summary = page.text.split("Summary: every theme")[1].split("</table>")[0]
        assert page.text.index("Summary: every theme") < page.text.index('class="app-theme"')
        for theme in theme_set["themes"]:
            assert f'href="#{theme["id"]}"' in summary, theme["label"]
        for theme in shown:
            share = f"{100 * theme['count'] / theme_set['testimonies']:.0f}%"
            assert f">{theme['count']}<" in summary and f">{share}<" in summary, theme["label"]
        # A lived-experience survey has no indicators: its results are its themes, never an empty page,
        # and the staff home names it by its title and dates and links straight there.
        overview = client.get(f"/edi/waves/{slug}", follow_redirects=False)
        assert overview.status_code in (302, 303) and overview.headers["location"] == f"/edi/waves/{slug}/themes"
        home = client.get("/staff").text
        assert f'href="/edi/waves/{slug}/themes"' in home and f'href="/edi/waves/{slug}"' not in home
        assert "Tell us what happened to you at work" in home and "(themes of testimonies)" in home
    with TestClient(create_app(web_settings(settings))) as client:
        sign_in(client, "edi@homerton.example")
        assert client.get(f"/edi/waves/{slug}/themes").status_code == 404
    with engine_for(settings.database_url).connect() as connection:
        actions = connection.execute(select(AuditEvent.action).where(AuditEvent.actor == "edi@barts.example")).scalars().all()
    assert "edi.view_themes" in actions


def test_a_wave_without_themes_says_so(settings: Settings, cli_env: dict) -> None:
    slug = open_test_wave(settings, "lived-experience", "quiet")
    with engine_for(settings.database_url).begin() as connection:
        add_account(connection, "edi@barts.example", "edi", ["barts"], STAFF_PASSWORD)
    with TestClient(create_app(web_settings(settings))) as client:
        sign_in(client, "edi@barts.example")
        page = client.get(f"/edi/waves/{slug}/themes")
        assert page.status_code == 200 and "no themes yet" in page.text
    code, _ = run("themes", "--wave", slug)
    assert code == 1


def test_themes_export_from_the_cli_shows_what_the_page_shows_and_is_audited(
    settings: Settings, themed: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    slug, theme_set = themed
    out = tmp_path / "themes.csv"
    code, output = run("export", "--wave", slug, "--what", "themes", "--format", "csv", "--out", str(out))
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    by_theme = {row["theme"]: row for row in rows if row["breakdown"] == "all"}
    assert set(by_theme) == {theme["label"] for theme in theme_set["themes"]}
    for theme in theme_set["themes"]:
        row = by_theme[theme["label"]]
        if theme["withheld"]:
            assert row["testimonies"] == "" and row["note"].startswith("fewer than")
        else:
            assert int(row["testimonies"]) == theme["count"] and row["note"] == ""
    quotes = [row["quote"] for row in rows if row["breakdown"] == "quote"]
    assert quotes == [q for t in theme_set["themes"] for q in t["quotes"]]
    assert all(NOT_CONSENTED not in q for q in quotes)
    for row in rows:
        if row["breakdown"] not in ("all", "quote") and row["note"]:
            assert row["testimonies"] == "" and row["percent"] == ""
    xlsx = tmp_path / "themes.xlsx"
    assert run("export", "--wave", slug, "--what", "themes", "--format", "xlsx", "--out", str(xlsx))[0] == 0
    sheet = load_workbook(xlsx)["Themes"]
    assert sheet.max_row == len(rows) + 1
    with engine_for(settings.database_url).connect() as connection:
        exports = connection.execute(
            select(AuditEvent.detail).where(AuditEvent.action == "export")
        ).scalars().all()
    assert len(exports) == 2 and all('"themes"' in detail for detail in exports)


def test_the_themes_api_and_download_are_for_the_waves_own_edi_lead(
    settings: Settings, themed: tuple[str, dict[str, Any]]
) -> None:
    slug, theme_set = themed
    with TestClient(create_app(web_settings(settings))) as client:
        assert client.get(f"/api/v1/waves/{slug}/themes").status_code == 401
        assert client.get(f"/edi/waves/{slug}/themes.csv", follow_redirects=False).status_code in (302, 303, 401)
        sign_in(client, "edi@barts.example")
        response = client.get(f"/api/v1/waves/{slug}/themes")
        assert response.status_code == 200
        assert response.json() == theme_set
        download = client.get(f"/edi/waves/{slug}/themes.csv")
        assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
        assert "attachment" in download.headers["content-disposition"]
        assert client.get(f"/edi/waves/{slug}/themes").text.count(f"/edi/waves/{slug}/themes.") == 2
    with TestClient(create_app(web_settings(settings))) as client:
        sign_in(client, "edi@homerton.example")
        assert client.get(f"/api/v1/waves/{slug}/themes").status_code == 404
        assert client.get(f"/edi/waves/{slug}/themes.xlsx").status_code == 404
    with engine_for(settings.database_url).connect() as connection:
        actions = connection.execute(select(AuditEvent.action).where(AuditEvent.actor == "edi@barts.example")).scalars().all()
    assert "api.themes" in actions and "edi.export" in actions


# --- what the words and figures of themes give away -----------------------------------------------

RACISM_TEXT = "Colleagues made racist remarks about my accent in front of patients, number {i}."
PROMOTION_TEXT = "I was overlooked for promotion again and again, time {i}."


def _testimony(text: str, consent: int = 2, heading: int = 3) -> dict[str, Any]:
    return {"what_happened": text, "consent_quote": consent, "consent_share": 2, "ethnic_heading": heading}


def _submit_mix_release(settings: Settings, slug: str, rows: list[dict[str, Any]]) -> None:
    from survey_app.keys import WaveKeyStore
    from survey_app.release import release_wave

    engine = engine_for(settings.database_url)
    with engine.begin() as connection:
        wave = find_published_wave(connection, slug)
        assert wave is not None
        for row in rows:
            assert submit_response(connection, wave, row)
    keys = WaveKeyStore(settings.key_file).load(wave.id)
    mix_now(settings, wave.id)
    release_wave(engine, wave.id, keys, settings)


def _theme_sets(settings: Settings, slug: str) -> list[dict[str, Any]]:
    from survey_app.keys import read_secret_file
    from survey_app.storage.models import PublishedThemeSet, Release, Wave
    from survey_app.themes import themes_context, themes_key
    from survey_app.sealing import open_with_key

    key = themes_key(read_secret_file(settings.case_key_file, "case"))
    with engine_for(settings.database_url).connect() as connection:
        rows = connection.execute(
            select(PublishedThemeSet.wave_id, PublishedThemeSet.sealed)
            .join(Release, Release.id == PublishedThemeSet.release_id)
            .join(Wave, Wave.id == PublishedThemeSet.wave_id)
            .where(Wave.slug == slug)
            .order_by(Release.number)
        ).all()
    return [json.loads(open_with_key(key, bytes(row.sealed), themes_context(row.wave_id))) for row in rows]


def test_words_two_people_wrote_never_become_key_phrases_or_labels(settings: Settings) -> None:
    """Two respondents who refused to be quoted write a phrase no one else uses; it must not surface,
    however large the theme. Nor must a redaction placeholder become a word."""
    slug = open_test_wave(settings, "lived-experience", "phrases")
    rows = [_testimony(RACISM_TEXT.format(i=i) + " Sister Okafor was there.") for i in range(10)]
    rows += [
        _testimony("Racist remarks about my accent again: the quixotic zanzibar rota meeting, every week."),
        _testimony("Racist remarks at the quixotic zanzibar rota meeting, about my accent."),
    ]
    rows += [_testimony(PROMOTION_TEXT.format(i=i)) for i in range(11)]
    _submit_mix_release(settings, slug, rows)
    (theme_set,) = _theme_sets(settings, slug)
    assert theme_set["themes"], "the racism theme has 12 testimonies and is shown"
    words = json.dumps([[t["label"], t["key_phrases"]] for t in theme_set["themes"]]).lower()
    for leaked in ("quixotic", "zanzibar", "rota", "meeting", "okafor", "name", "sister"):
        assert leaked not in words, (leaked, words)
    assert "racis" in words


def test_comparing_theme_sets_release_by_release_isolates_no_newcomer(settings: Settings) -> None:
    settings = Settings(
        database_url=settings.database_url, key_file=settings.key_file, case_key_file=settings.case_key_file,
        min_cell=11, k_anonymity=11, mix_batch=1,
    )
    slug = open_test_wave(settings, "lived-experience", "succession")
    steps = [
        [_testimony(RACISM_TEXT.format(i=i)) for i in range(11)] + [_testimony(PROMOTION_TEXT.format(i=i)) for i in range(11)],
        [_testimony(RACISM_TEXT.format(i=100), heading=4)],  # one newcomer: waits for a batch of k
        [_testimony(PROMOTION_TEXT.format(i=200 + i)) for i in range(10)] + [_testimony(RACISM_TEXT.format(i=200))],
        [_testimony(RACISM_TEXT.format(i=300 + i)) for i in range(11)] + [_testimony(PROMOTION_TEXT.format(i=300))],
    ]
    for rows in steps:
        _submit_mix_release(settings, slug, rows)
    sets = _theme_sets(settings, slug)
    assert len(sets) == 3  # the lone newcomer released no batch, so no new theme set
    for earlier, later in combinations(sets, 2):
        before = {theme["id"]: theme for theme in earlier["themes"]}
        for theme in later["themes"]:
            old = before.get(theme["id"])
            if old is None:
                assert theme["count"] >= 11
                continue
            if theme["count"] == old["count"]:
                assert theme["label"] == old["label"] and theme["key_phrases"] == old["key_phrases"]
            else:
                assert abs(theme["count"] - old["count"]) >= 11, (theme["id"], old["count"], theme["count"])
            for attribute, rows in theme["shares"].items():
                old_rows = {row["group"]: row for row in old["shares"][attribute]}
                for row in rows:
                    was = old_rows[row["group"]]
                    if row["withheld"] or was["withheld"] or row["count"] == was["count"]:
                        continue
                    assert abs(row["count"] - was["count"]) >= 11, (theme["id"], attribute, row, was)
    counts = [{t["id"]: t["count"] for t in s["themes"]} for s in sets]
    assert counts[-1]["racist_remarks"] >= 24, counts  # figures do move on once enough have joined
