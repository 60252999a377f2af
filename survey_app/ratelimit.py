"""Limits that hold nothing about anyone: counters per wave or per keyed hash, never per address.

Counting by address would mean holding respondents' addresses; these count by what is being
protected instead. Two kinds, both *atomic* (Redis INCR and a server-side script when REDIS_URL is
set, so every web replica shares them; a lock in this process otherwise), because a limit that is
read and then written lets parallel requests through together: 150 parallel wrong receipts once
got 58-68 tests past a limit of 50. Here a request first *takes* its place (the counter moves
before anything is tested) and is refused if there was none, so exactly the limit gets through.

- `window_take(bucket, limit)`: a fixed one-minute window. The open-link budget (survey_app/
  open_link.py) and the overall limit on guesses use it.
- `backoff_take(key)` / `backoff_clear(key)`: exponential back-off per key, in seconds. After
  `FREE_ATTEMPTS` attempts (typing mistakes), each attempt must wait 2, 4, 8 ... seconds after the
  previous one, at most `CAP_SECONDS`; a success clears it, and `QUIET_SECONDS` without an attempt
  forget it.

`GuessLimiter` combines them for secrets that are found by a short *locator* and opened by the
rest: FTSU receipts (survey_app/ftsu/receipt_controller.py) and, later, save-and-return codes,
with the same rules. The back-off is per locator (a keyed hash, whether or not the locator exists,
so a refusal tells nothing); the overall limit is per minute for everything, and high.

The arithmetic, for a receipt of seven words from 2,048 (77 bits; the two-word locator is 22 of
them, the other five words 55 bits), with the defaults below:

- **One case whose locator the guesser knows** (they saw the first two words): after 3 free
  attempts the back-off reaches the 64 s cap within 6 more, and the state is forgotten only after
  15 quiet minutes (which restarts the free attempts: 4 tests per 15 minutes, slower than the cap).
  So at most ~1 test a minute: the expected time to hit the 2^55 remaining possibilities is
  2^54 minutes, about 3.4e10 years.
- **Any case at all, locators unknown**: every guess is a new locator, so the back-off never bites;
  the overall limit does. At L wrong receipts a minute and C live cases, a guess succeeds with
  probability C / 2^77: expected time 2^77 / (C * L) minutes. With the default L = 100,000 a minute
  (far more than one client gets through a replica: /receipt, which renders a page per attempt,
  answered 56 wrong receipts a second under wrk with 32 connections on the shared 2-core machine,
  about 3,400 a minute) and C = 100,000 cases, 1.5e13 minutes, about 29 million years.
- **The rightful holder** is never locked out. Wrong receipts for other locators never touch their
  locator. The overall limit, if a crowd of clients ever reaches it, refuses for the rest of the
  minute only. Someone who knows the holder's locator can make them wait out the back-off (at most
  64 s after the last wrong attempt), and keep doing so only by sending a wrong attempt at least
  once a minute for as long as they want the holder kept waiting; nothing is locked for days as
  before, and nothing is stored in the database.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

WINDOW_SECONDS = 60
FREE_ATTEMPTS = 3
CAP_SECONDS = 64
QUIET_SECONDS = 15 * 60
# Wrong guesses a minute over everything (receipts): above what one client gets through a replica.
DEFAULT_GUESSES_PER_MINUTE = 100_000


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # Whole seconds to wait before trying again (0 when allowed): for a page and `Retry-After`.
    retry_after: int = 0


ALLOWED = Decision(True, 0)


def backoff_delay(attempts: int) -> float:
    """Seconds the next attempt must wait after the `attempts`-th one."""
    if attempts <= FREE_ATTEMPTS:
        return 0.0
    return float(min(2 ** (attempts - FREE_ATTEMPTS), CAP_SECONDS))


class LimitStore(Protocol):
    def window_take(self, bucket: str, limit: int) -> Decision: ...

    def backoff_take(self, key: str) -> Decision: ...

    def backoff_clear(self, key: str) -> None: ...


def _seconds_left_in_window(now: float) -> int:
    return max(1, math.ceil(WINDOW_SECONDS - now % WINDOW_SECONDS))


class MemoryStore:
    """Counters in this process (one web process, or tests); a lock makes each take atomic."""

    def __init__(self, clock: Any = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, int], int] = {}
        # key -> (attempts, earliest next attempt, forgotten after)
        self._backoff: dict[str, tuple[int, float, float]] = {}

    def window_take(self, bucket: str, limit: int) -> Decision:
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        with self._lock:
            if len(self._windows) > 10_000:
                for key in [key for key in self._windows if key[1] < window]:
                    del self._windows[key]
            count = self._windows.get((bucket, window), 0) + 1
            self._windows[(bucket, window)] = count
        return ALLOWED if count <= limit else Decision(False, _seconds_left_in_window(now))

    def backoff_take(self, key: str) -> Decision:
        now = self._clock()
        with self._lock:
            if len(self._backoff) > 100_000:
                for stale in [k for k, (_, _, until) in self._backoff.items() if until <= now]:
                    del self._backoff[stale]
            attempts, earliest, forgotten = self._backoff.get(key, (0, 0.0, 0.0))
            if forgotten <= now:
                attempts, earliest = 0, 0.0
            if now < earliest:
                return Decision(False, max(1, math.ceil(earliest - now)))
            attempts += 1
            delay = backoff_delay(attempts)
            self._backoff[key] = (attempts, now + delay, now + delay + QUIET_SECONDS)
        return ALLOWED

    def backoff_clear(self, key: str) -> None:
        with self._lock:
            self._backoff.pop(key, None)


# One round trip, run atomically by Redis: refuse while waiting, else count the attempt and set
# the next wait. Redis's own clock, so replicas whose clocks differ still agree.
_BACKOFF_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'n', 'next')
local n = tonumber(state[1]) or 0
local nxt = tonumber(state[2]) or 0
if now < nxt then return nxt - now end
n = n + 1
local free, cap, quiet = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local delay = 0
if n > free then delay = math.min(2 ^ (n - free), cap) * 1000 end
redis.call('HSET', KEYS[1], 'n', n, 'next', now + delay)
redis.call('PEXPIRE', KEYS[1], delay + quiet * 1000)
return 0
"""


