"""Visit tokens: their accepted shape, and what the mixer keeps of them."""

from __future__ import annotations

import pytest

from survey_app.submissions import new_submission_token, token_hash, valid_token


def test_new_tokens_are_valid_and_never_repeat() -> None:
    tokens = {new_submission_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(valid_token(token) == token for token in tokens)


@pytest.mark.parametrize("value", [None, "", "short", "x" * 65, "has space 0123456789abcdef", "<script>alert(1)</script>xx", 12345, ["a" * 22]])
def test_anything_else_is_no_token(value: object) -> None:
    assert valid_token(value) is None


def test_the_kept_hash_depends_on_the_wave_key() -> None:
    token = new_submission_token()
    assert token_hash(b"k" * 32, token) == token_hash(b"k" * 32, token)
    assert token_hash(b"k" * 32, token) != token_hash(b"j" * 32, token)
    assert token.encode() not in token_hash(b"k" * 32, token)


def test_a_visit_keeps_its_receipt_and_no_one_can_work_it_out_without_the_case_key() -> None:
    from survey_app.ftsu.receipts import RECEIPT_WORDS, parse_receipt, visit_receipt

    token = new_submission_token()
    receipt = visit_receipt(b"c" * 32, token)
    assert visit_receipt(b"c" * 32, token) == receipt and len(receipt.words) == RECEIPT_WORDS
    assert parse_receipt(receipt.text) == receipt
    assert visit_receipt(b"d" * 32, token) != receipt
    assert len({visit_receipt(b"c" * 32, new_submission_token()).text for _ in range(200)}) == 200
