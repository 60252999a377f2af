"""The insider who handed out the codes: can they tell which mixed response came from which code?

They know who holds each code (they gave the cards out), the exact order in which the codes were
spent (the ledger's rows in the WAL, or simply watching), every key the worker and the web process
hold, and byte copies of the database files and WAL after the responses are mixed. The test spends
33 codes through the API, one after another, each storing its response straight away: the worst case
for an order attack, since spend and store are adjacent. Each response's closed answers (`q35` = i)
and text (`marker-i-`) say whose it is, so the test can score the insider's best guesses:

- a code or a ballot in anything they can read: none (the files never hold a code, and no record
  that a held key opens carries one);
- pairing the k-th spent code with the k-th part in the order the parts lie in the files (WAL order,
  heap order): no better than chance. With 33 responses a random order gives on average one right
  guess; the test fails at 7 or more (p < 1e-4 by chance) or at a rank correlation above 0.7 (p < 1e-4).

A positive control runs the same attack on a second invited wave mixed with the shuffle switched
off: on PostgreSQL, whose heap and WAL keep insertion order, the attack then pairs almost every code,
which shows the attack is sharp enough to find a link when there is one. (SQLite stores the parts by
their random ids, so there the control is printed but not asserted.)
"""

from __future__ import annotations

import random
import types
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from survey_app import mixer
from survey_app.app import create_app
from survey_app.config import Settings
from survey_app.invitations import issue
from survey_app.invitations.codes import display
from survey_app.keys import WaveKeyStore, read_secret_file
from survey_app.storage.database import engine_for
from survey_app.waves import find_wave
from tests.survey_app import forensics
from tests.survey_app.helpers import mix_now, open_test_wave, opened_closed_answers, web_settings

RESPONDENTS = 33


def _answers(i: int) -> dict[str, object]:
    rng = random.Random(i)
    # q35's options start at 1: respondent i answers i + 1.
    return {"q35": i + 1, "tw_comments": f"marker-{i + 1}- " + " ".join(rng.choice(["shift", "ward", "rota"]) for _ in range(8))}


def _fixed_points(order: list[int]) -> int:
    """Right guesses when the k-th spent code (respondent k) is paired with the k-th part found."""
    return sum(1 for position, respondent in enumerate(order) if position == respondent)


def _rank_correlation(order: list[int]) -> float:
    n = len(order)
    ranks = {respondent: rank for rank, respondent in enumerate(sorted(order))}
    d2 = sum((position - ranks[respondent]) ** 2 for position, respondent in enumerate(order))
    return 1 - 6 * d2 / (n * (n * n - 1))


def _run_wave(settings: Settings, client: TestClient, slug: str, case_secret: bytes) -> tuple[str, list[str]]:
    # One organisation per wave (one open wave per instrument and organisation).
    open_test_wave(settings, "bank-temporary-workers", slug, org=slug, access="invited")
    engine = engine_for(settings.database_url)
    with engine.begin() as connection:
        wave = find_wave(connection, slug)
        assert wave is not None
        codes = issue(connection, case_secret, wave.id, RESPONDENTS + 5)
    # Respondent i spends code i and sends answers marked i, in this order.
    for i, code in enumerate(codes[:RESPONDENTS]):
        response = client.post(f"/api/v1/waves/{slug}/responses", json={"answers": _answers(i), "invitation": display(code)})
        assert response.status_code == 201, response.text
    return wave.id, codes


def _orders(blob: bytes, symmetric: list[bytes], closed_in_table_order: list[dict]) -> tuple[list[int], list[int]]:
    """The respondents, in the order their testimony parts lie in the bytes and their closed parts in the table."""
    seen: list[int] = []
    for plaintext in forensics.open_symmetric_records(blob, symmetric):
        _, texts = forensics.markers(plaintext)
        for marker in texts:
            if 1 <= marker <= RESPONDENTS and marker - 1 not in seen:
                seen.append(marker - 1)
    closed = [int(answers["q35"]) - 1 for answers in closed_in_table_order if "q35" in answers]
    return seen, closed


def test_an_insider_who_knows_the_spending_order_pairs_codes_with_parts_no_better_than_chance(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = engine_for(settings.database_url)
    postgres = engine.dialect.name == "postgresql"
    first_segment = forensics.wal_position(engine) if postgres else ""
    case_secret = read_secret_file(settings.case_key_file, "SURVEY_CASE_KEY_FILE")
    key_store = WaveKeyStore(settings.key_file)
    with TestClient(create_app(web_settings(settings))) as client:
        wave_id, codes = _run_wave(settings, client, "insider-invited", case_secret)
        control_id, _ = _run_wave(settings, client, "insider-control", case_secret)
        assert client.post(
            "/api/v1/waves/insider-invited/responses", json={"answers": _answers(0), "invitation": codes[0]}
        ).status_code == 409
    assert mix_now(settings, wave_id).responses_mixed == RESPONDENTS
    with monkeypatch.context() as patched:
        # The control: the same mixer with its shuffle switched off.
        patched.setattr(mixer.secrets, "SystemRandom", lambda: types.SimpleNamespace(shuffle=lambda items: None))
        assert mix_now(settings, control_id).responses_mixed == RESPONDENTS

    held = forensics.keys_in_store(read_secret_file(settings.key_file, "kek"), settings.key_file.parent / "wave-keys")
    symmetric = held.symmetric_keys
    if postgres:
        blob = forensics.postgres_wal_bytes(engine, first_segment) + forensics.postgres_relation_bytes(engine)
    else:
        blob = forensics.sqlite_bytes(Path(make_url(settings.database_url).database or ""))

    # Nothing holds a code as such, in any form it was typed or printed.
    for code in codes:
        assert code.encode() not in blob and display(code).encode() not in blob
    opened = forensics.open_sealed_boxes(blob, held.private_keys) + forensics.open_symmetric_records(blob, symmetric)
    assert not any(code.encode() in plaintext for code in codes for plaintext in opened)
    assert not any(b'"submission"' in plaintext for plaintext in opened), "a mixed response still carries its ballot"

    figures = {}
    for name, identifier in (("invited", wave_id), ("control", control_id)):
        keys = key_store.load(identifier)
        with engine.connect() as connection:
            closed = opened_closed_answers(connection, identifier, keys)
        in_bytes, in_table = _orders(blob, [keys.data_key], closed)
        assert sorted(in_table) == list(range(RESPONDENTS)), f"{name}: the insider opens every closed part"
        figures[name] = {
            "testimonies found": len(in_bytes),
            "right guesses (byte order)": _fixed_points(in_bytes),
            "right guesses (table order)": _fixed_points(in_table),
            "rank correlation (table order)": round(_rank_correlation(in_table), 2),
        }
    with capsys.disabled():
        print(f"\ninvitation unlinkability on {engine.dialect.name}, {RESPONDENTS} codes spent in order: {figures}")
    invited = figures["invited"]
    assert invited["testimonies found"] == RESPONDENTS, "the insider reads every testimony part"
    assert invited["right guesses (byte order)"] < 7 and invited["right guesses (table order)"] < 7
    assert abs(invited["rank correlation (table order)"]) < 0.7
    if postgres:
        control = figures["control"]
        assert control["right guesses (table order)"] >= RESPONDENTS - 3, "the attack finds a link when there is one"
