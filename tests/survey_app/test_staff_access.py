"""Staff accounts and access: sign-in, CSRF, sessions (files or Redis), organisation scope."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from litestar.testing import TestClient
from sqlalchemy import select

from survey_app.accounts import add_account
from survey_app.app import create_app
from survey_app.config import Settings
from survey_app.storage.database import engine_for
from survey_app.storage.models import AuditEvent
from tests.survey_app.helpers import second_factor, open_test_wave, web_settings

PASSWORD = "correct horse battery staple"
REDIS_URL = os.environ.get("SURVEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _csrf(client: TestClient, path: str = "/staff/login") -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', client.get(path).text)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """The password, then (for guardians and administrators) the second factor as the holder would give it."""
    token = _csrf(client)
    response = client.post(
        "/staff/login", data={"email": email, "password": password, "_csrf_token": token}, follow_redirects=False
    )
    return second_factor(client, email, response)


@pytest.fixture
def staff(settings: Settings, tmp_path: Path) -> Settings:
    open_test_wave(settings, "nhs-staff-survey", "barts-staff", org="barts")
    open_test_wave(settings, "nhs-staff-survey", "homerton-staff", org="homerton")
    with engine_for(settings.database_url).begin() as connection:
        add_account(connection, "lead@barts.example", "edi", ["barts"], PASSWORD)
        add_account(connection, "admin@barts.example", "admin", ["barts"], PASSWORD)
    return dataclasses.replace(web_settings(settings), session_folder=tmp_path / "sessions")


@pytest.fixture
def client(staff: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(staff)) as client:
        yield client


def test_anonymous_users_are_sent_to_sign_in(client: TestClient) -> None:
    for path in ("/staff", "/admin/waves/barts-staff/releases"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303), path
        assert response.headers["location"] == "/staff/login"


def test_signing_in_and_out(client: TestClient, staff: Settings) -> None:
    response = sign_in(client, "lead@barts.example")
    assert response.status_code in (302, 303) and response.headers["location"] == "/staff"
    home = client.get("/staff")
    assert home.status_code == 200
    assert "barts-staff" in home.text and "homerton-staff" not in home.text
    token = _csrf(client, "/staff")
    assert client.post("/staff/logout", data={"_csrf_token": token}, follow_redirects=False).status_code in (302, 303)
    assert client.get("/staff", follow_redirects=False).status_code in (302, 303)
    with engine_for(staff.database_url).connect() as connection:
        actions = connection.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions[-2:] == ["staff.login", "staff.logout"]


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client: TestClient) -> None:
    wrong = sign_in(client, "lead@barts.example", "not the password")
    unknown = sign_in(client, "nobody@barts.example", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert "There is a problem" in wrong.text
    assert wrong.text.replace("lead@barts.example", "X") == unknown.text.replace("nobody@barts.example", "X")


def test_staff_forms_need_the_csrf_token(client: TestClient) -> None:
    sign_in(client, "lead@barts.example")
    response = client.post("/staff/logout", data={}, follow_redirects=False)
    assert response.status_code == 403


def test_roles_and_organisations_are_enforced(client: TestClient) -> None:
    sign_in(client, "lead@barts.example")
    assert client.get("/admin/waves/barts-staff/releases").status_code == 403
    client.cookies.clear()
    sign_in(client, "admin@barts.example")
    assert client.get("/admin/waves/barts-staff/releases").status_code == 200
    # Another organisation's wave is simply not found: a 403 would confirm it exists.
    assert client.get("/admin/waves/homerton-staff/releases").status_code == 404
    assert client.get("/admin/waves/no-such-wave/releases").status_code == 404


def test_respondent_routes_set_no_cookie_even_for_a_signed_in_browser(client: TestClient) -> None:
    sign_in(client, "lead@barts.example")
    for response in (client.get("/s/barts-staff"), client.get("/api/v1/waves/barts-staff"), client.get("/healthz")):
        assert "set-cookie" not in response.headers


def test_sessions_are_shared_through_redis_when_configured(staff: Settings) -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    shared = dataclasses.replace(staff, redis_url=REDIS_URL, csrf_secret="one secret for every replica")
    with TestClient(create_app(shared)) as first, TestClient(create_app(shared)) as second:
        assert sign_in(first, "lead@barts.example").status_code in (302, 303)
        # A second replica (another app instance) honours the same session cookie.
        second.cookies.update(first.cookies)
        assert second.get("/staff", follow_redirects=False).status_code == 200
        keys = redis.Redis.from_url(REDIS_URL).keys("survey_app_sessions*")
        assert keys, "the session lives in Redis"


def test_an_anonymous_visitor_gets_no_session_cookie(client: TestClient) -> None:
    for path in ("/staff", "/admin/waves/barts-staff/releases", "/api/v1/waves/barts-staff/indicators?by=bme_white"):
        response = client.get(path, follow_redirects=False)
        assert "staff_session" not in response.headers.get("set-cookie", ""), path
