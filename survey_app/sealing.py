"""Encryption of everything a respondent sends.

A response is sealed to its wave's current inbox key, an X25519 public key that lives for one
epoch (ephemeral key agreement, HKDF-SHA256, AES-256-GCM; survey_app/epochs.py), so the web
process, which holds only public keys, cannot read what it stored. The mixer re-seals each part
under the wave's data key. Plaintexts are padded to a size bucket
first, so a ciphertext's length says little about how much someone wrote.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEALED_BOX_VERSION = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32
SMALLEST_BUCKET = 512


class SealingError(Exception):
    """A ciphertext could not be opened: wrong key, wrong context, or tampered with."""


@dataclass(frozen=True)
class WaveKeys:
    """The key a wave keeps for its whole life: it seals the mixed parts, until retirement."""

    data_key: bytes


@dataclass(frozen=True)
class InboxKeyPair:
    """One epoch's inbox key: the web process seals to `public_key`; the worker destroys
    `private_key` once the responses sealed to it have been mixed."""

    public_key: bytes
    private_key: bytes


def generate_wave_keys() -> WaveKeys:
    return WaveKeys(data_key=AESGCM.generate_key(bit_length=256))


def generate_inbox_key_pair() -> InboxKeyPair:
    private = X25519PrivateKey.generate()
    return InboxKeyPair(
        public_key=public_key_of(
            private.private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
        ),
        private_key=private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        ),
    )


def public_key_of(private_key: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def new_secret_key() -> bytes:
    return os.urandom(KEY_BYTES)


def bucket_size(length: int) -> int:
    """The power-of-two bucket (at least 512 bytes) that a plaintext of this length pads to."""
    bucket = SMALLEST_BUCKET
    while bucket < length + 4:
        bucket *= 2
    return bucket


def pad(plaintext: bytes, size: int | None = None) -> bytes:
    """Length-prefix and zero-pad to `size`, or to the next power-of-two bucket."""
    needed = len(plaintext) + 4
    size = max(size or 0, bucket_size(len(plaintext)))
    return struct.pack(">I", len(plaintext)) + plaintext + b"\x00" * (size - needed)


def unpad(padded: bytes) -> bytes:
    (length,) = struct.unpack(">I", padded[:4])
    if length > len(padded) - 4:
        raise SealingError("padding is corrupt")
    return padded[4 : 4 + length]


def _box_key(shared_secret: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=b"survey_app sealed box v1" + ephemeral_public + recipient_public,
    ).derive(shared_secret)


def seal_to_public_key(public_key: bytes, plaintext: bytes, context: bytes) -> bytes:
    """Seal padded plaintext so only the holder of the matching private key can open it."""
    recipient = X25519PublicKey.from_public_bytes(public_key)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    key = _box_key(ephemeral.exchange(recipient), ephemeral_public, public_key)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, pad(plaintext), context)
    return SEALED_BOX_VERSION + ephemeral_public + nonce + ciphertext


def open_sealed_box(private_key: bytes, sealed: bytes, context: bytes) -> bytes:
    if sealed[:1] != SEALED_BOX_VERSION or len(sealed) < 1 + KEY_BYTES + NONCE_BYTES + 16:
        raise SealingError("not a sealed box of a known version")
    ephemeral_public = sealed[1 : 1 + KEY_BYTES]
    nonce = sealed[1 + KEY_BYTES : 1 + KEY_BYTES + NONCE_BYTES]
    ciphertext = sealed[1 + KEY_BYTES + NONCE_BYTES :]
    private = X25519PrivateKey.from_private_bytes(private_key)
    recipient_public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    key = _box_key(
        private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public)),
        ephemeral_public,
        recipient_public,
    )
    try:
        return unpad(AESGCM(key).decrypt(nonce, ciphertext, context))
    except InvalidTag:
        raise SealingError("the sealed box does not open with this key and context") from None


def seal_with_key(key: bytes, plaintext: bytes, context: bytes, size: int | None = None) -> bytes:
    """Symmetric sealing (data keys, case keys, key wrapping); plaintext is padded to `size` or a bucket."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, pad(plaintext, size), context)


def open_with_key(key: bytes, sealed: bytes, context: bytes) -> bytes:
    try:
        return unpad(AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context))
    except InvalidTag:
        raise SealingError("the ciphertext does not open with this key and context") from None


def open_many_with_key(key: bytes, sealed: Iterable[bytes], context: bytes) -> Iterator[bytes]:
    """`open_with_key` over many ciphertexts under one key and context, without a cipher object each."""
    cipher = AESGCM(key)
    try:
        for box in sealed:
            box = bytes(box)
            yield unpad(cipher.decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], context))
    except InvalidTag:
        raise SealingError("the ciphertext does not open with this key and context") from None


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A separate key per purpose (an organisation's case key, a receipt hash key) from one secret."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode()
    ).derive(secret)
