"""Key files: the key-encryption key (worker and CLI), the case key (web process) and the key store.

The key-encryption key (KEK) never enters the database. Everything it protects lives in a key store
beside the KEK file (`wave-keys/`), never in the database:

- `<wave>.key`: the wave's data key, which seals its mixed parts until the wave is retired;
- `<wave>.<epoch>.inbox`: the private key of one inbox epoch (survey_app/epochs.py), destroyed as
  soon as the responses sealed to it have been mixed or re-sealed to the next epoch.

So destroying a file (crypto-shredding) leaves what it opened unreadable in every database copy,
WAL segment and backup too.

No crash may destroy a key, and a destroyed key must stay destroyed. So every change to a key file
is a journaled step: the new content is written to a temporary file and fsynced, renamed over the
old one (atomic), and the folder is fsynced. Superseded content is first given a second name
(`.shred`) and overwritten before it is unlinked, so an old wrapping of a later-destroyed key does
not linger in free blocks. A rerun after a crash anywhere sweeps what was left half-way (a `.tmp`
is dropped; a `.shred` is overwritten unless it is still the live file). Overwriting in place only
erases on filesystems that write in place: keep the key store off copy-on-write filesystems and
snapshots (deploy/OPERATIONS.md).

Writers take the store's locks (`WaveKeyStore.lock`): `keys rotate` waits for every other writer
and excludes them, so no key file is written under a KEK it is replacing; worker rounds run one at a
time; `wave open` runs alongside a round (it writes only a new wave's files). A round sweeps leftovers
only while no other round or rotation can be writing.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from survey_app import crashpoints
from survey_app.sealing import (
    InboxKeyPair,
    SealingError,
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


class WrongKeyError(Exception):
    """The key-encryption key does not open the key store (the CLI says so in one line, exit 2)."""


# --- durable files ------------------------------------------------------------------------------

def fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes) -> None:
    """Write, fsync, rename over `path` (atomic), fsync the folder: all of the new content or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".tmp")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, path)
    fsync_folder(path.parent)


def shred(path: Path) -> None:
    """Overwrite with random bytes, fsync, unlink, fsync the folder. Nothing to do if it is gone."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    with open(path, "r+b") as handle:
        handle.write(os.urandom(max(size, 1)))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()
    fsync_folder(path.parent)


def replace_shredding_old(path: Path, data: bytes, operation: str) -> None:
    """Replace a key file's content and overwrite the superseded content before it is unlinked."""
    old = path.with_name(path.name + ".shred")
    if path.exists() and not old.exists():
        os.link(path, old)
        fsync_folder(path.parent)
    crashpoints.step(operation)
    write_durably(path, data)
    crashpoints.step(operation)
    shred(old)


def sweep(folder: Path, staging_older_than: float = 0.0) -> None:
    """Finish what a killed writer left: shred `.tmp` files (older than `staging_older_than` seconds,
    so that a `wave open` writing alongside keeps its own) and superseded `.shred` contents."""
    if not folder.exists():
        return
    now = time.time()
    for staging in folder.glob("*.tmp"):
        if now - staging.stat().st_mtime >= staging_older_than:
            shred(staging)
    for old in folder.glob("*.shred"):
        live = old.with_name(old.name.removesuffix(".shred"))
        if live.exists() and os.path.samefile(live, old):
            old.unlink()  # killed before the replacement: this is still the live content
        else:
            shred(old)


def write_secret_file(path: Path, overwrite: bool = False) -> bool:
    """Create a 32-byte secret in a file readable by its owner only; False if it already exists."""
    if path.exists() and not overwrite:
        return False
    write_durably(path, (base64.b64encode(new_secret_key()).decode() + "\n").encode())
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


# --- the key store --------------------------------------------------------------------------------

def _flock(path: Path, exclusive: bool) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    return fd


WAVE_SUFFIX = ".key"
EPOCH_SUFFIX = ".inbox"
# Fields of a key file that hold a key wrapped by the KEK (the others are public).
WRAPPED_FIELDS = ("private_key", "data_key")


def staging_kek_file(kek_file: Path) -> Path:
    """Where `keys rotate` keeps the new KEK until every key file is wrapped by it."""
    return kek_file.with_suffix(".new")


