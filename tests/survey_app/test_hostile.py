"""Hostile websites, guessers and floods (issue 15): each attack as an attacker would make it.

Every test here plays one attack end to end over HTTP and fails if the attack works: a chosen visit
token taken over (another site's POST, a planted token, an API key equal to a web token), a response
made to disappear in the mixer, a holder locked out of their receipt, guesses let through a limit in
parallel, a flood through an open link, hostile bodies and a database outage answered with a 500.

The tests touch the application only through HTTP, the database and the worker's functions, so they
can also be run against the code before the fix (they failed there: see the closing note of the
issue). `_configured` therefore sets only the settings that the code at hand has.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from questionnaires import load_instrument
from survey_app.app import create_app
from survey_app.config import Settings
from survey_app.ftsu.receipts import RECEIPT_WORDS, word_list
from survey_app.keys import WaveKeyStore
from survey_app.release import release_wave
from survey_app.storage.database import engine_for
from survey_app.storage.models import FtsuCase
from survey_app.waves import find_wave
from tests.survey_app.helpers import count_rows, mix_now, open_test_wave, random_answers, web_settings
from tests.survey_app.test_ftsu import World, plain, read_replies, themes_only
from tests.survey_app.test_respond_pages import Respondent, Screen, walk_to
from tests.survey_app.test_staff_access import REDIS_URL

CROSS_SITE = {"Sec-Fetch-Site": "cross-site", "Origin": "https://attacker.example"}
VICTIM_TEXT = "My ward manager falsified the controlled drugs register. Victim-Sentinel-5521"
ATTACKER_TEXT = "An attacker's own concern, to get receipt words."
CHOSEN = "attacker-chosen-token-0123456789"


def _configured(settings: Settings, **wanted: Any) -> Settings:
    """The settings with those of `wanted` that this code has (the attacks also run on older code)."""
    names = {field.name for field in dataclasses.fields(settings)}
    return dataclasses.replace(settings, **{name: value for name, value in wanted.items() if name in names})


def _world(settings: Settings, tmp_path: Path, **wanted: Any) -> World:
    slug = open_test_wave(settings, "lived-experience", "barts-lived", org="barts")
    open_test_wave(settings, "bank-temporary-workers", "barts-bank", org="barts")
    web = _configured(dataclasses.replace(web_settings(settings), session_folder=tmp_path / "sessions"), **wanted)
    return World(settings, web, create_app(web), slug)


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> World:
    return _world(settings, tmp_path)


@pytest.fixture
def client(world: World) -> Iterator[TestClient[Litestar]]:
    with TestClient(world.app) as test_client:
        yield test_client


def _receipt_words(screen: Screen) -> str:
    match = re.search(r'id="receipt-words">([a-z ]+)<', screen.html)
    assert match, "the receipt is shown"
    return match.group(1)


def _plant(person: Respondent, token: str) -> None:
    """What a page that posted into the respondent's browser leaves in the form: its token."""
    assert person.screen is not None
    person.screen.form.hidden[:] = [(n, token if n == "_submission" else v) for n, v in person.screen.form.hidden]


def _share_on_the_web(person: Respondent, text: str, urgent: str = "1") -> tuple[str, str]:
    """From the first page of the survey to the receipt: (the token the check page carried, the words)."""
    person.press("continue", {"what_happened": text})
    walk_to(person, "How we may use your words", {})
    person.press("continue", {"consent_quote": "2", "consent_share": "1"})
    check = person.press("continue", {"share_unredacted": "1", "urgent": urgent})
    assert check.is_check_page
    token = dict(check.form.hidden).get("_submission", "")
    return token, _receipt_words(person.press("submit"))


