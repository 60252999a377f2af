"""FTSU guardians: concerns delivered in drops, urgent concerns at once, anonymous replies at /receipt.

Each test runs on SQLite and, when SURVEY_TEST_POSTGRES_URL is set, on PostgreSQL. The web app
runs as in production, without the key-encryption key; the worker's jobs (mix, drop) are called
as functions with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select, update

from survey_app.accounts import add_account
from survey_app.app import create_app
from survey_app.cli import main as cli_main
from survey_app.config import Settings
from survey_app.ftsu import cases as ftsu_cases
from survey_app.ftsu import drops as ftsu_drops
from survey_app.ftsu.receipts import RECEIPT_WORDS, parse_receipt, word_list
from survey_app.keys import read_secret_file
from survey_app.ratelimit import CAP_SECONDS, FREE_ATTEMPTS, QUIET_SECONDS, GuessLimiter, MemoryStore, RedisStore, backoff_delay
from survey_app.storage.database import engine_for
from survey_app.storage.models import AuditEvent, FtsuCase, FtsuDrop, UrgentConcern
from survey_app.waves import find_wave
from tests.survey_app.helpers import count_rows, mix_now, open_test_wave, web_settings
from tests.survey_app.test_mixer import _database_bytes
from tests.survey_app.test_respond_pages import Respondent, assert_private, walk_to
from tests.survey_app.test_staff_access import PASSWORD, REDIS_URL, sign_in

SENTINEL = "Quokka-Mandolin-4417"
NAME = "Winifred Marchbanks"


@dataclasses.dataclass
class World:
    settings: Settings
    web: Settings
    app: Litestar
    slug: str

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        return engine_for(self.settings.database_url)

    @property
    def case_secret(self) -> bytes:
        return read_secret_file(self.settings.case_key_file, "SURVEY_CASE_KEY_FILE")

    def mix(self, slug: str | None = None) -> None:
        with self.engine.connect() as connection:
            wave = find_wave(connection, slug or self.slug)
        assert wave is not None
        mix_now(self.settings, wave.id)

    def round(self, now: dt.datetime | None = None, force: bool = False) -> ftsu_drops.DropReport:
        return ftsu_drops.ftsu_round(
            self.engine, self.case_secret, now or dt.datetime.now(dt.UTC), 24, 90, force=force
        )

    def cases(self) -> list[Any]:
        with self.engine.connect() as connection:
            return connection.execute(select(FtsuCase)).all()


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> World:
    slug = open_test_wave(settings, "lived-experience", "barts-lived", org="barts")
    open_test_wave(settings, "lived-experience", "homerton-lived", org="homerton")
    with engine_for(settings.database_url).begin() as connection:
        add_account(connection, "guardian@barts.example", "ftsu", ["barts"], PASSWORD)
        add_account(connection, "second@barts.example", "ftsu", ["barts"], PASSWORD)
        add_account(connection, "guardian@homerton.example", "ftsu", ["homerton"], PASSWORD)
        add_account(connection, "lead@barts.example", "edi", ["barts"], PASSWORD)
    web = dataclasses.replace(web_settings(settings), session_folder=tmp_path / "sessions")
    return World(settings, web, create_app(web), slug)


@pytest.fixture
def client(world: World) -> Iterator[TestClient[Litestar]]:
    with TestClient(world.app) as test_client:
        yield test_client


def submit(client: TestClient[Litestar], slug: str, answers: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1/waves/{slug}/responses", json={"answers": answers})
    assert response.status_code == 201, response.text
    assert "set-cookie" not in response.headers
    return response.json()


def share(client: TestClient[Litestar], slug: str, text: str, **attributes: Any) -> str:
    """Share a concern through the API; returns its receipt words."""
    body = submit(client, slug, {"what_happened": text, "consent_quote": 2, "consent_share": 1, **attributes})
    words = body["receipt"]["words"]
    assert len(words.split()) == RECEIPT_WORDS
    return str(words)


def themes_only(client: TestClient[Litestar], slug: str, count: int, text: str = "A testimony for themes only.") -> None:
    for i in range(count):
        body = submit(client, slug, {"what_happened": f"{text} {i}", "consent_quote": 2, "consent_share": 2})
        assert "receipt" not in body


_STAFF_CLIENTS: list[TestClient[Litestar]] = []


@pytest.fixture(autouse=True)
def _close_staff_clients(client: TestClient[Litestar]) -> Iterator[None]:
    """Staff browsers opened by `guardian` close before the respondent's, even when a test fails."""
    yield
    while _STAFF_CLIENTS:
        _STAFF_CLIENTS.pop().__exit__(None, None, None)


