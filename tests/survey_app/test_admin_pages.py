"""Administrators in the browser's forms (no JavaScript needed): headcounts, closing a wave, accounts;
CSRF-protected, audited, scoped to their own organisations, and never showing free text."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from survey_app.accounts import add_account
from survey_app.app import create_app
from survey_app.config import Settings
from survey_app.storage.database import engine_for
from survey_app.storage.models import Account, AuditEvent, Organisation, Wave
from tests.survey_app.helpers import STAFF_PASSWORD, csrf_token, open_test_wave, sign_in, web_settings

ADMIN = "admin@barts.example"


@pytest.fixture
def client(settings: Settings, tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    open_test_wave(settings, "nhs-staff-survey", "barts-staff", org="barts")
    open_test_wave(settings, "nhs-staff-survey", "homerton-staff", org="homerton")
    with engine_for(settings.database_url).begin() as connection:
        add_account(connection, ADMIN, "admin", ["barts"], STAFF_PASSWORD)
        add_account(connection, "lead@barts.example", "edi", ["barts"], STAFF_PASSWORD)
        add_account(connection, "lead@homerton.example", "edi", ["homerton"], STAFF_PASSWORD)
    web = dataclasses.replace(web_settings(settings), session_folder=tmp_path / "sessions")
    with TestClient(create_app(web)) as test_client:
        sign_in(test_client, ADMIN)
        yield test_client


def post(client: TestClient[Litestar], path: str, **data: str | list[str]):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "_csrf_token": csrf_token(client, "/admin")})


def account_id(settings: Settings, email: str) -> str:
    with engine_for(settings.database_url).connect() as connection:
        return str(connection.execute(select(Account.id).where(Account.email == email)).scalar_one())


def test_the_page_lists_only_this_administrators_organisations(client: TestClient[Litestar]) -> None:
    page = client.get("/admin")
    assert page.status_code == 200
    assert "barts-staff" in page.text and "homerton-staff" not in page.text
    assert "lead@barts.example" in page.text and "lead@homerton.example" not in page.text


def test_an_invited_wave_shows_its_codes_issued_and_used(client: TestClient[Litestar], settings: Settings) -> None:
    from survey_app.invitations import issue, spend
    from survey_app.keys import read_secret_file
    from survey_app.waves import find_wave

    open_test_wave(settings, "bank-temporary-workers", "barts-bank", org="barts", access="invited")
    secret = read_secret_file(settings.case_key_file, "SURVEY_CASE_KEY_FILE")
    engine = engine_for(settings.database_url)
    with engine.begin() as connection:
        wave = find_wave(connection, "barts-bank")
        assert wave is not None
        codes = issue(connection, secret, wave.id, 12)
    spend(engine, secret, wave.id, codes[0])
    page = client.get("/admin")
    assert "By invitation: 12 codes issued, 1 used, 11 unused" in page.text
    assert page.text.count("Open to anyone with the link") == 1  # barts-staff


def test_headcounts_and_closing_a_wave(client: TestClient[Litestar], settings: Settings) -> None:
    assert post(client, "/admin/organisations/barts/headcount", headcount="21,500").status_code == 200
    assert post(client, "/admin/waves/barts-staff/headcount", headcount="2400").status_code == 200
    refused = post(client, "/admin/waves/barts-staff/headcount", headcount="lots")
    assert refused.status_code == 400 and "whole number" in refused.text
    assert post(client, "/admin/waves/barts-staff/close").status_code == 400, "closing needs the confirmation"
    assert post(client, "/admin/waves/barts-staff/close", confirm="yes").status_code == 200
    assert client.get("/s/barts-staff").status_code == 404, "the closed survey takes no more answers"
    with engine_for(settings.database_url).connect() as connection:
        assert connection.execute(select(Organisation.headcount).where(Organisation.slug == "barts")).scalar() == 21500
        assert connection.execute(select(Wave.eligible_headcount).where(Wave.slug == "barts-staff")).scalar() == 2400
        actions = connection.execute(select(AuditEvent.action).where(AuditEvent.actor == ADMIN)).scalars().all()
    assert {"admin.organisation_headcount", "admin.wave_headcount", "admin.close_wave"} <= set(actions)


def test_another_organisations_things_are_not_found(client: TestClient[Litestar], settings: Settings) -> None:
    assert post(client, "/admin/waves/homerton-staff/close", confirm="yes").status_code == 404
    assert post(client, "/admin/organisations/homerton/headcount", headcount="99").status_code == 404
    assert post(client, f"/admin/accounts/{account_id(settings, 'lead@homerton.example')}/disable").status_code == 404
    assert post(client, "/admin/accounts", email="new@x.example", role="edi", org=["homerton"]).status_code == 404


def test_accounts_added_given_a_new_password_reset_and_disabled(client: TestClient[Litestar], settings: Settings) -> None:
    added = post(client, "/admin/accounts", email="guardian@barts.example", role="ftsu", org=["barts"])
    assert added.status_code == 200
    first = re.search(r"shown once: ([A-Za-z0-9_-]+)", added.text).group(1)  # type: ignore[union-attr]
    with TestClient(client.app) as guardian:
        token = csrf_token(guardian)
        login = guardian.post("/staff/login", data={"email": "guardian@barts.example", "password": first, "_csrf_token": token}, follow_redirects=False)
        assert login.headers["location"] == "/staff/login/enrol", "the first password works, then the second factor"
    lead = account_id(settings, "lead@barts.example")
    renewed = post(client, f"/admin/accounts/{lead}/password")
    assert renewed.status_code == 200 and "shown once" in renewed.text
    assert post(client, f"/admin/accounts/{lead}/reset-mfa").status_code == 200
    assert post(client, f"/admin/accounts/{lead}/disable").status_code == 200
    with engine_for(settings.database_url).connect() as connection:
        assert connection.execute(select(Account.active).where(Account.id == lead)).scalar() is False
    own = post(client, f"/admin/accounts/{account_id(settings, ADMIN)}/disable")
    assert own.status_code == 400, "an administrator does not disable themselves"


def test_forms_need_the_session_csrf_token(client: TestClient[Litestar]) -> None:
    assert client.post("/admin/waves/barts-staff/close", data={"confirm": "yes"}).status_code == 403


def test_other_roles_cannot_use_it(settings: Settings, tmp_path: Path) -> None:
    open_test_wave(settings, "nhs-staff-survey", "barts-staff", org="barts")
    with engine_for(settings.database_url).begin() as connection:
        add_account(connection, "lead@barts.example", "edi", ["barts"], STAFF_PASSWORD)
    web = dataclasses.replace(web_settings(settings), session_folder=tmp_path / "s")
    with TestClient(create_app(web)) as lead:
        sign_in(lead, "lead@barts.example")
        assert lead.get("/admin").status_code == 403
