"""Sealing: what the web process writes only the worker can open, in its own context, padded."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_app.keys import (
    MissingKeyError,
    WaveKeyStore,
    WrongKeyError,
    read_secret_file,
    write_secret_file,
)
from survey_app.sealing import (
    SealingError,
    generate_inbox_key_pair,
    generate_wave_keys,
    open_sealed_box,
    open_with_key,
    seal_to_public_key,
    seal_with_key,
)


def test_a_sealed_box_opens_only_with_the_private_key_and_context() -> None:
    keys, other = generate_inbox_key_pair(), generate_inbox_key_pair()
    sealed = seal_to_public_key(keys.public_key, b"q14a=2", b"inbox:w1")
    assert open_sealed_box(keys.private_key, sealed, b"inbox:w1") == b"q14a=2"
    with pytest.raises(SealingError):
        open_sealed_box(other.private_key, sealed, b"inbox:w1")
    with pytest.raises(SealingError):
        open_sealed_box(keys.private_key, sealed, b"inbox:w2")
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(SealingError):
        open_sealed_box(keys.private_key, tampered, b"inbox:w1")


def test_sealing_the_same_answers_twice_gives_unrelated_ciphertexts() -> None:
    keys = generate_inbox_key_pair()
    assert seal_to_public_key(keys.public_key, b"same", b"c") != seal_to_public_key(keys.public_key, b"same", b"c")


def test_lengths_reveal_only_a_size_bucket() -> None:
    key = generate_wave_keys().data_key
    short = seal_with_key(key, b"a", b"c")
    longer = seal_with_key(key, b"a" * 400, b"c")
    assert len(short) == len(longer)
    fixed = {len(seal_with_key(key, b"x" * n, b"c", size=4096)) for n in (1, 100, 3000)}
    assert len(fixed) == 1
    assert open_with_key(key, seal_with_key(key, b"x" * 3000, b"c", size=4096), b"c") == b"x" * 3000


def test_wave_keys_are_stored_wrapped_and_can_be_destroyed(tmp_path: Path) -> None:
    kek = tmp_path / "kek.key"
    write_secret_file(kek)
    store = WaveKeyStore(kek)
    keys = generate_wave_keys()
    store.store("w1", keys)
    pair = generate_inbox_key_pair()
    store.store_inbox_key("w1", "e1", pair)
    raw = b"".join(path.read_bytes() for path in (tmp_path / "wave-keys").iterdir())
    assert keys.data_key not in raw and pair.private_key not in raw
    assert store.load("w1") == keys
    assert store.load_inbox_key("w1", "e1") == pair.private_key
    write_secret_file(kek, overwrite=True)
    with pytest.raises(WrongKeyError):
        WaveKeyStore(kek).load("w1")
    with pytest.raises(WrongKeyError):
        WaveKeyStore(kek).check()
    store.destroy("w1")
    with pytest.raises(KeyError):
        store.load("w1")
    with pytest.raises(KeyError):
        store.load_inbox_key("w1", "e1")
    assert not list((tmp_path / "wave-keys").glob("w1*"))


def test_a_missing_or_malformed_key_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(MissingKeyError, match="keys init"):
        read_secret_file(None, "SURVEY_KEY_FILE")
    with pytest.raises(MissingKeyError, match="does not exist"):
        read_secret_file(tmp_path / "none.key", "SURVEY_KEY_FILE")
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    with pytest.raises(MissingKeyError, match="not a key file"):
        read_secret_file(bad, "SURVEY_KEY_FILE")
