"""Limits on guessing receipts, kept per wave and per minute, never per address.

Counting by address would mean holding respondents' addresses; counting by wave holds nothing
about anyone. Counters live in Redis when REDIS_URL is set (shared by every web replica, gone
after two minutes), otherwise in the web process's memory.

Two buckets are checked before any receipt is tested: one for all receipts (every wrong attempt
counts there) and one for the wave the receipt's locator belongs to. The price: someone guessing
at a wave can make its respondents wait a minute; they can never read anything.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

WINDOW_SECONDS = 60
# All waves together may take this many times one wave's limit.
OVERALL_FACTOR = 5
OVERALL = "all"


class AttemptCounter(Protocol):
    def count(self, bucket: str) -> int: ...

    def add(self, bucket: str) -> None: ...


def _window(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // WINDOW_SECONDS)


class MemoryCounter:
    """Counts in this process (one web process, or tests)."""

    def __init__(self, clock: callable = time.time) -> None:  # type: ignore[valid-type]
        self._clock = clock
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def count(self, bucket: str) -> int:
        with self._lock:
            return self._counts.get((bucket, _window(self._clock())), 0)

    def add(self, bucket: str) -> None:
        window = _window(self._clock())
        with self._lock:
            for key in [key for key in self._counts if key[1] < window]:
                del self._counts[key]
            self._counts[(bucket, window)] = self._counts.get((bucket, window), 0) + 1


class RedisCounter:
    """Counts in Redis, so that every web replica shares them."""

    def __init__(self, url: str, namespace: str = "survey_app_receipt_attempts") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._namespace = namespace

    def _key(self, bucket: str) -> str:
        return f"{self._namespace}:{bucket}:{_window()}"

    def count(self, bucket: str) -> int:
        value = self._redis.get(self._key(bucket))
        return int(value) if value is not None else 0

    def add(self, bucket: str) -> None:
        key = self._key(bucket)
        with self._redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, 2 * WINDOW_SECONDS)
            pipe.execute()


class ReceiptLimiter:
    def __init__(self, counter: AttemptCounter, per_wave_per_minute: int) -> None:
        self.counter = counter
        self.per_wave = per_wave_per_minute

    def overall_exhausted(self) -> bool:
        return self.counter.count(OVERALL) >= self.per_wave * OVERALL_FACTOR

    def wave_exhausted(self, wave_ids: list[str]) -> bool:
        return any(self.counter.count(f"wave:{wave_id}") >= self.per_wave for wave_id in wave_ids)

    def record_failure(self, wave_ids: list[str]) -> None:
        self.counter.add(OVERALL)
        for wave_id in wave_ids:
            self.counter.add(f"wave:{wave_id}")


def limiter_for(redis_url: str | None, per_wave_per_minute: int) -> ReceiptLimiter:
    counter: AttemptCounter = RedisCounter(redis_url) if redis_url else MemoryCounter()
    return ReceiptLimiter(counter, per_wave_per_minute)
