"""Staff sign-in as an attacker tries it: guessing, enumerating, fixing a session, locking a guardian
out, replaying a code, forging a form; and what DESIGN.md lets each role read."""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyotp
import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, select

from survey_app.accounts import add_account, limiter_key, set_password
from survey_app.app import create_app
from survey_app.config import Settings
from survey_app.ratelimit import CAP_SECONDS
from survey_app.staff.access import session_is_current
from survey_app.storage.database import engine_for
from survey_app.storage.models import AuditEvent
from tests.survey_app.helpers import AUTHENTICATOR, LAST_STEP, RECOVERY, csrf_token, open_test_wave, second_factor, web_settings
from tests.survey_app.test_staff_access import PASSWORD, REDIS_URL

GUARDIAN, LEAD, ADMIN = "guardian@barts.example", "lead@barts.example", "admin@barts.example"


@pytest.fixture
def staff(settings: Settings, tmp_path: Path) -> Settings:
    open_test_wave(settings, "lived-experience", "barts-voices", org="barts")
    with engine_for(settings.database_url).begin() as connection:
        for email, role in ((GUARDIAN, "ftsu"), (LEAD, "edi"), (ADMIN, "admin")):
            add_account(connection, email, role, ["barts"], PASSWORD)
        add_account(connection, "other@barts.example", "edi", ["barts"], PASSWORD)
    return dataclasses.replace(web_settings(settings), session_folder=tmp_path / "sessions")


@pytest.fixture
def app(staff: Settings) -> Litestar:
    return create_app(staff)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app) as test_client:
        yield test_client


def password_step(client: TestClient[Litestar], email: str, password: str = PASSWORD, **headers: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client)
    return client.post(
        "/staff/login", data={"email": email, "password": password, "_csrf_token": token},
        headers=headers, follow_redirects=False,
    )


def sign_in(client: TestClient[Litestar], email: str) -> None:
    response = second_factor(client, email, password_step(client, email))
    assert response.status_code in (200, 302, 303), response.text


def audit(staff: Settings, action: str, actor: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    with engine_for(staff.database_url).connect() as connection:
        return int(connection.execute(query).scalar_one())


# --- guessing, enumerating, locking -----------------------------------------------------------------

def test_unknown_wrong_and_waiting_attempts_take_the_same_time_and_look_the_same(
    client: TestClient[Litestar], app: Litestar
) -> None:
    limiter = app.state.staff_limiter

    def timed(email: str, reset: bool = False) -> tuple[float, str]:
        if reset:
            limiter.succeeded(limiter_key(email))
        start = time.perf_counter()
        response = password_step(client, email, "not the password")
        elapsed = time.perf_counter() - start
        assert response.status_code == 400
        return elapsed, response.text.replace(email, "X")

    for _ in range(6):  # the lead's account now waits
        password_step(client, LEAD, "not the password")
    timed("warm-up@barts.example")
    unknown, wrong, waiting = [], [], []
    for i in range(20):  # interleaved, so that whatever else the machine does weighs on all three alike
        unknown.append(timed(f"nobody-{i}@barts.example"))
        wrong.append(timed("other@barts.example", reset=True))
        waiting.append(timed(LEAD))
    medians = {name: statistics.median(t for t, _ in runs) for name, runs in (("unknown", unknown), ("wrong", wrong), ("waiting", waiting))}
    print(f"\nsign-in refusal medians (20 each): {', '.join(f'{k} {v * 1000:.0f} ms' for k, v in medians.items())}")
    # Each round's three attempts ran back to back, so a round's ratios cancel what else the machine was
    # doing at the time; the median ratio is what an observer timing many attempts would see.
    for name, runs in (("unknown", unknown), ("waiting", waiting)):
        ratio = statistics.median(t / w for (t, _), (w, _) in zip(runs, wrong))
        assert 1 / 1.2 <= ratio <= 1.2, f"{name} vs wrong password: median ratio {ratio:.2f} ({medians})"
    assert len({page for _, page in unknown + wrong + waiting}) == 1, "the pages differ"


def test_forty_parallel_wrong_passwords_count_forty_and_few_reach_the_password(
    client: TestClient[Litestar], staff: Settings
) -> None:
    token = csrf_token(client)

    def attempt(_: int) -> int:
        data = {"email": LEAD, "password": "not the password", "_csrf_token": token}
        return int(client.post("/staff/login", data=data, follow_redirects=False).status_code)

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(attempt, range(40)))
    assert statuses == [400] * 40
    assert audit(staff, "staff.login_refused", LEAD) == 40, "every wrong attempt is counted"
    # Most were refused while the account waited, without a look at the password: the burst did not
    # slip past the back-off (3 free tries, then 2, 4, 8 ... seconds between the ones that count).
    with engine_for(staff.database_url).connect() as connection:
        details = connection.execute(
            select(AuditEvent.detail).where(AuditEvent.action == "staff.login_refused", AuditEvent.actor == LEAD)
        ).scalars().all()
    tested = sum('"waiting": true' not in detail for detail in details)
    print(f"\n40 parallel wrong passwords: {tested} reached the password check, {40 - tested} waited")
    assert tested <= 8, f"{tested} guesses were tested in one burst"


