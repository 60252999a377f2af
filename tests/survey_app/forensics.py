"""An insider's toolkit: raw bytes of a database's files, and every sealed record in them that a key opens.

Used by tests/survey_app/test_insider_attack.py. It needs nothing from the application but the
sealing format (survey_app/sealing.py), the key store's file format and the database files
themselves, so the same attack runs against any version of the code.

- `sqlite_bytes`: the database file, `-wal` and `-shm`, copied while the application's connections
  are still open (closing the last one would checkpoint and delete the WAL: an attacker does not wait).
- `postgres_wal_bytes` / `postgres_relation_bytes`: `pg_wal` segments of an LSN range, with the WAL
  page headers cut out so records that cross a page read as one; the relation files (heap, TOAST,
  indexes) of the test database, read with `pg_read_binary_file` after CHECKPOINT and no VACUUM.
- `open_sealed_boxes`: tries every offset of the bytes as the start of a sealed box (version byte,
  32-byte ephemeral X25519 key, 12-byte nonce) with every private key; the first 16 bytes of the
  AES-GCM stream (CTR mode) tell whether the key fits (the padded plaintext starts with its length
  and a JSON object), and then as much of the record as is contiguous is decrypted, so even a
  record cut by a page boundary gives up its beginning.
- `open_symmetric_records`: the same for AES-GCM records under symmetric keys (data key, case keys),
  every offset at once with numpy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import Engine, text

KEY_BYTES, NONCE_BYTES, TAG_BYTES = 32, 12, 16
BOX_HEADER = 1 + KEY_BYTES + NONCE_BYTES
LARGEST_RECORD = 1 << 16
WAL_PAGE, WAL_SHORT_HEADER, WAL_LONG_HEADER = 8192, 24, 40


@dataclass(frozen=True)
class HeldKeys:
    """Every key the worker holds: inbox private keys and symmetric keys (data keys, case keys)."""

    private_keys: list[bytes]
    symmetric_keys: list[bytes]


def keys_in_store(kek: bytes, folder: Path) -> HeldKeys:
    """Unwrap every key file in the key store beside the KEK (any format this project has used)."""
    private, symmetric = [], []
    for path in sorted(folder.iterdir()) if folder.exists() else []:
        if path.name.endswith(".inbox"):
            wave_id, epoch_id = path.name.removesuffix(".inbox").split(".")
            context = f"inbox key {wave_id} {epoch_id}".encode()
        elif path.name.endswith(".key"):
            context = f"wave key {path.name.removesuffix('.key')}".encode()
        else:
            continue
        record = json.loads(path.read_text())
        for field, found in (("private_key", private), ("data_key", symmetric)):
            if field in record:
                sealed = base64.b64decode(record[field])
                found.append(_unpad(_gcm_open(kek, sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)))
    return HeldKeys(private, symmetric)


# --- raw bytes ------------------------------------------------------------------------------------

def sqlite_bytes(database: Path) -> bytes:
    return b"".join(
        path.read_bytes() for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm"))
        if path.exists()
    )


def wal_position(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT pg_walfile_name(pg_current_wal_lsn())")).scalar_one())


def postgres_wal_bytes(engine: Engine, first_segment: str) -> bytes:
    """Every `pg_wal` segment from `first_segment` to the current one, page headers cut out."""
    last = wal_position(engine)
    with engine.connect() as connection:
        names = sorted(
            name
            for name in connection.execute(text("SELECT name FROM pg_ls_waldir()")).scalars()
            if len(name) == 24 and first_segment <= name <= last
        )
        chunks = []
        for name in names:
            segment = bytes(connection.execute(text("SELECT pg_read_binary_file('pg_wal/' || :n)"), {"n": name}).scalar_one())
            chunks.append(_strip_wal_page_headers(segment))
    return b"".join(chunks)


def _strip_wal_page_headers(segment: bytes) -> bytes:
    pages = []
    for start in range(0, len(segment), WAL_PAGE):
        header = WAL_LONG_HEADER if start == 0 else WAL_SHORT_HEADER
        pages.append(segment[start + header : start + WAL_PAGE])
    return b"".join(pages)


def postgres_relation_bytes(engine: Engine) -> bytes:
    """Every relation file of this database (tables, TOAST, indexes), as on disk after a CHECKPOINT."""
    with engine.connect() as connection:
        connection.execute(text("CHECKPOINT"))
        paths = connection.execute(
            text(
                "SELECT pg_relation_filepath(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind IN ('r', 't', 'i', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                " AND pg_relation_filepath(c.oid) IS NOT NULL"
            )
        ).scalars().all()
        chunks = []
        for path in paths:
            size = connection.execute(text("SELECT (pg_stat_file(:p, true)).size"), {"p": path}).scalar_one()
            if size:
                found = connection.execute(text("SELECT pg_read_binary_file(:p, 0, :n)"), {"p": path, "n": size})
                chunks.append(bytes(found.scalar_one()))
    return b"".join(chunks)


# --- opening every record ---------------------------------------------------------------------------

def _gcm_open(key: bytes, nonce: bytes, ciphertext: bytes, context: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key).decrypt(nonce, ciphertext, context)


def _unpad(padded: bytes) -> bytes:
    length = int.from_bytes(padded[:4], "big")
    return padded[4 : 4 + length]


def _hkdf(shared: bytes, info: bytes) -> bytes:
    prk = hmac.new(b"\x00" * 32, shared, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def _ctr(key: bytes, nonce: bytes, data: bytes) -> bytes:
    """AES-GCM's keystream for this nonce (counter from 2), over `data`: decryption without the tag."""
    decryptor = Cipher(algorithms.AES(key), modes.CTR(nonce + b"\x00\x00\x00\x02")).decryptor()
    return decryptor.update(data)


