"""The store the API's edge checks share across processes (idempotency keys, rate-limit counters): Redis when
REDIS_URL is set, else this process's memory (as the cache falls back when there is no Redis).

Each operation that must not interleave with another process's is one Redis command or one Lua script, so two
gunicorn workers never both take a lock or both miss a count. Keys carry settings.SHARED_STORE_PREFIX, so two
deployments (or two test workers) sharing one Redis never read each other's keys.
"""

import threading
import time
from functools import cache

import redis
from django.conf import settings

StoreError = redis.RedisError

# Replaces a key's value only while it still holds `expected`: the request that took a lock stores its answer
# (or releases it) only if the lock is still its own, not one a later request took after it expired.
_SWAP = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1
"""
# A fixed window: the first hit starts it. One script, so the count and its expiry are set together.
_HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""


def key(*parts: str) -> str:
    return ":".join((settings.SHARED_STORE_PREFIX, *parts))


class RedisStore:
    def __init__(self, url: str):
        # Short timeouts: a check at the edge of every request must not hang when Redis does.
        self.client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        self._swap = self.client.register_script(_SWAP)
        self._hit = self.client.register_script(_HIT)

    def add(self, name: str, value: bytes, ttl_ms: int) -> bool:
        return bool(self.client.set(name, value, nx=True, px=ttl_ms))

    def get(self, name: str) -> bytes | None:
        return self.client.get(name)

    def swap(self, name: str, expected: bytes, value: bytes | None, ttl_ms: int) -> bool:
        return bool(self._swap(keys=[name], args=[expected, value or b"", ttl_ms]))

    def hit(self, name: str, window_ms: int) -> tuple[int, int]:
        count, ttl = self._hit(keys=[name], args=[window_ms])
        return int(count), int(ttl)


class MemoryStore:
    """Without Redis: the same operations on a dict, for one process only."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items: dict[str, tuple[object, float]] = {}

    def _live(self, name: str):
        item = self._items.get(name)
        if item is not None and item[1] <= time.monotonic():
            del self._items[name]
            return None
        return item

    def add(self, name: str, value: bytes, ttl_ms: int) -> bool:
        with self._lock:
            if self._live(name) is not None:
                return False
            self._items[name] = (value, time.monotonic() + ttl_ms / 1000)
            return True

    def get(self, name: str) -> bytes | None:
        with self._lock:
            item = self._live(name)
            return None if item is None else item[0]  # type: ignore[return-value]

    def swap(self, name: str, expected: bytes, value: bytes | None, ttl_ms: int) -> bool:
        with self._lock:
            item = self._live(name)
            if item is None or item[0] != expected:
                return False
            if value is None:
                del self._items[name]
            else:
                self._items[name] = (value, time.monotonic() + ttl_ms / 1000)
            return True

    def hit(self, name: str, window_ms: int) -> tuple[int, int]:
        with self._lock:
            now = time.monotonic()
            item = self._live(name)
            count, until = (1, now + window_ms / 1000) if item is None else (item[0] + 1, item[1])  # type: ignore[operator]
            self._items[name] = (count, until)
            return count, int((until - now) * 1000)


@cache
def _store_for(url: str | None) -> RedisStore | MemoryStore:
    return RedisStore(url) if url else MemoryStore()


def store() -> RedisStore | MemoryStore:
    """Looked up per call, so a test that points REDIS_URL elsewhere with override_settings gets that store."""
    return _store_for(settings.REDIS_URL)
