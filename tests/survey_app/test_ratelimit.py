"""The limiter's counters: exact under parallel use, in memory and in Redis (survey_app/ratelimit.py)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from survey_app.ratelimit import (
    CAP_SECONDS,
    FREE_ATTEMPTS,
    GuessLimiter,
    MemoryStore,
    RedisStore,
    backoff_delay,
)
from tests.survey_app.test_staff_access import REDIS_URL


def _redis_store(clock: Any) -> RedisStore:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    return RedisStore(REDIS_URL, namespace=f"survey_app_test_limits_{os.getpid()}_{id(clock)}", clock=clock)


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Any:
    clock = lambda: 1_000_005.0  # noqa: E731  (one window, however slow the machine)
    return MemoryStore(clock=clock) if request.param == "memory" else _redis_store(clock)


def test_the_back_off_doubles_to_its_cap() -> None:
    assert [backoff_delay(n) for n in range(1, 12)] == [0, 0, 0, 2, 4, 8, 16, 32, 64, 64, 64]
    assert FREE_ATTEMPTS == 3 and CAP_SECONDS == 64


def test_a_window_lets_exactly_its_limit_through_in_parallel(store: Any) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        decisions = list(pool.map(lambda _: store.window_take("wave", 50), range(150)))
    assert sum(d.allowed for d in decisions) == 50
    assert all(1 <= d.retry_after <= 60 for d in decisions if not d.allowed)


def test_a_locator_backs_off_exactly_in_parallel(store: Any) -> None:
    limiter = GuessLimiter(store, "test")
    with ThreadPoolExecutor(max_workers=16) as pool:
        decisions = list(pool.map(lambda _: limiter.attempt("locator-hash"), range(100)))
    # Three free attempts and the fourth, which starts the first wait: nothing more, however parallel.
    assert sum(d.allowed for d in decisions) == FREE_ATTEMPTS + 1
    limiter.succeeded("locator-hash")
    assert limiter.attempt("locator-hash").allowed


def test_the_back_off_waits_and_forgets() -> None:
    now = [0.0]
    limiter = GuessLimiter(MemoryStore(clock=lambda: now[0]), "test")
    for _ in range(FREE_ATTEMPTS + 1):
        assert limiter.attempt("k").allowed
    refused = limiter.attempt("k")
    assert not refused.allowed and refused.retry_after == 2
    now[0] += 2
    assert limiter.attempt("k").allowed
    assert limiter.attempt("k").retry_after == 4
    now[0] += 4 + 15 * 60  # a quiet quarter of an hour: the free attempts are back
    assert all(limiter.attempt("k").allowed for _ in range(FREE_ATTEMPTS + 1))
