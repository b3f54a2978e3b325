"""Per-key rate limits (a token bucket per key) and stored answers of idempotent writes."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
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


def retry_after(seconds: float) -> str:
    """The ``Retry-After`` header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join((method.encode(), path.encode(), body))).hexdigest()


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
        """Keep the answer; if a concurrent twin stored first, its answer stays."""
        values = {
            "api_key_id": key_id,
            "key": key,
            "request_hash": stored.request_hash,
            "status_code": stored.status_code,
            "body": stored.body,
        }
        insert = _INSERTS[self.engine.dialect.name]  # the store runs on SQLite or PostgreSQL
        with self.engine.begin() as conn:
            conn.execute(insert(IdempotentResponse).values(values).on_conflict_do_nothing())
