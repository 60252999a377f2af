"""Visit tokens: issued and authenticated by the server, bound to a wave; what the mixer keeps of them."""

from __future__ import annotations

import base64

import pytest

from survey_app.ftsu.receipts import RECEIPT_WORDS, parse_receipt, visit_receipt
from survey_app.submissions import (
    FLAG_NONE,
    VisitTokens,
    api_submission,
    flags_of,
    repeat_hash,
    valid_idempotency_key,
    valid_token,
)

CASE = b"c" * 32
ANSWERS = {"what_happened": "It happened on a night shift.", "consent_share": 1}


def test_issued_tokens_verify_for_their_wave_only_and_never_repeat() -> None:
    tokens = VisitTokens(CASE)
    issued = {tokens.issue("wave-a") for _ in range(1000)}
    assert len(issued) == 1000
    assert all(tokens.verify("wave-a", token) == token for token in issued)
    assert all(valid_token(token) == token for token in issued)
    token = issued.pop()
    assert tokens.verify("wave-b", token) is None, "a token is bound to the wave it was issued for"
    assert flags_of(token) == FLAG_NONE


def test_replicas_sharing_the_case_key_agree_and_others_do_not() -> None:
    token = VisitTokens(CASE).issue("wave-a")
    assert VisitTokens(CASE).verify("wave-a", token) == token
    assert VisitTokens(b"d" * 32).verify("wave-a", token) is None
    # Without a case key each process has its own key: its tokens mean nothing elsewhere.
    assert VisitTokens(None).verify("wave-a", VisitTokens(None).issue("wave-a")) is None


@pytest.mark.parametrize(
    "value",
    [None, "", "short", "x" * 65, "chosen-by-another-site-0123456789", "<script>alert(1)</script>xx", 12345, ["a" * 22]],
)
def test_a_value_the_server_did_not_issue_is_replaced_never_adopted(value: object) -> None:
    tokens = VisitTokens(CASE)
    assert tokens.verify("wave-a", value) is None
    accepted = tokens.accept("wave-a", value)
    assert accepted != value and tokens.verify("wave-a", accepted) == accepted


def test_a_forged_tag_or_flag_is_refused() -> None:
    tokens = VisitTokens(CASE)
    raw = bytearray(base64.urlsafe_b64decode(tokens.issue("wave-a") + "=="))
    for index in (1, 5, len(raw) - 1):  # the flags byte, the nonce, the tag
        forged = bytearray(raw)
        forged[index] ^= 1
        value = base64.urlsafe_b64encode(bytes(forged)).rstrip(b"=").decode()
        assert tokens.verify("wave-a", value) is None


def test_api_keys_live_in_their_own_namespace() -> None:
    web = VisitTokens(CASE).issue("wave-a")
    assert api_submission(web) != web and valid_token(api_submission(web)) == api_submission(web)
    assert VisitTokens(CASE).verify("wave-a", api_submission(web)) is None
    assert valid_idempotency_key("api." + "k" * 22) is None, "a client cannot send a key in the API's own form"


def test_the_kept_hash_needs_the_same_token_the_same_answers_and_the_wave_key() -> None:
    token = VisitTokens(CASE).issue("wave-a")
    kept = repeat_hash(b"k" * 32, token, ANSWERS)
    assert repeat_hash(b"k" * 32, token, dict(reversed(ANSWERS.items()))) == kept, "key order does not matter"
    assert repeat_hash(b"k" * 32, token, {**ANSWERS, "consent_share": 2}) != kept
    assert repeat_hash(b"k" * 32, VisitTokens(CASE).issue("wave-a"), ANSWERS) != kept
    assert repeat_hash(b"j" * 32, token, ANSWERS) != kept
    assert token.encode() not in kept


def test_a_visit_keeps_its_receipt_and_no_one_can_work_it_out_without_the_case_key() -> None:
    token = VisitTokens(CASE).issue("wave-a")
    receipt = visit_receipt(CASE, "wave-a", token, ANSWERS)
    assert visit_receipt(CASE, "wave-a", token, ANSWERS) == receipt and len(receipt.words) == RECEIPT_WORDS
    assert parse_receipt(receipt.text) == receipt
    assert visit_receipt(b"d" * 32, "wave-a", token, ANSWERS) != receipt
    assert visit_receipt(CASE, "wave-b", token, ANSWERS) != receipt, "another wave, other words"
    assert visit_receipt(CASE, "wave-a", token, {**ANSWERS, "what_happened": "Another concern."}) != receipt
    assert visit_receipt(CASE, "wave-a", api_submission(token) or "", ANSWERS) != receipt
    assert len({visit_receipt(CASE, "wave-a", VisitTokens(CASE).issue("wave-a"), ANSWERS).text for _ in range(200)}) == 200
