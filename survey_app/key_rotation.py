"""`survey-app keys rotate`: every key file re-wrapped under a new key-encryption key, crash-safe.

The first version renamed folders (`wave-keys` to `wave-keys.old`, `wave-keys.new` to `wave-keys`)
and regenerated its staging key on every run: a SIGKILL between two renames left the worker with no
keys, and a rerun then overwrote the staging key and deleted the old folder, destroying every wave
key for good. Now each step is durable and a rerun continues where the last run stopped:

1. The new KEK is written once, durably, to `<kek>.new` (`staging_kek_file`); a rerun reuses it,
   never replaces it, since files may already be wrapped by it.
2. Key files are re-wrapped one at a time, each replaced atomically (survey_app/keys.py). A file
   that already opens with the new KEK is skipped; one that opens with neither stops the command
   with `error:` (exit 2) before anything is changed. While `<kek>.new` exists the worker opens
   files wrapped by either key, so a half-done rotation leaves every wave readable.
3. Only when every file opens with the new KEK is `<kek>.new` renamed over the KEK file (atomic).

At no point is the only copy of a live key removed: a key is always wrapped by a KEK that is on
disk (the old one until step 3, the new one from then on).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from survey_app import crashpoints
from survey_app.keys import (
    WAVE_SUFFIX,
    WRAPPED_FIELDS,
    WaveKeyStore,
    fsync_folder,
    read_secret_file,
    replace_shredding_old,
    staging_kek_file,
    wrapping_context,
    write_secret_file,
)
from survey_app.sealing import SealingError, open_with_key, seal_with_key

OPERATION = "keys-rotate"


def rotate_key_encryption_key(kek_file: Path | None) -> int:
    """Re-wrap every key file under a fresh KEK, then replace the KEK file. Returns waves re-wrapped."""
    store = WaveKeyStore(kek_file)
    assert kek_file is not None
    staging = staging_kek_file(kek_file)
    with store.lock("kek"):
        store.check()  # a wrong KEK stops here, before anything is written
        if not staging.exists():
            write_secret_file(staging)
            crashpoints.step(OPERATION)
        new_kek = read_secret_file(staging, "the new key-encryption key")
        store = WaveKeyStore(kek_file)  # now also opens files wrapped by the new KEK
        waves = 0
        for path in store.key_files():
            record = json.loads(path.read_text())
            waves += path.name.endswith(WAVE_SUFFIX)
            if _wrapped_by(new_kek, record, path):
                continue
            for field in WRAPPED_FIELDS:
                if field in record:
                    plain = store.unwrap(record, field, path)
                    record[field] = _b64(seal_with_key(new_kek, plain, wrapping_context(path)))
            replace_shredding_old(path, json.dumps(record).encode(), OPERATION)
            crashpoints.step(OPERATION)
        staging.replace(kek_file)
        fsync_folder(kek_file.parent)
        crashpoints.step(OPERATION)
    return waves


def _wrapped_by(kek: bytes, record: dict[str, str], path: Path) -> bool:
    try:
        for field in WRAPPED_FIELDS:
            if field in record:
                open_with_key(kek, base64.b64decode(record[field]), wrapping_context(path))
    except SealingError:
        return False
    return True


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