def guardian(world: World, email: str = "guardian@barts.example") -> TestClient[Litestar]:
    """A signed-in staff browser (closed by the autouse fixture above)."""
    staff_client = TestClient(world.app)
    staff_client.__enter__()
    _STAFF_CLIENTS.append(staff_client)
    assert sign_in(staff_client, email).status_code in (200, 302, 303)
    return staff_client


def csrf(client: TestClient[Litestar], path: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', client.get(path).text)
    assert match
    return match.group(1)


def case_links(html: str) -> list[str]:
    return re.findall(r'href="/ftsu/cases/([0-9a-f]{32})"', html)


def read_replies(client: TestClient[Litestar], words: str, **extra: str) -> Any:
    response = client.post("/receipt", data={"receipt": words, "_action": "open", **extra})
    assert_private(response)
    return response


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# ------------------------------------------------------------------------------------------------
# The whole journey


def test_a_shared_concern_reaches_the_guardian_redacted_and_replies_go_both_ways(
    world: World, client: TestClient[Litestar]
) -> None:
    # Through the respondent pages, without JavaScript: share, redacted only, not urgent.
    person = Respondent(client, world.slug)
    person.start()
    text = f"My manager {NAME} shouted at me in front of patients. {SENTINEL}"
    person.press("continue", {"what_happened": text})
    walk_to(person, "How we may use your words", {})
    page = person.press("continue", {"consent_quote": "2", "consent_share": "1"})
    assert page.heading.endswith("Sharing with the guardian")
    assert "An urgent concern is sent on its own, within minutes" in page.text
    check = person.press("continue", {"share_unredacted": "2", "urgent": "2"})
    assert check.is_check_page
    confirmation = person.press("submit")
    assert confirmation.heading == "Your answers have been sent"
    match = re.search(r'id="receipt-words">([a-z ]+)<', confirmation.html)
    assert match, "the receipt is shown"
    words = match.group(1)
    assert len(words.split()) == RECEIPT_WORDS and all(word in word_list() for word in words.split())
    for promise in ("Write these words down", "cannot show them again", "Anyone who has these words", "/receipt"):
        assert promise in confirmation.text, promise
    for help_now in ("999", "NHS 111", "116 123"):
        assert help_now in confirmation.text

    # Ten testimonies for themes only fill the batch; none of them may ever reach a guardian.
    themes_only(client, world.slug, 10, text="Themes only, never for the guardian")
    world.mix()
    report = world.round(force=True)
    assert report.cases == 1 and report.dropped
    assert count_rows(world.engine, "concern_part") == 0

    staff = guardian(world)
    inbox = staff.get("/ftsu")
    assert inbox.status_code == 200
    (case_id,) = case_links(inbox.text)
    assert NAME not in inbox.text and SENTINEL not in inbox.text and "shouted" not in inbox.text, "no preview"
    page_html = staff.get(f"/ftsu/cases/{case_id}").text
    assert "shouted at me in front of patients" in page_html
    assert NAME not in page_html and "Winifred" not in page_html, "names are redacted"
    assert "Themes only" not in page_html
    # Not permitted unredacted: asking for the original still shows the redacted text.
    assert NAME not in staff.get(f"/ftsu/cases/{case_id}?text=original").text
    for other in ("/ftsu", f"/ftsu/waves/{world.slug}"):
        assert "Themes only" not in staff.get(other).text

    # The guardian replies; the respondent reads it with the receipt and answers.
    token = csrf(staff, f"/ftsu/cases/{case_id}")
    sent = staff.post(
        f"/ftsu/cases/{case_id}/reply",
        data={"message": "Thank you for telling me. Can you say which shift?", "_csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    replies = read_replies(client, words.upper().replace(" ", "  "))
    assert replies.status_code == 200
    assert "Can you say which shift?" in replies.text
    assert "From the guardian" in replies.text
    assert 'autocomplete="off"' in replies.text
    assert f'value="{words}"' in replies.text, "the words travel in a hidden field for the reply"
    answered = client.post(
        "/receipt", data={"receipt": words, "_action": "reply", "message": f"Night shifts, when {NAME} is in charge."}
    )
    assert_private(answered)
    assert "Your message has been sent" in answered.text
    (row,) = world.cases()
    assert row.respondent_wrote and row.status == "acknowledged"
    inbox = staff.get("/ftsu").text
    assert "New message" in inbox
    case_page = staff.get(f"/ftsu/cases/{case_id}").text
    assert "Night shifts, when" in case_page and NAME not in case_page

    # Every view of the case is in the audit log.
    with world.engine.connect() as connection:
        views = connection.execute(
            select(AuditEvent.actor, AuditEvent.detail).where(AuditEvent.action == "ftsu.view_case")
        ).all()
    assert len(views) >= 4
    assert all(actor == "guardian@barts.example" and case_id in detail for actor, detail in views)


def test_unredacted_text_only_when_the_respondent_allowed_it(world: World, client: TestClient[Litestar]) -> None:
    share(client, world.slug, f"{NAME} on the night team.", share_unredacted=1, urgent=2)
    themes_only(client, world.slug, 10)
    world.mix()
    world.round(force=True)
    staff = guardian(world)
    (case_id,) = case_links(staff.get("/ftsu").text)
    redacted = staff.get(f"/ftsu/cases/{case_id}").text
    assert NAME not in redacted and "show the words as written" in redacted
    original = staff.get(f"/ftsu/cases/{case_id}?text=original").text
    assert NAME in original
    with world.engine.connect() as connection:
        details = [
            json.loads(d)
            for d in connection.execute(select(AuditEvent.detail).where(AuditEvent.action == "ftsu.view_case")).scalars()
        ]
    assert [d["unredacted"] for d in details] == [False, True]


# ------------------------------------------------------------------------------------------------
# Drops, urgency, duplicates


def test_concerns_wait_for_the_daily_drop_and_arrive_together(world: World, client: TestClient[Litestar]) -> None:
    now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    world.round(now)  # the first round drops (nothing): the schedule starts
    for i in range(3):
        share(client, world.slug, f"Concern number {i}", urgent=2)
    themes_only(client, world.slug, 8)
    world.mix()
    assert count_rows(world.engine, "concern_part") == 3
    later = world.round(now + dt.timedelta(hours=23))
    assert not later.dropped and count_rows(world.engine, "ftsu_case") == 0
    due = world.round(now + dt.timedelta(hours=24))
    assert due.dropped and due.cases == 3
    rows = world.cases()
    assert {row.dropped_on for row in rows} == {dt.date(2026, 3, 3)}
    assert all(row.status == "new" and not row.urgent for row in rows)
    with world.engine.connect() as connection:
        assert connection.execute(select(FtsuDrop.cases).order_by(FtsuDrop.id)).scalars().all() == [0, 3]


def test_an_urgent_concern_arrives_at_once_first_and_only_once(world: World, client: TestClient[Litestar]) -> None:
    now = dt.datetime.now(dt.UTC)
    world.round(now)  # a drop just happened: the next is a day away
    share(client, world.slug, "Ordinary concern about rotas.", urgent=2)
    themes_only(client, world.slug, 3)
    urgent_words = share(client, world.slug, "Staffing tonight is dangerous.", urgent=1)
    assert count_rows(world.engine, "urgent_concern") == 1
    report = world.round(now + dt.timedelta(minutes=1))
    assert report.urgent_cases == 1 and not report.dropped
    (row,) = world.cases()
    assert row.urgent and row.awaiting_copy and row.status == "new"
    assert count_rows(world.engine, "urgent_concern") == 0

    staff = guardian(world)
    assert len(case_links(staff.get("/ftsu").text)) == 1
    # The urgent reply channel works before the mixer has even run.
    assert "Your concern" in read_replies(client, urgent_words).text

    # The batch fills; the mixed copy of the urgent concern is recognised and dropped.
    themes_only(client, world.slug, 6)
    world.mix()
    assert count_rows(world.engine, "concern_part") == 2
    report = world.round(now + dt.timedelta(days=1, minutes=2))
    assert report.dropped and report.cases == 1 and report.duplicates == 1
    rows = world.cases()
    assert len(rows) == 2
    assert not any(row.awaiting_copy for row in rows)
    listed = case_links(staff.get("/ftsu").text)
    urgent_id = next(row.id for row in rows if row.urgent)
    assert listed[0] == urgent_id, "urgent first"


def test_a_concern_sent_twice_from_one_visit_is_one_case_with_one_receipt(
    world: World, client: TestClient[Litestar]
) -> None:
    """A retried API call (or a form sent twice) shows the same receipt words and makes one case,
    on the urgent path and through the mixer."""
    now = dt.datetime.now(dt.UTC)
    world.round(now)
    answers = {"what_happened": "Staffing tonight is dangerous.", "consent_quote": 2, "consent_share": 1, "urgent": 1}
    key = {"Idempotency-Key": "one-visit-token-0123456789"}
    bodies = [client.post(f"/api/v1/waves/{world.slug}/responses", json={"answers": answers}, headers=key) for _ in range(2)]
    assert [b.status_code for b in bodies] == [201, 201]
    words = {b.json()["receipt"]["words"] for b in bodies}
    assert len(words) == 1
    other = client.post(
        f"/api/v1/waves/{world.slug}/responses", json={"answers": answers}, headers={"Idempotency-Key": "another-visit-0123456789ab"}
    )
    assert other.json()["receipt"]["words"] not in words
    report = world.round(now + dt.timedelta(minutes=1))
    assert report.urgent_cases == 2 and report.duplicates == 1  # two visits, three copies
    themes_only(client, world.slug, 9)
    world.mix()
    assert count_rows(world.engine, "concern_part") == 2  # the repeat never became parts
    report = world.round(now + dt.timedelta(days=1, minutes=2))
    assert report.cases == 0 and report.duplicates == 2
    assert len(world.cases()) == 2
    assert "Your concern" in read_replies(client, words.pop()).text


def test_words_that_suggest_a_risk_to_life_flag_the_case(world: World, client: TestClient[Litestar]) -> None:
    share(client, world.slug, "My rota was changed without asking.", urgent=2)
    share(client, world.slug, "After what they did I want to end my life.", urgent=2)
    share(client, world.slug, "I have never felt suicidal but this is hard.", urgent=2)
    themes_only(client, world.slug, 8)
    world.mix()
    world.round(force=True)
    flagged = [row for row in world.cases() if row.urgent]
    assert len(flagged) == 1
    staff = guardian(world)
    listed = case_links(staff.get("/ftsu").text)
    assert listed[0] == flagged[0].id
    page = staff.get(f"/ftsu/cases/{flagged[0].id}").text
    assert "Suicide or self-harm" in page and "Why this is urgent" in page


# ------------------------------------------------------------------------------------------------
# /receipt


def _one_case(world: World, client: TestClient[Litestar], **attributes: Any) -> str:
    words = share(client, world.slug, "Something happened on a late shift.", urgent=1, **attributes)
    world.round()
    return words


def _wrong_secret(words: str) -> str:
    parts = words.split()
    parts[-1] = next(w for w in word_list() if w != parts[-1])
    return " ".join(parts)


def test_unknown_and_wrong_receipts_get_one_message_and_no_case_is_locked(
    world: World, client: TestClient[Litestar]
) -> None:
    words = _one_case(world, client)
    unknown = " ".join(next(w for w in word_list() if w not in words.split()) for _ in range(RECEIPT_WORDS))
    unknown_page = read_replies(client, unknown)
    wrong_page = read_replies(client, _wrong_secret(words))
    assert unknown_page.status_code == wrong_page.status_code == 200
    assert plain(unknown_page.text).replace(unknown, "") == plain(wrong_page.text).replace(_wrong_secret(words), "")
    # Two wrong secrets and the third try is the holder's: nothing locks, nothing is stored.
    read_replies(client, _wrong_secret(words))
    assert "Your concern" in read_replies(client, words).text
    assert not hasattr(world.cases()[0], "failed_attempts"), "no column counts attempts or locks a case"


def _hashes(world: World, words: str):  # type: ignore[no-untyped-def]
    from survey_app.ftsu.receipts import receipt_hashes

    return receipt_hashes(world.case_secret, parse_receipt(words))


def test_guessing_a_known_locator_backs_off_in_seconds_and_the_holder_gets_in_after(world: World) -> None:
    now = [1_000_000.0]  # a clock the test moves, however slow the machine
    world.app.state.receipt_limiter = GuessLimiter(MemoryStore(clock=lambda: now[0]), "receipt")
    with TestClient(world.app) as client:
        words = _one_case(world, client)
        for _ in range(FREE_ATTEMPTS + 1):  # typing mistakes, then the first wait (2 s)
            assert read_replies(client, _wrong_secret(words)).status_code == 200
        waiting = read_replies(client, words)
        assert waiting.status_code == 429 and waiting.headers["retry-after"] == "2"
        assert "Wait 2 seconds" in plain(waiting.text) and "Your concern" not in waiting.text
        # Someone keeps guessing with this locator: each wait doubles, up to the cap, never days.
        for _ in range(12):
            now[0] += backoff_delay(99)
            assert read_replies(client, _wrong_secret(words)).status_code == 200
        assert int(read_replies(client, words).headers["retry-after"]) <= CAP_SECONDS
        now[0] += CAP_SECONDS
        assert "Your concern" in read_replies(client, words).text
        # In, the holder's mistakes are forgotten: the next wrong attempts are free again.
        assert read_replies(client, _wrong_secret(words)).status_code == 200
        # Another locator was never slowed by any of this.
        other = " ".join(next(w for w in word_list() if w not in words.split()) for _ in range(RECEIPT_WORDS))
        assert read_replies(client, other).status_code == 200


def test_receipt_limits_are_shared_through_redis_and_name_no_one() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    namespace = f"survey_app_test_receipts_{os.getpid()}_{id(object())}"
    # Two web replicas: what one counts, the other sees.
    first = GuessLimiter(RedisStore(REDIS_URL, namespace=namespace), "receipt")
    second = GuessLimiter(RedisStore(REDIS_URL, namespace=namespace), "receipt")
    locator = "a" * 64
    for _ in range(FREE_ATTEMPTS + 1):
        assert first.attempt(locator).allowed
    waiting = second.attempt(locator)
    assert not waiting.allowed and 1 <= waiting.retry_after <= 2
    assert second.attempt("b" * 64).allowed, "another locator does not wait"
    first.succeeded(locator)
    assert second.attempt(locator).allowed, "a success clears the back-off for every replica"
    client = redis.Redis.from_url(REDIS_URL)
    keys = client.keys(f"{namespace}*")
    assert keys and all(0 < client.ttl(key) <= QUIET_SECONDS + CAP_SECONDS for key in keys)
    # Keys name a locator hash or the overall window: nothing about who tried.
    assert all(re.fullmatch(rf"{namespace}:(backoff:receipt:[ab]{{64}}|window:receipt:all:\d+)", key.decode()) for key in keys)
    client.delete(*keys)


def test_receipt_page_sets_no_cookie_and_never_reads_words_from_the_url(
    world: World, client: TestClient[Litestar]
) -> None:
    words = _one_case(world, client)
    staff = guardian(world)  # a browser with a staff session still gets no cookie at /receipt
    for c in (client, staff):
        # Someone (or something) puts the words in a URL: the page ignores them.
        empty = c.get("/receipt?receipt=" + words.replace(" ", "+"))
        assert empty.status_code == 200 and "set-cookie" not in empty.headers
        assert empty.headers["cache-control"] == "no-store"
        assert words not in empty.text and "Your concern" not in empty.text
        assert 'autocomplete="off"' in empty.text
        assert re.search(r'<input[^>]*name="receipt"[^>]*autocomplete="off"|<input[^>]*autocomplete="off"[^>]*name="receipt"', empty.text)
        assert "set-cookie" not in c.post("/receipt", data={"receipt": words}).headers
    assert client.post("/receipt", data={"receipt": "three words only"}).status_code == 200
    assert "A receipt has 7 words" in client.post("/receipt", data={"receipt": "three words only"}).text
    assert "is not one of the words" in client.post("/receipt", data={"receipt": "zzzz " * 7}).text


# ------------------------------------------------------------------------------------------------
# Guardian actions and access


def test_guardian_works_a_case_to_closure_and_the_respondent_answers_speak_up_again(
    world: World, client: TestClient[Litestar]
) -> None:
    words = _one_case(world, client)
    (row,) = world.cases()
    staff = guardian(world)
    page = f"/ftsu/cases/{row.id}"
    with world.engine.connect() as connection:
        second = connection.execute(
            select(FtsuCase.organisation_id)
        ).scalar_one()
        guardians = dict((email, account) for account, email in ftsu_cases.guardians_of(connection, second))
    assert set(guardians) == {"guardian@barts.example", "second@barts.example"}

    def post(path: str, data: dict[str, Any]) -> Any:
        return staff.post(f"{page}/{path}", data={**data, "_csrf_token": csrf(staff, page)}, follow_redirects=False)

    assert post("categories", {"category": ["bullying_harassment", "worker_safety"], "detriment": "yes", "theme": ["4"]}).status_code == 303
    assert post("notes", {"note": "Spoke to HR about the pattern."}).status_code == 303
    assert post("assign", {"account": guardians["second@barts.example"]}).status_code == 303
    homerton = ftsu_cases.guardians_of  # an account of another organisation cannot be assigned
    with world.engine.connect() as connection:
        other = connection.execute(select(FtsuCase.id)).scalar_one()
    assert post("assign", {"account": "0" * 32}).headers["location"].endswith("done=invalid")
    assert post("status", {"status": "in_progress"}).status_code == 303
    # No CSRF token, no change.
    assert staff.post(f"{page}/status", data={"status": "closed"}, follow_redirects=False).status_code == 403
    assert post("status", {"status": "closed"}).status_code == 303
    (row,) = world.cases()
    assert row.status == "closed" and row.closed_on == dt.date.today()
    assert row.assigned_to == guardians["second@barts.example"]
    html = staff.get(page).text
    assert "Spoke to HR about the pattern." in html and "second@barts.example" in html
    assert "Bullying or harassment" in staff.get("/ftsu?show=closed").text

    # After closure the respondent is asked "Would you speak up again?".
    replies = read_replies(client, words)
    assert "Would you speak up again?" in replies.text and "This concern is closed" in replies.text
    assert "Spoke to HR" not in replies.text, "private notes stay private"
    answered = client.post("/receipt", data={"receipt": words, "_action": "speak_up_again", "speak_up_again": "not_sure"})
    assert "Thank you for your answer" in answered.text
    case = ftsu_cases.get_case(world.engine.connect(), world.case_secret, row.id, [row.organisation_id])
    assert case.content.speak_up_again == "not_sure"
    assert case.content.categories == ["worker_safety", "bullying_harassment"] and case.content.detriment == "yes"
    with world.engine.connect() as connection:
        actions = set(connection.execute(select(AuditEvent.action)).scalars())
    assert {"ftsu.categories", "ftsu.note", "ftsu.assign", "ftsu.status", "ftsu.view_case", "ftsu.view_inbox"} <= actions
    del homerton, other


def test_access_is_for_guardians_of_the_organisation_only(world: World, client: TestClient[Litestar]) -> None:
    _one_case(world, client)
    (row,) = world.cases()
    for path in ("/ftsu", f"/ftsu/cases/{row.id}", f"/ftsu/waves/{world.slug}"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303) and response.headers["location"] == "/staff/login", path
    other = guardian(world, "guardian@homerton.example")
    assert other.get(f"/ftsu/cases/{row.id}").status_code == 404
    assert other.get(f"/ftsu/waves/{world.slug}").status_code == 404
    assert row.id not in other.get("/ftsu").text
    assert other.get("/ftsu/cases/not-a-case").status_code == 404
    token = csrf(other, "/ftsu")
    assert other.post(f"/ftsu/cases/{row.id}/notes", data={"note": "x", "_csrf_token": token}, follow_redirects=False).status_code == 404
    lead = guardian(world, "lead@barts.example")
    assert lead.get("/ftsu").status_code == 403
    assert lead.get(f"/ftsu/cases/{row.id}").status_code == 403


# ------------------------------------------------------------------------------------------------
# At rest, expiry, refusals


def test_case_data_and_receipt_words_are_never_stored_readably(
    world: World, client: TestClient[Litestar], tmp_path: Path
) -> None:
    words = share(client, world.slug, f"{SENTINEL} happened on the ward.", urgent=1, share_unredacted=1)
    world.round()
    staff = guardian(world)
    (case_id,) = case_links(staff.get("/ftsu").text)
    page = f"/ftsu/cases/{case_id}"
    staff.post(f"{page}/notes", data={"note": "Note Pangolin-Theremin-8812", "_csrf_token": csrf(staff, page)})
    staff.post(f"{page}/reply", data={"message": "Reply Axolotl-Harpsichord-5530", "_csrf_token": csrf(staff, page)})
    client.post("/receipt", data={"receipt": words, "_action": "reply", "message": "Answer Narwhal-Bassoon-2291"})
    themes_only(client, world.slug, 10)
    world.mix()
    world.round(force=True)
    stored = _database_bytes(world.settings, tmp_path)
    for secret in (SENTINEL, "Pangolin-Theremin", "Axolotl-Harpsichord", "Narwhal-Bassoon"):
        assert secret.encode() not in stored, secret
        assert secret.encode("utf-16-le") not in stored, secret
    assert words.encode() not in stored
    for word in words.split()[:2]:  # the locator is stored only as a keyed hash
        assert f"{word} {words.split()[1]}".encode() not in stored


def test_closed_cases_expire_after_the_period(world: World, client: TestClient[Litestar]) -> None:
    for _ in range(3):
        share(client, world.slug, "A concern.", urgent=2)
    themes_only(client, world.slug, 8)
    world.mix()
    world.round(force=True)
    old, recent, open_case = [row.id for row in world.cases()]
    today = dt.date.today()
    with world.engine.begin() as connection:
        connection.execute(update(FtsuCase).where(FtsuCase.id == old).values(status="closed", closed_on=today - dt.timedelta(days=90)))
        connection.execute(update(FtsuCase).where(FtsuCase.id == recent).values(status="closed", closed_on=today - dt.timedelta(days=89)))
    assert ftsu_drops.expire_cases(world.engine, today, 90) == 1
    assert {row.id for row in world.cases()} == {recent, open_case}
    # Through the CLI, with JSON output.
    result = CliRunner().invoke(cli_main, ["ftsu", "expire", "--format", "json"], env=_cli_env(world))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"expired": 0}


def test_an_expired_urgent_case_keeps_only_its_hashes_until_its_copy_arrives(
    world: World, client: TestClient[Litestar]
) -> None:
    share(client, world.slug, "Urgent and then closed.", urgent=1)
    world.round()
    (row,) = world.cases()
    with world.engine.begin() as connection:
        connection.execute(
            update(FtsuCase).where(FtsuCase.id == row.id).values(status="closed", closed_on=dt.date.today() - dt.timedelta(days=100))
        )
    assert ftsu_drops.expire_cases(world.engine, dt.date.today(), 90) == 1
    (stub,) = world.cases()
    assert stub.status == ftsu_cases.EXPIRED and bytes(stub.sealed) == b"" and stub.locator_hash
    staff = guardian(world)
    assert case_links(staff.get("/ftsu?show=closed").text) == []
    themes_only(client, world.slug, 10)
    world.mix()
    report = world.round(force=True)
    assert report.duplicates == 1 and report.cases == 0
    assert world.cases() == []


def test_sharing_is_refused_without_the_case_key(world: World) -> None:
    without = dataclasses.replace(world.web, case_key_file=None)
    with TestClient(create_app(without)) as client:
        refused = client.post(
            f"/api/v1/waves/{world.slug}/responses",
            json={"answers": {"what_happened": "x", "consent_quote": 2, "consent_share": 1}},
        )
        assert refused.status_code == 422
        assert "not available" in refused.json()["errors"]["consent_share"]
        person = Respondent(client, world.slug)
        person.start()
        person.press("continue", {"what_happened": "Something happened."})
        walk_to(person, "How we may use your words", {})
        person.press("continue", {"consent_quote": "2", "consent_share": "1"})
        check = person.press("continue", {"urgent": "1"})
        page = person.press("submit")
        assert check.is_check_page
        assert page.heading.endswith("How we may use your words")
        assert page.field_error("consent_share") is not None and "not available" in page.field_error("consent_share")
        assert count_rows(world.engine, "inbox") == 0 and count_rows(world.engine, "urgent_concern") == 0
        assert 'id="receipt-words"' not in page.html
        # Choosing not to share then works.
        page = person.press("continue", {"consent_share": "2"})
        assert page.is_check_page
        done = person.press("submit")
        assert done.heading == "Your answers have been sent" and 'id="receipt-words"' not in done.html
        assert count_rows(world.engine, "inbox") == 1
        # Without the key, /receipt says replies are unavailable rather than failing.
        assert client.post("/receipt", data={"receipt": " ".join(word_list()[:7])}).status_code == 503


def _cli_env(world: World) -> dict[str, str]:
    return {
        "DATABASE_URL": world.settings.database_url,
        "SURVEY_KEY_FILE": str(world.settings.key_file),
        "SURVEY_CASE_KEY_FILE": str(world.settings.case_key_file),
    }


def test_ftsu_drop_command(world: World, client: TestClient[Litestar]) -> None:
    share(client, world.slug, "Urgent.", urgent=1)
    result = CliRunner().invoke(cli_main, ["ftsu", "drop", "--format", "json"], env=_cli_env(world))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["urgent_cases"] == 1 and report["dropped"] is True and report["cases"] == 0
    text = CliRunner().invoke(cli_main, ["ftsu", "drop"], env=_cli_env(world))
    assert "the daily drop" not in text.output and "0 concerns delivered" in text.output
    assert count_rows(world.engine, "ftsu_case") == 1
    with world.engine.connect() as connection:
        assert connection.execute(select(UrgentConcern.id)).first() is None


def test_case_endpoints_for_guardians(world: World, client: TestClient[Litestar]) -> None:
    share(client, world.slug, f"{NAME} shouted at me.", urgent=1, share_unredacted=1)
    world.round()
    (row,) = world.cases()
    assert client.get("/api/v1/ftsu/cases").status_code == 401
    staff = guardian(world)
    listed = staff.get("/api/v1/ftsu/cases")
    assert listed.status_code == 200
    (summary,) = listed.json()["cases"]
    assert summary["id"] == row.id and summary["urgent"] is True and "texts" not in summary
    assert NAME not in listed.text and "shouted" not in listed.text
    case = staff.get(f"/api/v1/ftsu/cases/{row.id}").json()
    assert "shouted at me" in case["texts"]["what_happened"] and NAME not in json.dumps(case)
    assert guardian(world, "guardian@homerton.example").get(f"/api/v1/ftsu/cases/{row.id}").status_code == 404
    assert guardian(world, "lead@barts.example").get("/api/v1/ftsu/cases").status_code == 403
    with world.engine.connect() as connection:
        assert json.loads(
            connection.execute(select(AuditEvent.detail).where(AuditEvent.action == "ftsu.view_case")).scalar_one()
        )["via"] == "api"


def test_no_time_of_any_respondent_action_is_stored(world: World) -> None:
    """The urgent inbox holds a random id and a sealed blob; cases hold dates (a drop's, a closing's,
    a lock's day), never a time of day."""
    from sqlalchemy import inspect

    inspector = inspect(world.engine)
    urgent = {column["name"] for column in inspector.get_columns("urgent_concern")}
    assert urgent == {"id", "wave_id", "organisation_id", "sealed"}
    for column in inspector.get_columns("ftsu_case"):
        kind = str(column["type"]).upper()
        assert "TIME" not in kind, (column["name"], kind)


def test_words_suggesting_risk_put_get_help_first_on_the_confirmation_page(
    world: World, client: TestClient[Litestar]
) -> None:
    def finish(text: str) -> str:
        person = Respondent(client, world.slug)
        person.start()
        person.press("continue", {"what_happened": text})
        walk_to(person, "How we may use your words", {})
        person.press("continue", {"consent_quote": "2", "consent_share": "2"})
        done = person.press("submit")
        assert done.heading == "Your answers have been sent"
        return done.text

    risky = finish("Since the investigation I want to end my life.")
    assert "may not be safe" in risky
    assert risky.index("Get help now") < risky.index("What happens next")
    assert risky.count("Get help now") == 1
    calm = finish("My rota changes every week without notice.")
    assert "may not be safe" not in calm
    assert calm.index("Get help now") > calm.index("What happens next")


def test_the_guardian_sees_a_lone_attribute_only_when_the_person_chose_to_show_it(
    world: World, client: TestClient[Litestar]
) -> None:
    """A guardian who knows the team and the rota could name the only Black agency worker who raised a
    concern in a drop: so that attribute is not shown unless its author chose to show it, and an
    urgent concern, which arrives alone, carries none at all."""
    for i in range(11):
        share(client, world.slug, f"Common concern number {i}.", ethnic_heading=1, worker_type=2, urgent=2)
    share(client, world.slug, "The lone concern.", ethnic_heading=4, worker_type=3, urgent=2)
    share(client, world.slug, "The chosen concern.", ethnic_heading=3, worker_type=3, show_attributes=1, urgent=2)
    world.mix()
    world.round(force=True)
    share(client, world.slug, "The urgent concern.", ethnic_heading=3, show_attributes=1, urgent=1)
    world.round()
    staff = guardian(world)
    pages = {}
    for case_id in case_links(staff.get("/ftsu").text):
        page = staff.get(f"/ftsu/cases/{case_id}").text
        text = re.search(r"(Common concern number \d+|The lone concern|The chosen concern|The urgent concern)", page)
        assert text, page
        pages[text.group(1)] = page
    assert len(pages) == 14
    black, asian, white = "Black / African / Caribbean / Black British", "Asian / Asian British", "White"
    assert black not in pages["The lone concern"] and "Agency" not in pages["The lone concern"]
    assert asian in pages["The chosen concern"] and "Agency" in pages["The chosen concern"]
    assert asian not in pages["The urgent concern"]
    for i in range(11):
        common = pages[f"Common concern number {i}"]
        assert f"<dd class=\"nhsuk-summary-list__value\">{white}</dd>" in common and "Bank" in common


def test_a_guardians_case_page_reads_in_question_order_and_an_empty_reply_is_named(world: World, client: TestClient[Litestar]) -> None:
    share(client, world.slug, "What happened comes first.", how_it_affected_you="How it affected me comes second.", urgent=2)
    themes_only(client, world.slug, 10)
    world.mix()
    world.round(force=True)
    staff = guardian(world)
    (case_id,) = case_links(staff.get("/ftsu").text)
    page = staff.get(f"/ftsu/cases/{case_id}").text
    assert page.index("What happened comes first.") < page.index("How it affected me comes second.")
    assert re.search(r"delivered \d{1,2} [A-Z][a-z]+ 20\d\d", page), "dates are written as people write them"
    token = csrf(staff, f"/ftsu/cases/{case_id}")
    empty = staff.post(f"/ftsu/cases/{case_id}/reply", data={"message": "   ", "_csrf_token": token})
    assert "Enter your reply before sending it" in empty.text
    assert 'href="#message"' in empty.text and 'id="message-error"' in empty.text
