"""The public quiz's counters: its rate limits (per minute) and its SMS caps (per day).

A counter is a named bucket ("ip:1.2.3.4", "sms-day:all") counted in a fixed window: the count of
the current minute, or of the current day (the site's day). ``hit`` adds one to each bucket of a
request and returns the counts; ``over_limits`` compares them with the limits.

Where the counts live:
- Redis, when the default cache is Redis (REDIS_URL: production). Shared by every worker, and
  every bucket of a request in ONE round trip (a script); a key expires with its window.
- Otherwise a table of this process's own, not the Django cache. The local-memory cache holds 300
  entries and culls a third when full, so ~400 requests that put anything in it (the unit picker
  caches each search) used to evict the counters and reset every limit. ``CounterTable`` holds
  only counters, drops a window's counters only when the window is over, and is bounded: when it is
  full of live counters a NEW bucket counts as over its limit (fail closed) and no existing count
  is forgotten, so filling it resets no one. The database was the other candidate (shared by the
  workers), but it would be a write on every start, the hottest path, and behind a school's NAT
  hundreds of starts a second would queue on one row's lock (the address's counter). Per process
  means each worker counts alone (with N workers a limit is up to N times as loose), as the
  local-memory cache did: the embedded default is for one machine; production sets REDIS_URL.
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time
from collections.abc import Sequence

from django.core.cache import cache, caches
from django.utils import timezone

MINUTE = 60
DAY = 86_400
MAX_COUNTERS = 100_000  # live buckets per process: a burst of 3,000 starts uses ~6,000 a minute
FULL = sys.maxsize  # the count a new bucket gets when the table is full: over any limit

# Count one hit in each key's window: INCR, and EXPIRE only when the window opens. One command for
# all the buckets of a request, and two Redis operations per key, not four.
RATE_LUA = """
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, ARGV[1]) end
  out[i] = n
end
return out
"""


class CounterTable:
    """Counts per (window, slot) in this process, at most ``size`` buckets in all. A window's
    counters are dropped together once the window is over (when a later one opens)."""

    def __init__(self, size: int = MAX_COUNTERS):
        self.size = size
        self.slots: dict[tuple[int, int], dict[str, int]] = {}
        self.held = 0
        self.lock = threading.Lock()

    def hit(self, names: Sequence[str], *, window: int, slot: int) -> list[int]:
        out = []
        with self.lock:
            counts = self.slots.get((window, slot))
            if counts is None:
                self._drop_before(window, slot)
                counts = self.slots[(window, slot)] = {}
            for name in names:
                count = counts.get(name, 0) + 1
                if count == 1:
                    if self.held >= self.size:
                        out.append(FULL)
                        continue
                    self.held += 1
                counts[name] = count
                out.append(count)
        return out

    def _drop_before(self, window: int, slot: int) -> None:
        for key in [k for k in self.slots if k[0] == window and k[1] < slot]:
            self.held -= len(self.slots.pop(key))

    def clear(self) -> None:
        with self.lock:
            self.slots.clear()
            self.held = 0


table = CounterTable()
clock = time.time  # the windows' clock (tests move it on)

_redis = None
_rate_script = None


def _redis_client():
    """One Redis client per process when the cache is Redis (Django's cache builds a new client
    object, with its ~200 response callbacks, on every call), else None."""
    global _redis, _rate_script
    if _redis is None:
        from django.core.cache.backends.redis import RedisCache

        backend = caches["default"]
        _redis = backend._cache.get_client(write=True) if isinstance(backend, RedisCache) else False
        _rate_script = _redis.register_script(RATE_LUA) if _redis else None
    return _redis or None


def reset() -> None:
    """Forget this process's counters and Redis client (tests; a settings change)."""
    global _redis, _rate_script
    table.clear()
    _redis = _rate_script = None


def _slot(window: int, now: float) -> int:
    if window < 3600:
        return int(now // window)
    # Days (and hours) of the site's time zone: a daily cap starts again at local midnight.
    offset = dt.datetime.fromtimestamp(now, tz=timezone.get_default_timezone()).utcoffset()
    return int((now + offset.total_seconds()) // window)


def hit(names: Sequence[str], *, window: int = MINUTE) -> list[int]:
    """Count one hit in each bucket's current window; the counts after it, in order."""
    now = clock()
    slot = _slot(window, now)
    if _redis_client() is not None:
        keys = [cache.make_and_validate_key(f"quiz:rate:{name}:{window}:{slot}") for name in names]
        return [int(n) for n in _rate_script(keys=keys, args=[window + 10])]
    return table.hit(names, window=window, slot=slot)


def over_limits(buckets: Sequence[tuple[str, int]], *, window: int = MINUTE) -> list[bool]:
    """Count a hit in each (bucket, limit) and say which are now over their limit."""
    counts = hit([name for name, _ in buckets], window=window)
    return [count > limit for count, (_, limit) in zip(counts, buckets, strict=True)]