def test_a_flood_of_wrong_passwords_never_locks_out_the_holder(client: TestClient[Litestar]) -> None:
    started = time.monotonic()
    token = csrf_token(client)

    def guess(_: int) -> int:
        data = {"email": GUARDIAN, "password": "a guess", "_csrf_token": token}
        return int(client.post("/staff/login", data=data, follow_redirects=False).status_code)

    with ThreadPoolExecutor(max_workers=4) as pool:  # one client, as fast as it can
        assert set(pool.map(guess, range(100))) == {400}
    flood_ended = time.monotonic()
    # The guardian, with password and phone, is in within the cap of the back-off.
    while True:
        response = password_step(client, GUARDIAN)
        if response.status_code in (302, 303):
            break
        assert time.monotonic() - flood_ended <= CAP_SECONDS + 5, "the holder was locked out"
        time.sleep(1)
    waited = time.monotonic() - flood_ended
    print(f"\nafter 100 wrong passwords in {flood_ended - started:.1f} s the holder waited {waited:.1f} s (cap {CAP_SECONDS} s)")
    assert second_factor(client, GUARDIAN, response).status_code == 200


def test_a_refused_sign_in_for_an_unknown_email_keeps_nothing_typed(client: TestClient[Litestar], staff: Settings) -> None:
    password_step(client, "my-password-pasted-here", "x")
    with engine_for(staff.database_url).connect() as connection:
        actors = connection.execute(select(AuditEvent.actor).where(AuditEvent.action == "staff.login_refused")).scalars().all()
    assert actors == ["(no such account)"]


def test_redis_shares_the_back_off_between_replicas(staff: Settings) -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    redis.Redis.from_url(REDIS_URL).delete(*(redis.Redis.from_url(REDIS_URL).keys("survey_app_limits*staff*") or [b"none"]))
    shared = dataclasses.replace(staff, redis_url=REDIS_URL, csrf_secret="one secret for every replica")
    with TestClient(create_app(shared)) as first, TestClient(create_app(shared)) as second:
        for _ in range(5):
            password_step(first, "other@barts.example", "guess")
        assert password_step(second, "other@barts.example").status_code == 400, "the other replica let it through"


# --- the second factor ---------------------------------------------------------------------------

@pytest.mark.parametrize("email", [GUARDIAN, ADMIN])
def test_a_password_alone_never_opens_a_guardians_or_administrators_page(client: TestClient[Litestar], email: str) -> None:
    response = password_step(client, email)
    assert response.headers["location"] == "/staff/login/enrol"
    for path in ("/staff", "/ftsu", "/admin/waves/barts-voices/releases", "/api/v1/ftsu/cases"):
        assert client.get(path, follow_redirects=False).status_code in (302, 303, 401), path