def _plausible(first_block: bytes) -> bool:
    length = int.from_bytes(first_block[:4], "big")
    return 0 < length < LARGEST_RECORD and first_block[4:5] in (b"{", b"[")


def open_sealed_boxes(blob: bytes, private_keys: list[bytes]) -> list[bytes]:
    """Plaintexts (or their contiguous beginnings) of every sealed box in `blob` that a key opens."""
    if not private_keys or len(blob) < BOX_HEADER + 16:
        return []
    recipients = [(X25519PrivateKey.from_private_bytes(k), _public(k)) for k in private_keys]
    data = np.frombuffer(blob, dtype=np.uint8)
    candidates = np.nonzero(data[: len(blob) - BOX_HEADER - 16] == 1)[0]
    # An X25519 public key is below 2**255: the top bit of its last byte is clear.
    candidates = candidates[(data[candidates + KEY_BYTES] & 0x80) == 0]
    # The 44 bytes of key and nonce are uniformly random: hardly ever 4 zero bytes, or fewer than 8
    # bytes above 127 (each happens by chance about once in 10**4 to 10**5 real boxes). Page
    # headers, integers and text fail these at once, so only random-looking spots are tried.
    windows = np.lib.stride_tricks.sliding_window_view(data, BOX_HEADER - 1)[candidates + 1]
    random_looking = ((windows == 0).sum(axis=1) < 4) & ((windows >= 0x80).sum(axis=1) >= 8)
    candidates = candidates[random_looking]
    found = []
    for offset in candidates.tolist():
        ephemeral = blob[offset + 1 : offset + 1 + KEY_BYTES]
        nonce = blob[offset + 1 + KEY_BYTES : offset + BOX_HEADER]
        for private, public in recipients:
            try:
                shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
            except ValueError:
                continue
            key = _hkdf(shared, b"survey_app sealed box v1" + ephemeral + public)
            start = offset + BOX_HEADER
            if not _plausible(_ctr(key, nonce, blob[start : start + 16])):
                continue
            found.append(_unpad(_ctr(key, nonce, blob[start : start + LARGEST_RECORD])))
    return found


def _public(private_key: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return X25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def open_symmetric_records(blob: bytes, keys: list[bytes], chunk: int = 1 << 20) -> list[bytes]:
    """Plaintexts (or beginnings) of every AES-GCM record (nonce, ciphertext) under these keys."""
    found = []
    data = np.frombuffer(blob, dtype=np.uint8)
    usable = len(blob) - NONCE_BYTES - 16
    if usable <= 0:
        return []
    windows = np.lib.stride_tricks.sliding_window_view(data, NONCE_BYTES + 16)
    counter = np.frombuffer(b"\x00\x00\x00\x02", dtype=np.uint8)
    for key in keys:
        encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        for start in range(0, usable, chunk):
            block = windows[start : min(start + chunk, usable)]
            counters = np.concatenate([block[:, :NONCE_BYTES], np.broadcast_to(counter, (len(block), 4))], axis=1)
            stream = np.frombuffer(encryptor.update(counters.tobytes()), dtype=np.uint8).reshape(-1, 16)
            first = stream[:, :6] ^ block[:, NONCE_BYTES : NONCE_BYTES + 6]
            hits = np.nonzero(
                (first[:, 0] == 0) & (first[:, 1] == 0) & ((first[:, 4] == ord("{")) | (first[:, 4] == ord("[")))
            )[0]
            for hit in (start + hits).tolist():
                nonce = blob[hit : hit + NONCE_BYTES]
                found.append(_unpad(_ctr(key, nonce, blob[hit + NONCE_BYTES : hit + NONCE_BYTES + LARGEST_RECORD])))
    return found


# --- what a recovered record gives away ------------------------------------------------------------

CLOSED_MARKER = re.compile(rb'"q35":(\d+)')
TEXT_MARKER = re.compile(rb"marker-(\d+)-")


def markers(plaintext: bytes) -> tuple[set[int], set[int]]:
    """(closed-answer markers, text markers) a recovered plaintext carries."""
    return (
        {int(m) for m in CLOSED_MARKER.findall(plaintext)},
        {int(m) for m in TEXT_MARKER.findall(plaintext)},
    )