def _api_share(client: TestClient[Litestar], slug: str, text: str, key: str, urgent: int = 1) -> str:
    answers = {"what_happened": text, "consent_quote": 2, "consent_share": 1, "share_unredacted": 1, "urgent": urgent}
    response = client.post(f"/api/v1/waves/{slug}/responses", json={"answers": answers}, headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.text
    return str(response.json()["receipt"]["words"])


# ------------------------------------------------------------------------------------------------
# Receipt takeover by a chosen token


def test_another_sites_start_is_refused_and_stores_nothing(world: World, client: TestClient[Litestar]) -> None:
    for headers in (
        CROSS_SITE,
        {"Sec-Fetch-Site": "same-site"},  # a sibling host may be anyone's
        {"Origin": "https://attacker.example"},  # an older browser: no Sec-Fetch-Site
        {"Referer": "https://attacker.example/page"},
    ):
        response = client.post(f"/s/{world.slug}", data={"_action": "start", "_submission": CHOSEN}, headers=headers)
        assert response.status_code == 403, (headers, response.status_code)
        assert "another website" in plain(response.text) and CHOSEN not in response.text
        assert "set-cookie" not in response.headers
    # A whole answer posted from another site is not stored, and neither is a reply at /receipt.
    refused = client.post(
        f"/s/{world.slug}",
        data={"_step": "check", "_action": "submit", "what_happened": "x", "consent_quote": "2", "consent_share": "2"},
        headers=CROSS_SITE,
    )
    assert refused.status_code == 403 and count_rows(world.engine, "inbox") == 0
    assert client.post("/receipt", data={"receipt": "a b c d e f g", "_action": "reply"}, headers=CROSS_SITE).status_code == 403
    # Our own pages, a typed address, and a browser that says nothing still work.
    base = world.web.public_base_url
    for headers in ({"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {"Origin": base}, {"Origin": "null"}, {}):
        assert client.post(f"/s/{world.slug}", data={"_action": "start"}, headers=headers).status_code == 200, headers


def test_a_token_chosen_by_another_site_is_never_adopted(world: World, client: TestClient[Litestar]) -> None:
    # An old browser that sends neither Sec-Fetch-Site nor Origin: the cross-site check cannot tell.
    response = client.post(f"/s/{world.slug}", data={"_action": "start", "_submission": CHOSEN})
    assert response.status_code == 200
    person = Respondent(client, world.slug)
    person.screen = Screen(response)
    token = dict(person.screen.form.hidden)["_submission"]
    assert token != CHOSEN
    # Planted on a later page instead of at Start: replaced there too.
    _plant(person, CHOSEN)
    carried, _ = _share_on_the_web(person, VICTIM_TEXT)
    assert carried != CHOSEN


def test_an_api_key_equal_to_a_web_token_gets_other_receipt_words(world: World, client: TestClient[Litestar]) -> None:
    person = Respondent(client, world.slug)
    person.start()
    token, words = _share_on_the_web(person, VICTIM_TEXT)
    # The attacker copies the token (from the page they made the browser post, or over a shoulder)
    # and sends the very same answers through the API with it as Idempotency-Key.
    answers = {"what_happened": VICTIM_TEXT, "consent_quote": 2, "consent_share": 1, "share_unredacted": 1, "urgent": 1}
    api = client.post(f"/api/v1/waves/{world.slug}/responses", json={"answers": answers}, headers={"Idempotency-Key": token})
    assert api.status_code == 201
    assert api.json()["receipt"]["words"] != words
    # Nor does a key give the same words on another organisation's wave.
    other = open_test_wave(world.settings, "lived-experience", "homerton-lived", org="homerton")
    elsewhere = _api_share(client, other, ATTACKER_TEXT, "same-key-on-two-waves-0123456789")
    assert elsewhere != _api_share(client, world.slug, ATTACKER_TEXT, "same-key-on-two-waves-0123456789")


def _victim_case_opened_by(world: World, client: TestClient[Litestar], attacker_words: str, victim_words: str) -> None:
    world.round(force=True)
    stolen = read_replies(client, attacker_words)
    assert "Victim-Sentinel-5521" not in stolen.text, "the attacker's receipt opened the victim's concern"
    own = read_replies(client, victim_words)
    assert "Victim-Sentinel-5521" in own.text, "the victim reads their own concern"
    with world.engine.connect() as connection:
        assert len(connection.execute(select(FtsuCase.id)).all()) == 2, "two concerns, two cases"


def test_a_planted_token_never_opens_the_victims_concern(world: World, client: TestClient[Litestar]) -> None:
    """The attack as it was found: the other site posts Start with its chosen K, the victim carries on and
    shares a concern; the attacker asks the API for a receipt with Idempotency-Key K."""
    response = client.post(f"/s/{world.slug}", data={"_action": "start", "_submission": CHOSEN})
    victim = Respondent(client, world.slug)
    victim.screen = Screen(response)
    _, victim_words = _share_on_the_web(victim, VICTIM_TEXT)
    attacker_words = _api_share(client, world.slug, ATTACKER_TEXT, CHOSEN)
    _victim_case_opened_by(world, client, attacker_words, victim_words)


def test_a_genuine_token_planted_mid_visit_never_opens_the_victims_concern(
    world: World, client: TestClient[Litestar]
) -> None:
    """A cleverer attacker plants a token the server really issued (they pressed Start themselves) on a
    later page, and sends their own concern on the web with it: the receipt depends on the answers too."""
    attacker = Respondent(client, world.slug)
    attacker.start()
    genuine = dict(attacker.screen.form.hidden)["_submission"]  # type: ignore[union-attr]
    victim = Respondent(client, world.slug)
    victim.start()
    _plant(victim, genuine)
    victim_token, victim_words = _share_on_the_web(victim, VICTIM_TEXT)
    _plant(attacker, victim_token)
    _, attacker_words = _share_on_the_web(attacker, ATTACKER_TEXT)
    assert attacker_words != victim_words
    _victim_case_opened_by(world, client, attacker_words, victim_words)


def test_both_responses_survive_mixing(world: World, client: TestClient[Litestar]) -> None:
    """One mixing batch holds the victim's response and the attacker's, sent with the same token: a
    token the server really issued, which the attacker planted mid-visit and then used on the web,
    and the chosen value the other site posted at Start, which the attacker used in the API."""
    attacker = Respondent(client, world.slug)
    attacker.start()
    genuine = dict(attacker.screen.form.hidden)["_submission"]  # type: ignore[union-attr]
    victim = Respondent(client, world.slug)
    victim.screen = Screen(client.post(f"/s/{world.slug}", data={"_action": "start", "_submission": CHOSEN}))
    _plant(victim, genuine)
    victim_token, _ = _share_on_the_web(victim, VICTIM_TEXT, urgent="2")
    _plant(attacker, victim_token)
    _share_on_the_web(attacker, ATTACKER_TEXT, urgent="2")
    _api_share(client, world.slug, f"{ATTACKER_TEXT} (API)", CHOSEN, urgent=2)
    themes_only(client, world.slug, 8)
    world.mix()
    assert count_rows(world.engine, "testimony_part") == 11, "no response was dropped as 'sent twice'"
    assert count_rows(world.engine, "concern_part") == 3, "the victim's concern and both of the attacker's"
    world.round(force=True)
    with world.engine.connect() as connection:
        assert len(connection.execute(select(FtsuCase.id)).all()) == 3


# ------------------------------------------------------------------------------------------------
# Denial of service through the lock-out


def _random_receipt(index: int) -> str:
    words = word_list()
    return " ".join(words[(index * 7 + i * 131) % len(words)] for i in range(RECEIPT_WORDS))


def test_a_flood_of_wrong_receipts_never_stops_the_holder(world: World, client: TestClient[Litestar]) -> None:
    words = _api_share(client, world.slug, VICTIM_TEXT, "holder-visit-0123456789abcdef")
    world.round(force=True)
    # 60 wrong receipts from one client in well under a minute, every wave of every organisation.
    for index in range(60):
        read_replies(client, _random_receipt(index))
    assert "Victim-Sentinel-5521" in read_replies(client, words).text
    # Five wrong secrets on the holder's own two-word locator: a wait of seconds, never a day's lock.
    clock = _limiter_clock(world)
    wrong = " ".join([*words.split()[:2], *(w for w in word_list()[:5])])
    for _ in range(5):
        read_replies(client, wrong)
    if clock is not None:
        from survey_app.ratelimit import CAP_SECONDS

        clock[0] += CAP_SECONDS
    assert "Victim-Sentinel-5521" in read_replies(client, words).text


def _limiter_clock(world: World) -> list[float] | None:
    """A clock the test moves for the receipt back-off, where the code has one (so no test sleeps)."""
    try:
        from survey_app.ratelimit import GuessLimiter, MemoryStore
    except ImportError:
        return None
    clock = [1_000_000.0]
    world.app.state.receipt_limiter = GuessLimiter(MemoryStore(clock=lambda: clock[0]), "receipt")
    return clock


@pytest.mark.parametrize("shared", ["memory", "redis"])
def test_parallel_wrong_receipts_never_get_past_the_limit(settings: Settings, tmp_path: Path, shared: str) -> None:
    world = _world(settings, tmp_path, receipt_guesses_per_minute=50, receipt_attempts_per_minute=10)
    try:
        from survey_app.ratelimit import GuessLimiter, MemoryStore, RedisStore
    except ImportError:  # older code: its own per-wave limiter (10 a wave, 50 over all waves)
        if shared == "redis":
            pytest.skip("the older code is shown with its in-memory counter")
    else:
        fixed = 1_000_000.0 + 5  # one window, however slow the machine
        if shared == "redis":
            _need_redis()
            store: Any = RedisStore(REDIS_URL, namespace=f"survey_app_test_{os.getpid()}_{id(world)}", clock=lambda: fixed)
        else:
            store = MemoryStore(clock=lambda: fixed)
        world.app.state.receipt_limiter = GuessLimiter(store, "receipt", 50)

    async def flood() -> list[int]:
        transport = httpx.ASGITransport(app=world.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
            responses = await asyncio.gather(
                *(http.post("/receipt", data={"receipt": _random_receipt(i), "_action": "open"}) for i in range(150))
            )
        return [response.status_code for response in responses]

    with TestClient(world.app):  # start-up and shut-down hooks
        codes = asyncio.run(flood())
    assert sorted(set(codes)) == [200, 429]
    assert codes.count(200) == 50, f"{codes.count(200)} wrong receipts were tested; the limit is 50"


def _need_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")


# ------------------------------------------------------------------------------------------------
# No budget on open links


def test_a_burst_above_the_open_link_budget_is_refused_stores_nothing_and_is_counted(
    settings: Settings, tmp_path: Path
) -> None:
    settings = dataclasses.replace(settings, mix_batch=11, min_cell=11)
    world = _world(settings, tmp_path, open_link_budget=20)
    try:
        from survey_app.open_link import OpenLinkBudget
        from survey_app.ratelimit import MemoryStore
    except ImportError:
        pass  # older code: no budget at all
    else:  # one window, however slow the machine
        world.app.state.open_link_budget = OpenLinkBudget(MemoryStore(clock=lambda: 1_000_005.0), 20, world.engine)
    rng = random.Random(15)
    instrument = load_instrument("bank-temporary-workers")
    with TestClient(world.app) as client:
        codes = []
        for _ in range(30):
            response = client.post("/api/v1/waves/barts-bank/responses", json={"answers": random_answers(instrument, rng)})
            codes.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
                assert "errors" in response.json()
        assert codes.count(201) == 20 and codes.count(429) == 10, codes
        assert count_rows(world.engine, "inbox") == 20, "nothing stored for a refused submission"
        # A person over the budget keeps their answers and is asked to send them again shortly.
        person = Respondent(client, "barts-bank")
        person.start()
        screen = person.screen
        while screen is not None and not screen.is_check_page:
            screen = person.press("continue", person.answer_everything())
        refused = person.press("submit")
        assert refused.status == 429 and refused.is_check_page
        assert "press Submit again" in refused.text and int(refused.response.headers["retry-after"]) >= 1
        assert count_rows(world.engine, "inbox") == 20
    # The release reports the refusals: a count for the wave, nothing about who or when.
    with world.engine.connect() as connection:
        wave = find_wave(connection, "barts-bank")
    assert wave is not None
    keys = WaveKeyStore(settings.key_file).load(wave.id)
    mix_now(settings, wave.id)
    report = release_wave(world.engine, wave.id, keys, settings)
    assert "11 submissions refused over budget" in report.describe()


# ------------------------------------------------------------------------------------------------
# Hostile bodies and outages


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
def test_the_responses_api_takes_only_json(world: World, client: TestClient[Litestar], content_type: str | None) -> None:
    body = json.dumps({"answers": {"q14a": 1}}).encode()
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/api/v1/waves/barts-bank/responses", content=body, headers=headers)
    assert response.status_code == 415, (content_type, response.status_code)
    assert "Content-Type" in response.json()["errors"]
    assert count_rows(world.engine, "inbox") == 0


@pytest.mark.parametrize(
    "body",
    [
        b'{"answers": {"q14a": ' + b"[" * 1000 + b"]" * 1000 + b"}}",
        b"[" * 1000 + b"]" * 1000,
        b'{"answers": {"q14a": 1, "tw_comments": "\\ud800"}}',
        b'{"answers": {"\\ud800": 1}}',
        b'{"\\udfff": {"q14a": 1}}',
    ],
    ids=["deep-answer", "deep-body", "lone-surrogate-value", "lone-surrogate-key", "lone-surrogate-top-key"],
)
def test_hostile_json_is_a_400_not_a_500(world: World, client: TestClient[Litestar], body: bytes) -> None:
    response = client.post("/api/v1/waves/barts-bank/responses", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert "body" in response.json()["errors"]
    assert count_rows(world.engine, "inbox") == 0


def test_a_database_outage_is_a_503_with_retry_after(
    world: World, client: TestClient[Litestar], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = random_answers(load_instrument("bank-temporary-workers"), random.Random(3))
    assert client.post("/api/v1/waves/barts-bank/responses", json={"answers": answers}).status_code == 201
    try:  # the log says an outage at most every 10 s per process: start this test's outage afresh
        from survey_app.outage import outage_log

        monkeypatch.setattr(outage_log, "_last", 0.0)
    except ImportError:
        pass
    with _database_down(world):
        world.app.state.published_waves.forget("barts-bank")
        api = client.post("/api/v1/waves/barts-bank/responses", json={"answers": answers})
        page = client.get("/s/barts-bank")
        posted = client.post("/s/barts-bank", data={"_action": "start"})
        read = client.get("/api/v1/waves/barts-bank")
    for response in (api, page, posted, read):
        assert response.status_code == 503, (response.request.url, response.status_code)
        assert int(response.headers["retry-after"]) > 0
        assert "Traceback" not in response.text
    assert "errors" in api.json() and "errors" in read.json()
    assert "not available at the moment" in plain(page.text)
    assert any("database unavailable" in record.getMessage() for record in caplog.records)
    # Back up: the service answers again, and the response sent before the outage is still there.
    world.app.state.published_waves.forget("barts-bank")
    assert client.post("/api/v1/waves/barts-bank/responses", json={"answers": answers}).status_code == 201
    assert count_rows(world.engine, "inbox") == 2


class _database_down:
    """Make the database unreachable for real: PostgreSQL refuses connections to it; SQLite's file
    is replaced by a folder, so opening it fails. Pooled connections are dropped first."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.engine = world.app.state.engine

    def __enter__(self) -> None:
        from sqlalchemy import text

        from tests.conftest import _admin_engine

        self.engine.dispose()
        url = self.engine.url
        if url.get_backend_name() == "postgresql":
            admin = _admin_engine()
            with admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS false'))
                connection.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                    {"name": url.database},
                )
            admin.dispose()
            self.restore = lambda: _allow(url.database)
        else:
            path = Path(str(url.database))
            aside = path.with_suffix(".aside")
            path.rename(aside)
            path.mkdir()

            def restore() -> None:
                path.rmdir()
                aside.rename(path)

            self.restore = restore

    def __exit__(self, *_: object) -> None:
        self.engine.dispose()
        self.restore()


def _allow(database: str | None) -> None:
    from sqlalchemy import text

    from tests.conftest import _admin_engine

    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
    admin.dispose()