def test_an_edi_lead_signs_in_with_a_password_unless_the_second_factor_is_required(staff: Settings) -> None:
    with TestClient(create_app(staff)) as client:
        assert password_step(client, LEAD).headers["location"] == "/staff"
    required = dataclasses.replace(staff, staff_mfa="required")
    with TestClient(create_app(required)) as client:
        assert password_step(client, LEAD).headers["location"] == "/staff/login/enrol"


def test_enrolment_then_codes_work_once_and_recovery_codes_once(client: TestClient[Litestar], staff: Settings) -> None:
    enrolled = second_factor(client, GUARDIAN, password_step(client, GUARDIAN))
    assert enrolled.status_code == 200 and len(RECOVERY[GUARDIAN]) == 10
    assert client.get("/ftsu").status_code == 200
    secret = AUTHENTICATOR[GUARDIAN]
    with engine_for(staff.database_url).connect() as connection:
        stored = connection.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "staff.mfa_enrolled")).scalar_one()
    assert stored == 1
    # The code used at enrolment is refused when replayed, even within its 30 seconds.
    used = pyotp.TOTP(secret).at(LAST_STEP[GUARDIAN] * 30)
    client.cookies.clear()
    password_step(client, GUARDIAN)
    token = csrf_token(client, "/staff/login/code")
    replay = client.post("/staff/login/code", data={"code": used, "_csrf_token": token}, follow_redirects=False)
    assert replay.status_code == 400
    # A recovery code works once.
    code = RECOVERY[GUARDIAN][0]
    first = client.post("/staff/login/code", data={"code": code, "_csrf_token": token}, follow_redirects=False)
    assert first.status_code in (302, 303) and client.get("/ftsu").status_code == 200
    client.cookies.clear()
    password_step(client, GUARDIAN)
    token = csrf_token(client, "/staff/login/code")
    again = client.post("/staff/login/code", data={"code": code, "_csrf_token": token}, follow_redirects=False)
    assert again.status_code == 400


def test_the_totp_secret_is_not_stored_in_the_clear(client: TestClient[Litestar], staff: Settings) -> None:
    sign_in(client, GUARDIAN)
    from sqlalchemy.engine import make_url

    if staff.database_url.startswith("sqlite"):
        raw = Path(make_url(staff.database_url).database or "").read_bytes()
        assert AUTHENTICATOR[GUARDIAN].encode() not in raw


# --- sessions ------------------------------------------------------------------------------------

def test_a_planted_session_cookie_is_never_adopted(client: TestClient[Litestar]) -> None:
    planted = "a" * 64  # set by a sibling subdomain, or on a first visit over plain http
    client.cookies.set("staff_session", planted, domain="testserver.local")
    sign_in(client, LEAD)
    assert client.cookies.get("staff_session") not in (None, planted)
    assert client.get("/staff").status_code == 200
    with TestClient(client.app) as attacker:
        attacker.cookies.set("staff_session", planted, domain="testserver.local")
        assert attacker.get("/staff", follow_redirects=False).status_code in (302, 303), "the planted id signs no one in"


def test_signing_in_moves_to_a_new_session_id(client: TestClient[Litestar]) -> None:
    client.get("/staff/login")
    response = password_step(client, GUARDIAN)
    pending = client.cookies.get("staff_session")
    assert pending
    second_factor(client, GUARDIAN, response)
    assert client.cookies.get("staff_session") not in (None, pending)
    assert client.get("/ftsu").status_code == 200


def test_sign_out_everywhere_and_a_new_password_end_other_sessions(app: Litestar, staff: Settings) -> None:
    with TestClient(app) as phone, TestClient(app) as desk:
        sign_in(phone, LEAD)
        sign_in(desk, LEAD)
        assert desk.get("/staff").status_code == 200
        phone.post("/staff/sign-out-everywhere", data={"_csrf_token": csrf_token(phone, "/staff")})
        assert desk.get("/staff", follow_redirects=False).status_code in (302, 303)
        sign_in(desk, LEAD)
        with engine_for(staff.database_url).begin() as connection:
            set_password(connection, LEAD, PASSWORD)
        assert desk.get("/staff", follow_redirects=False).status_code in (302, 303)


