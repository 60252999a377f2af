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