def wrapping_context(path: Path) -> bytes:
    """What a key file's wrapped keys are bound to: its wave (and epoch), so files cannot be swapped."""
    if path.name.endswith(EPOCH_SUFFIX):
        wave_id, epoch_id = path.name.removesuffix(EPOCH_SUFFIX).split(".")
        return f"inbox key {wave_id} {epoch_id}".encode()
    return f"wave key {path.name.removesuffix(WAVE_SUFFIX)}".encode()


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class WaveKeyStore:
    """Wrapped wave and inbox keys in a folder beside the KEK file."""

    def __init__(self, kek_file: Path | None) -> None:
        self.kek = read_secret_file(kek_file, "SURVEY_KEY_FILE")
        assert kek_file is not None
        self.kek_file = kek_file
        self.folder = kek_file.parent / "wave-keys"
        # A `keys rotate` that was killed half-way leaves some files wrapped by the next KEK:
        # they open with it until the rerun finishes (survey_app/key_rotation.py).
        staging = staging_kek_file(kek_file)
        self.keks = [self.kek] + ([read_secret_file(staging, "the new key-encryption key")] if staging.exists() else [])

    # -- locking and paths
    @contextmanager
    def lock(self, purpose: str) -> Iterator[None]:
        """Writers of the store, on one host: `keys rotate` ("kek") alone; worker rounds ("round") one
        at a time; `wave open` ("open") alongside a round, since it writes only a new wave's files
        and may hold a database transaction that a round waits for."""
        self.folder.mkdir(parents=True, exist_ok=True)
        held = []
        try:
            held.append(_flock(self.folder / ".kek.lock", exclusive=purpose == "kek"))
            if purpose in ("kek", "round"):
                held.append(_flock(self.folder / ".round.lock", exclusive=True))
                sweep(self.folder, staging_older_than=0 if purpose == "kek" else 600)
            yield
        finally:
            for fd in reversed(held):
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _path(self, wave_id: str) -> Path:
        return self.folder / f"{wave_id}{WAVE_SUFFIX}"

    def _epoch_path(self, wave_id: str, epoch_id: str) -> Path:
        return self.folder / f"{wave_id}.{epoch_id}{EPOCH_SUFFIX}"

    def key_files(self) -> list[Path]:
        if not self.folder.exists():
            return []
        return sorted([*self.folder.glob(f"*{WAVE_SUFFIX}"), *self.folder.glob(f"*{EPOCH_SUFFIX}")])

    # -- wrapping
    def _wrap(self, value: bytes, path: Path) -> str:
        return _b64(seal_with_key(self.kek, value, wrapping_context(path)))

    def unwrap(self, record: dict[str, Any], field: str, path: Path) -> bytes:
        sealed = base64.b64decode(record[field])
        for kek in self.keks:
            try:
                return open_with_key(kek, sealed, wrapping_context(path))
            except SealingError:
                continue
        raise WrongKeyError(
            f"the key-encryption key in {self.kek_file} does not open {path}: SURVEY_KEY_FILE is not the key "
            "that wrapped this key store (restore the right key from escrow; never run 'keys init' over it)"
        )

    def _read(self, path: Path, missing: str) -> dict[str, Any]:
        try:
            return dict(json.loads(path.read_text()))
        except FileNotFoundError:
            raise KeyError(missing) from None

    def check(self) -> None:
        """Raise WrongKeyError unless the KEK opens every key file in the store."""
        for path in self.key_files():
            record = json.loads(path.read_text())
            for field in WRAPPED_FIELDS:
                if field in record:
                    self.unwrap(record, field, path)

    # -- wave keys (data key; a wave opened before inbox epochs also has its first inbox key here)
    def store(self, wave_id: str, keys: WaveKeys) -> None:
        path = self._path(wave_id)
        if path.exists():
            raise FileExistsError(f"{path} exists: a wave's keys are never replaced")
        write_durably(path, json.dumps({"data_key": self._wrap(keys.data_key, path)}).encode())

    def load(self, wave_id: str) -> WaveKeys:
        path = self._path(wave_id)
        record = self._read(path, f"no keys for wave {wave_id}: they were destroyed or never made here")
        return WaveKeys(data_key=self.unwrap(record, "data_key", path))

    def has(self, wave_id: str) -> bool:
        return self._path(wave_id).exists()

    def destroy(self, wave_id: str) -> None:
        """Crypto-shredding at retirement: the wave's data key and every inbox key it still has."""
        for path in self.folder.glob(f"{wave_id}.*{EPOCH_SUFFIX}") if self.folder.exists() else []:
            shred(path)
        shred(self._path(wave_id))

    def legacy_inbox_key(self, wave_id: str) -> InboxKeyPair | None:
        """The inbox key pair a wave opened before inbox epochs keeps in its wave file, if any."""
        path = self._path(wave_id)
        if not path.exists():
            return None
        record = json.loads(path.read_text())
        if "private_key" not in record:
            return None
        return InboxKeyPair(
            public_key=base64.b64decode(record["public_key"]), private_key=self.unwrap(record, "private_key", path)
        )

    def strip_legacy_inbox_key(self, wave_id: str) -> None:
        """Rewrite an old wave file with its data key only; its old content is overwritten."""
        path = self._path(wave_id)
        record = json.loads(path.read_text())
        if "private_key" not in record:
            return
        kept = {"data_key": record["data_key"]}
        replace_shredding_old(path, json.dumps(kept).encode(), "epoch-rotation")

    # -- inbox epoch keys
    def store_inbox_key(self, wave_id: str, epoch_id: str, pair: InboxKeyPair) -> None:
        path = self._epoch_path(wave_id, epoch_id)
        record = {"public_key": _b64(pair.public_key), "private_key": self._wrap(pair.private_key, path)}
        write_durably(path, json.dumps(record).encode())

    def load_inbox_key(self, wave_id: str, epoch_id: str) -> bytes:
        path = self._epoch_path(wave_id, epoch_id)
        record = self._read(path, f"no inbox key {epoch_id} for wave {wave_id}: it was destroyed or never made here")
        return self.unwrap(record, "private_key", path)

    def inbox_key_ids(self, wave_id: str) -> set[str]:
        if not self.folder.exists():
            return set()
        return {path.name.split(".")[1] for path in self.folder.glob(f"{wave_id}.*{EPOCH_SUFFIX}")}

    def has_inbox_key(self, wave_id: str, epoch_id: str) -> bool:
        return self._epoch_path(wave_id, epoch_id).exists()

    def destroy_inbox_key(self, wave_id: str, epoch_id: str) -> None:
        shred(self._epoch_path(wave_id, epoch_id))
