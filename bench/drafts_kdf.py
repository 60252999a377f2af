"""Benchmark: what one guess at a draft's resume code costs, and how long a brute force would take.

Prints figures; it is not a test:

    .venv/bin/python bench/drafts_kdf.py [--rounds 20]

A draft (survey_app/drafts.py) is sealed under argon2id(code, salt). An insider with the database and
every key the web process and the worker hold can find which draft a locator (the first two words,
22 bits) belongs to, because the locator's keyed hash uses the case key; the other five words (55 bits)
they must guess, each guess one argon2id derivation. This prints the time per derivation on one core
here, beside an anchor timed in the same run (one SHA-256 of the same input, to show how much slower
the KDF is made on purpose), and the expected time to find one draft's code: half of 2**55 guesses.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from survey_app import drafts  # noqa: E402

SECONDS_A_YEAR = 365.25 * 24 * 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    code, salt = drafts.new_code(), os.urandom(drafts.SALT_BYTES)
    timings = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        drafts.draft_key(code, salt)
        timings.append(time.perf_counter() - start)
    per_guess = statistics.median(timings)
    start = time.perf_counter()
    for _ in range(10_000):
        hashlib.sha256(code.text.encode() + salt).digest()
    sha = (time.perf_counter() - start) / 10_000
    secret_bits = 11 * (drafts.CODE_WORDS - drafts.LOCATOR_WORDS)
    expected_guesses = 2 ** secret_bits / 2
    years_one_core = expected_guesses * per_guess / SECONDS_A_YEAR
    print(
        f"argon2id t={drafts.KDF_TIME_COST}, m={drafts.KDF_MEMORY_KIB // 1024} MiB, p={drafts.KDF_PARALLELISM}: "
        f"{per_guess * 1000:.0f} ms per guess (median of {args.rounds}) = {1 / per_guess:.1f} guesses/s per core; "
        f"anchor SHA-256 {sha * 1e6:.2f} us ({per_guess / sha:,.0f}x)"
    )
    print(
        f"secret part of a code: {drafts.CODE_WORDS - drafts.LOCATOR_WORDS} words = {secret_bits} bits; expected "
        f"{expected_guesses:.2e} guesses for one draft = {years_one_core:.2e} core-years "
        f"({years_one_core / 1e6:.2e} years on a million cores)"
    )
    print(f"load average: {os.getloadavg()[0]:.2f} (2 cores)")


if __name__ == "__main__":
    main()
