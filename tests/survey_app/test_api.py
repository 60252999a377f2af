"""The respondent JSON API: happy path, each 4xx, and junk that must never cause a 5xx."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from questionnaires import load_instrument
from survey_app.app import create_app
from survey_app.config import Settings
from survey_app.storage.database import engine_for
from survey_app.waves import close_wave, find_wave
from tests.survey_app.helpers import (
    inbox_documents,
    count_rows,
    open_test_wave,
    random_answers,
    web_settings,
)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    open_test_wave(settings, "bank-temporary-workers", "bank-2026")
    open_test_wave(settings, "lived-experience", "voices-2026")
    with TestClient(create_app(web_settings(settings))) as client:
        yield client


def test_read_an_open_wave(client: TestClient) -> None:
    response = client.get("/api/v1/waves/bank-2026")
    assert response.status_code == 200
    body = response.json()
    assert body["wave"] == "bank-2026"
    assert body["instrument"]["id"] == "bank-temporary-workers"
    question_ids = {q["id"] for page in body["instrument"]["pages"] for q in page["questions"]}
    assert {"q14a", "q16c", "q28", "tw_worker_type"} <= question_ids


def test_a_valid_response_is_stored_sealed(client: TestClient, settings: Settings) -> None:
    answers = random_answers(load_instrument("bank-temporary-workers"), random.Random(1))
    response = client.post("/api/v1/waves/bank-2026/responses", json={"answers": answers})
    assert response.status_code == 201, response.text
    assert count_rows(engine_for(settings.database_url), "inbox") == 1


def test_an_idempotency_key_travels_sealed_with_the_response(client: TestClient, settings: Settings) -> None:
    answers = random_answers(load_instrument("bank-temporary-workers"), random.Random(2))
    key = "retry-safe-key-0123456789"
    for _ in range(2):  # a retry after a dropped connection
        response = client.post("/api/v1/waves/bank-2026/responses", json={"answers": answers}, headers={"Idempotency-Key": key})
        assert response.status_code == 201, response.text
    engine = engine_for(settings.database_url)
    with engine.connect() as connection:
        wave = find_wave(connection, "bank-2026")
        assert wave is not None
    documents = inbox_documents(settings, wave.id)
    # In the API's own namespace: never equal to a web visit's token (survey_app/submissions.py).
    assert [d["submission"] for d in documents] == [f"api.{key}", f"api.{key}"]


@pytest.mark.parametrize("key", ["short", "has spaces in it 0123456789", "x" * 65, "ünïcödé-0123456789abcdefgh"])
def test_a_malformed_idempotency_key_is_a_400_and_nothing_is_stored(
    client: TestClient, settings: Settings, key: str
) -> None:
    answers = random_answers(load_instrument("bank-temporary-workers"), random.Random(3))
    response = client.post(
        "/api/v1/waves/bank-2026/responses", json={"answers": answers}, headers={"Idempotency-Key": key.encode()}
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert count_rows(engine_for(settings.database_url), "inbox") == 0


def test_the_examples_in_the_design_are_accepted(client: TestClient) -> None:
    response = client.post(
        "/api/v1/waves/bank-2026/responses",
        json={"answers": {"q14a": 1, "q16a": 1, "q16c": [1, 6], "q35": 26}},
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("wave", "answers", "question", "says"),
    [
        ("bank-2026", {"q99": 1}, "q99", "not a question"),
        ("bank-2026", {"q14a": 42}, "q14a", "not an option"),
        ("bank-2026", {"q14a": "2"}, "q14a", "option code"),
        ("bank-2026", {"q16c": [1, 99]}, "q16c", "not an option"),
        ("bank-2026", {"q16a": 2, "q16b": 2, "q16c": [1]}, "q16c", "only asked when"),
        ("voices-2026", {"what_happened": "x" * 6000, "consent_quote": 2, "consent_share": 2}, "what_happened", "characters"),
        ("voices-2026", {"consent_quote": 2, "consent_share": 2}, "what_happened", "Enter what happened"),
        ("voices-2026", {"what_happened": "It happened.", "consent_share": 2}, "consent_quote", "Select yes if we may quote your words"),
    ],
)
def test_each_offending_question_gets_an_error(
    client: TestClient, settings: Settings, wave: str, answers: dict, question: str, says: str
) -> None:
    response = client.post(f"/api/v1/waves/{wave}/responses", json={"answers": answers})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert question in errors
    assert says in errors[question]
    assert count_rows(engine_for(settings.database_url), "inbox") == 0


def test_every_offending_question_is_reported_at_once(client: TestClient) -> None:
    response = client.post(
        "/api/v1/waves/bank-2026/responses", json={"answers": {"q14a": 0, "q15": 7, "nope": 1, "q21": 3}}
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"q14a", "q15", "nope"}


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"answers": 3}', b"{}"])
def test_a_malformed_body_is_a_4xx_with_a_json_reason(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/api/v1/waves/bank-2026/responses", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert "errors" in response.json()


def test_too_large_a_body_is_413(client: TestClient, settings: Settings) -> None:
    answers = {"what_happened": "a" * 200_000, "consent_quote": 2, "consent_share": 2}
    response = client.post("/api/v1/waves/voices-2026/responses", json={"answers": answers})
    assert response.status_code == 413
    assert count_rows(engine_for(settings.database_url), "inbox") == 0


def test_unknown_and_closed_waves_are_404(client: TestClient, settings: Settings) -> None:
    assert client.get("/api/v1/waves/nowhere").status_code == 404
    assert client.post("/api/v1/waves/nowhere/responses", json={"answers": {"q14a": 1}}).status_code == 404
    assert client.post("/api/v1/waves/bank-2026/responses", json={"answers": {"q14a": 1}}).status_code == 201
    with engine_for(settings.database_url).begin() as connection:
        close_wave(connection, "bank-2026")
    # The web process remembers open waves briefly; the store itself re-checks, so nothing is taken.
    assert client.post("/api/v1/waves/bank-2026/responses", json={"answers": {"q14a": 1}}).status_code == 404
    assert client.get("/api/v1/waves/bank-2026").status_code == 404
    assert count_rows(engine_for(settings.database_url), "inbox") == 1


def test_health_and_readiness_and_schema(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    schema = client.get("/schema/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/waves/{wave}/responses" in schema.json()["paths"]


def test_api_responses_carry_privacy_headers_and_no_cookie(client: TestClient) -> None:
    for response in (
        client.get("/api/v1/waves/bank-2026"),
        client.post("/api/v1/waves/bank-2026/responses", json={"answers": {"q14a": 1}}),
        client.post("/api/v1/waves/bank-2026/responses", json={"answers": {"q14a": 9}}),
        client.get("/api/v1/waves/nowhere"),
    ):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert "set-cookie" not in response.headers


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20,
)
question_ids = st.sampled_from(["q14a", "q16a", "q16b", "q16c", "q28", "tw_reasons", "tw_comments", "main_organisation"]) | st.text(max_size=12)


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.dictionaries(question_ids, json_values, max_size=8))
def test_junk_answers_never_cause_a_server_error(client: TestClient, answers: dict) -> None:
    response = client.post("/api/v1/waves/bank-2026/responses", json={"answers": answers})
    assert response.status_code in (201, 422), response.text


@hypothesis_settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300) | json_values.map(lambda v: __import__("json").dumps(v).encode()))
def test_junk_bodies_never_cause_a_server_error(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/api/v1/waves/bank-2026/responses", content=body, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500 or response.status_code == 201, response.text