class RedisStore:
    """Counters in Redis, shared by every web replica; keys expire on their own."""

    def __init__(self, url: str, namespace: str = "survey_app_limits", clock: Any = time.time) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._namespace = namespace
        self._clock = clock  # picks the window; the back-off uses Redis's own clock
        self._backoff_script = self._redis.register_script(_BACKOFF_SCRIPT)

    def window_take(self, bucket: str, limit: int) -> Decision:
        now = self._clock()
        key = f"{self._namespace}:window:{bucket}:{int(now // WINDOW_SECONDS)}"
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 2 * WINDOW_SECONDS)
            count, _ = pipe.execute()
        return ALLOWED if int(count) <= limit else Decision(False, _seconds_left_in_window(now))

    def backoff_take(self, key: str) -> Decision:
        wait_ms = int(
            self._backoff_script(
                keys=[f"{self._namespace}:backoff:{key}"], args=[FREE_ATTEMPTS, CAP_SECONDS, QUIET_SECONDS]
            )
        )
        return ALLOWED if wait_ms <= 0 else Decision(False, max(1, math.ceil(wait_ms / 1000)))

    def backoff_clear(self, key: str) -> None:
        self._redis.delete(f"{self._namespace}:backoff:{key}")


def store_for(redis_url: str | None, namespace: str = "survey_app_limits") -> LimitStore:
    """Redis when REDIS_URL is set (shared by replicas), else this process's memory."""
    return RedisStore(redis_url, namespace) if redis_url else MemoryStore()


class GuessLimiter:
    """Guessing a secret found by a locator: back-off per locator, and a high limit over everything."""

    def __init__(self, store: LimitStore, name: str, overall_per_minute: int = DEFAULT_GUESSES_PER_MINUTE) -> None:
        self.store = store
        self.name = name
        self.overall_per_minute = overall_per_minute

    def attempt(self, locator_key: str) -> Decision:
        """Take a place for one test of a secret under this locator (a keyed hash), or say how long to wait."""
        decision = self.store.backoff_take(f"{self.name}:{locator_key}")
        if not decision.allowed:
            return decision
        return self.store.window_take(f"{self.name}:all", self.overall_per_minute)

    def succeeded(self, locator_key: str) -> None:
        """The holder got in: their typing mistakes are forgotten."""
        self.store.backoff_clear(f"{self.name}:{locator_key}")
