"""Arriving without a survey link: the root, the accessibility statement, and HTML error pages for
people while machines keep JSON."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.config import Settings
from tests.survey_app.helpers import open_test_wave, web_settings

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient[Litestar]]:
    open_test_wave(settings, "lived-experience", "barts-voices")
    open_test_wave(settings, "bank-temporary-workers", "barts-bank")
    with TestClient(create_app(web_settings(settings))) as test_client:
        yield test_client


def _is_page(response, title: str) -> None:  # type: ignore[no-untyped-def]
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="en-GB">' in response.text
    assert f"<title>{title}" in response.text
    assert 'href="/accessibility"' in response.text, "every footer links the accessibility statement"
    assert "set-cookie" not in response.headers


def test_the_bare_address_is_a_page_with_a_way_on(client: TestClient[Litestar]) -> None:
    root = client.get("/", headers=BROWSER)
    assert root.status_code == 200
    _is_page(root, "Anonymous staff survey")
    assert 'href="/receipt"' in root.text and 'href="/staff/login"' in root.text


@pytest.mark.parametrize("path", ["/no/such/page", "/favicon-typo.ico", "/receipts", "/staff/nowhere"])
def test_unknown_addresses_are_html_for_people(client: TestClient[Litestar], path: str) -> None:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 404
    if path.startswith("/staff"):
        assert response.headers["content-type"].startswith("text/html")
        return
    _is_page(response, "Page not found")
    assert "status_code" not in response.text


def test_machines_keep_json(client: TestClient[Litestar]) -> None:
    for path in ("/api/v1/waves/no-such-wave", "/no/such/page"):
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 404 and response.json()
    assert client.get("/api/v1/nothing", headers=BROWSER).headers["content-type"].startswith("application/json")


def test_a_wrong_method_is_a_page_too(client: TestClient[Litestar]) -> None:
    response = client.delete("/", headers=BROWSER)
    assert response.status_code == 405
    _is_page(response, "This page cannot be used like that")


def test_the_accessibility_statement(client: TestClient[Litestar]) -> None:
    response = client.get("/accessibility", headers=BROWSER)
    assert response.status_code == 200
    _is_page(response, "Accessibility statement")
    for part in ("WCAG", "Enforcement procedure", "Equality and Human Rights Commission", "partially compliant"):
        assert part in response.text
    assert 'href="/accessibility"' in client.get("/s/barts-bank").text


def test_exit_this_page_where_someone_may_need_to_leave_quickly(client: TestClient[Litestar]) -> None:
    assert 'id="exit-this-page"' in client.get("/s/barts-voices").text
    assert 'id="exit-this-page"' in client.get("/receipt").text
    assert 'id="exit-this-page"' not in client.get("/s/barts-bank").text