def test_idle_and_absolute_lifetimes() -> None:
    now = time.time()
    fresh = {"epoch": 0, "signed_in": now, "seen": now}
    assert session_is_current(fresh, 0, 30, now + 60)
    assert not session_is_current(fresh, 0, 30, now + 31 * 60), "idle for 31 minutes"
    assert not session_is_current({**fresh, "seen": now + 8 * 3600 - 10}, 0, 30, now + 8 * 3600), "signed in 8 hours ago"
    assert not session_is_current(fresh, 1, 30, now + 60), "the epoch moved on"
    assert not session_is_current(fresh, None, 30, now + 60), "the account was disabled"


def test_an_idle_session_is_signed_out(staff: Settings) -> None:
    with TestClient(create_app(dataclasses.replace(staff, staff_idle_minutes=0))) as client:
        sign_in(client, LEAD)
        assert client.get("/staff", follow_redirects=False).status_code in (302, 303)


def test_a_disabled_account_is_signed_out_at_once(client: TestClient[Litestar], staff: Settings) -> None:
    sign_in(client, LEAD)
    from survey_app.accounts import disable_account

    with engine_for(staff.database_url).begin() as connection:
        disable_account(connection, LEAD)
    assert client.get("/staff", follow_redirects=False).status_code in (302, 303)
    assert password_step(client, LEAD).status_code == 400


def test_a_csrf_pair_from_another_session_is_refused(app: Litestar) -> None:
    with TestClient(app) as victim, TestClient(app) as attacker:
        sign_in(victim, LEAD)
        token = csrf_token(attacker)  # the attacker's own cookie and token, minted on the login page
        victim.cookies.set("staff_csrf", attacker.cookies.get("staff_csrf") or "")
        refused = victim.post("/staff/sign-out-everywhere", data={"_csrf_token": token}, follow_redirects=False)
        assert refused.status_code == 403


def test_staff_posts_from_another_origin_are_refused(client: TestClient[Litestar]) -> None:
    assert password_step(client, LEAD, Origin="https://evil.example").status_code == 403
    sign_in(client, LEAD)
    token = csrf_token(client, "/staff")
    response = client.post("/staff/logout", data={"_csrf_token": token}, headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert response.status_code == 403


def test_hsts_behind_https(staff: Settings) -> None:
    with TestClient(create_app(dataclasses.replace(staff, public_base_url="https://survey.example.nhs.uk"))) as client:
        assert client.get("/staff/login").headers["strict-transport-security"].startswith("max-age=")
    with TestClient(create_app(staff)) as client:
        assert "strict-transport-security" not in client.get("/staff/login").headers


# --- roles and the audit of refusals -------------------------------------------------------------

def test_administrators_see_no_free_text(client: TestClient[Litestar]) -> None:
    sign_in(client, ADMIN)
    for path in (
        "/edi/waves/barts-voices/themes", "/edi/waves/barts-voices/themes.csv", "/edi/waves/barts-voices/themes.xlsx",
        "/api/v1/waves/barts-voices/themes", "/ftsu", "/api/v1/ftsu/cases",
    ):
        assert client.get(path, follow_redirects=False).status_code == 403, path


def test_refused_reads_are_audited_with_route_and_account(client: TestClient[Litestar], staff: Settings) -> None:
    sign_in(client, LEAD)
    assert client.get("/ftsu").status_code == 403
    assert client.get("/edi/waves/someone-elses-wave").status_code == 404
    with engine_for(staff.database_url).connect() as connection:
        rows = connection.execute(select(AuditEvent.actor, AuditEvent.detail).where(AuditEvent.action == "staff.refused")).all()
    assert {row.actor for row in rows} == {LEAD}
    assert any('"/ftsu"' in row.detail and "403" in row.detail for row in rows)
    assert any("someone-elses-wave" in row.detail and "404" in row.detail for row in rows)
