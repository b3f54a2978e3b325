"""Per-key rate limits (a token bucket per key) and stored answers of idempotent writes."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from zhudai.store.db import get_engine
from zhudai.store.models import IdempotentResponse


class RateLimiter:
    """``rate`` requests per second per key, bursts up to ``burst`` (in process).

    Examples
    --------
    >>> limiter = RateLimiter(rate=1, burst=2)
    >>> [limiter.wait_for(7, now=100.0) for _ in range(3)]
    [0.0, 0.0, 1.0]
    """

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait_for(self, key_id: int, now: float | None = None) -> float:
        """Take one token for ``key_id``: 0 if granted, else the seconds until one is free."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key_id] = (tokens - 1, now)
                return 0.0
            self._buckets[key_id] = (tokens, now)
            return (1 - tokens) / self.rate


_BUCKET_SCRIPT = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local last = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RedisRateLimiter:
    """The same token bucket per key, kept in Redis so every worker draws from one bucket
    (one atomic script call per request; the server's clock, so workers need not agree)."""

    def __init__(self, url: str, rate: float, burst: int, prefix: str = "zhudai:rate:") -> None:
        import redis

        self.rate, self.burst, self.prefix = rate, burst, prefix
        self._client = redis.Redis.from_url(url)
        self._script = self._client.register_script(_BUCKET_SCRIPT)

    def wait_for(self, key_id: int, now: float | None = None) -> float:
        """Take one token for ``key_id``: 0 if granted, else the seconds until one is free
        (``now`` is ignored: the Redis server's clock decides)."""
        answer = self._script(keys=[f"{self.prefix}{key_id}"], args=[self.rate, self.burst])
        return float(answer)


def rate_limiter(rate: float, burst: int, redis_url: str | None) -> RateLimiter | RedisRateLimiter:
    """Shared in Redis when ``ZHUDAI_REDIS_URL`` is set, else per process."""
    return RedisRateLimiter(redis_url, rate, burst) if redis_url else RateLimiter(rate, burst)


def retry_after(seconds: float) -> str:
    """The ``Retry-After`` header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join((method.encode(), path.encode(), body))).hexdigest()


@dataclass(frozen=True)
class PendingAnswer:
    """A write under way with an ``Idempotency-Key``: whose key, which key, which request."""

    key_id: int
    key: str
    request_hash: str


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status_code: int
    body: Any


_INSERTS: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class IdempotencyStore:
    """Answers of writes sent with an ``Idempotency-Key``, per API key, in the store."""

    def __init__(self, url: str) -> None:
        self.engine = get_engine(url)

    def get(self, key_id: int, key: str) -> StoredResponse | None:
        q = select(
            IdempotentResponse.request_hash, IdempotentResponse.status_code, IdempotentResponse.body
        ).where(IdempotentResponse.api_key_id == key_id, IdempotentResponse.key == key)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return None if row is None else StoredResponse(row[0], row[1], row[2])

    def put(self, key_id: int, key: str, stored: StoredResponse) -> None:
        """Keep the answer in a transaction of its own (after the write it answers); if a
        concurrent twin stored first, its answer stays."""
        with self.engine.begin() as conn:
            self.keep(conn, key_id, key, stored)

    def keep(self, conn: Connection, key_id: int, key: str, stored: StoredResponse) -> bool:
        """Keep the answer inside ``conn`` (the write's own transaction, where the service
        allows it); ``False`` if a concurrent twin stored first (its answer stays)."""
        values = {
            "api_key_id": key_id,
            "key": key,
            "request_hash": stored.request_hash,
            "status_code": stored.status_code,
            "body": stored.body,
        }
        insert = _INSERTS[self.engine.dialect.name]  # the store runs on SQLite or PostgreSQL
        done = conn.execute(insert(IdempotentResponse).values(values).on_conflict_do_nothing())
        return bool(done.rowcount)
