"""Key files: the key-encryption key (worker and CLI) and the case key (web process).

The key-encryption key (KEK) never enters the database. Each wave's private and data keys are
stored wrapped by it in a key store beside the KEK file, not in the database, so destroying a
wave's wrapped keys (crypto-shredding) leaves its sealed parts unreadable in every database
backup too.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from survey_app.sealing import (
    WaveKeys,
    derive_key,
    new_secret_key,
    open_with_key,
    seal_with_key,
)

HOW_TO_MAKE_KEYS = (
    "run 'survey-app keys init' to create the key files, and set SURVEY_KEY_FILE "
    "(worker and CLI) and SURVEY_CASE_KEY_FILE (web process) to their paths"
)


class MissingKeyError(SystemExit):
    """Raised when a process starts without a key it needs; exits with a message that says why."""


def write_secret_file(path: Path, overwrite: bool = False) -> bool:
    """Create a 32-byte secret in a file readable by its owner only; False if it already exists."""
    if path.exists() and not overwrite:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(new_secret_key()).decode() + "\n")
    return True


def read_secret_file(path: Path | None, variable: str) -> bytes:
    if path is None:
        raise MissingKeyError(f"{variable} is not set: {HOW_TO_MAKE_KEYS}")
    try:
        raw = path.read_text().strip()
    except FileNotFoundError:
        raise MissingKeyError(f"{variable} points to {path}, which does not exist: {HOW_TO_MAKE_KEYS}") from None
    try:
        secret = base64.b64decode(raw, validate=True)
    except ValueError:
        raise MissingKeyError(f"{path} is not a key file made by 'survey-app keys init'") from None
    if len(secret) != 32:
        raise MissingKeyError(f"{path} is not a key file made by 'survey-app keys init'")
    return secret


def organisation_case_key(case_secret: bytes, organisation_id: str) -> bytes:
    return derive_key(case_secret, f"survey_app case key for organisation {organisation_id}")


class WaveKeyStore:
    """Wrapped wave keys, one file per wave, in a folder beside the KEK file."""

    def __init__(self, kek_file: Path | None) -> None:
        self.kek = read_secret_file(kek_file, "SURVEY_KEY_FILE")
        assert kek_file is not None
        self.folder = kek_file.parent / "wave-keys"

    def _path(self, wave_id: str) -> Path:
        return self.folder / f"{wave_id}.key"

    def store(self, wave_id: str, keys: WaveKeys) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        context = f"wave key {wave_id}".encode()
        record = {
            "public_key": base64.b64encode(keys.public_key).decode(),
            "private_key": base64.b64encode(seal_with_key(self.kek, keys.private_key, context)).decode(),
            "data_key": base64.b64encode(seal_with_key(self.kek, keys.data_key, context)).decode(),
        }
        fd = os.open(self._path(wave_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(record, handle)

    def load(self, wave_id: str) -> WaveKeys:
        try:
            record = json.loads(self._path(wave_id).read_text())
        except FileNotFoundError:
            raise KeyError(f"no keys for wave {wave_id}: they were destroyed or never made here") from None
        context = f"wave key {wave_id}".encode()
        return WaveKeys(
            public_key=base64.b64decode(record["public_key"]),
            private_key=open_with_key(self.kek, base64.b64decode(record["private_key"]), context),
            data_key=open_with_key(self.kek, base64.b64decode(record["data_key"]), context),
        )

    def has(self, wave_id: str) -> bool:
        return self._path(wave_id).exists()

    def destroy(self, wave_id: str) -> None:
        path = self._path(wave_id)
        if path.exists():
            # Overwrite before unlinking so the wrapped keys do not linger in free blocks.
            size = path.stat().st_size
            with open(path, "r+b") as handle:
                handle.write(os.urandom(size))
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()


def rotate_key_encryption_key(kek_file: Path | None) -> int:
    """Re-wrap every wave's keys under a fresh KEK, then replace the KEK file. Returns waves re-wrapped."""
    old = WaveKeyStore(kek_file)
    assert kek_file is not None
    wave_ids = [path.stem for path in old.folder.glob("*.key")] if old.folder.exists() else []
    opened = {wave_id: old.load(wave_id) for wave_id in wave_ids}
    staging = kek_file.with_suffix(".new")
    write_secret_file(staging, overwrite=True)
    new = WaveKeyStore(staging)
    new.folder = old.folder.with_name("wave-keys.new")
    for wave_id, wave_keys in opened.items():
        new.store(wave_id, wave_keys)
    backup = old.folder.with_name("wave-keys.old")
    if old.folder.exists():
        old.folder.rename(backup)
    new.folder.mkdir(parents=True, exist_ok=True)
    new.folder.rename(old.folder)
    staging.replace(kek_file)
    if backup.exists():
        for path in backup.glob("*.key"):
            path.unlink()
        backup.rmdir()
    return len(opened)
