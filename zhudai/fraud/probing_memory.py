"""Where the probing detector remembers each key's last rejected application.

In process by default; with ``ZHUDAI_REDIS_URL`` in Redis, so that a retry sent to another API
worker still finds the rejection it follows. Each key holds the newest rejection only and
forgets it once no retry can refer to it (the retry window): in process by pruning, in Redis by
the key's expiry.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from typing import Protocol

import orjson

from zhudai.settings import get_settings

_PRUNE_EVERY = 4096


@dataclass(frozen=True)
class Attempt:
    """The fields of a rejected application a retry is compared with."""

    ts: float
    amount: float
    term: int
    product: str
    phone: str
    card: str


class RejectionMemory(Protocol):
    def last(self, keys: Sequence[str]) -> list[Attempt | None]:
        """Each key's remembered rejection (None: none)."""
        ...

    def remember(self, keys: Sequence[str], attempt: Attempt, window: float) -> None:
        """Keep ``attempt`` under each key unless a newer rejection is kept there; forget it
        ``window`` seconds after its time."""
        ...

    def __len__(self) -> int: ...


class InMemoryRejections:
    """This process's memory (the embedded default)."""

    def __init__(self) -> None:
        self._by_key: dict[str, Attempt] = {}
        self._recorded = 0

    def last(self, keys: Sequence[str]) -> list[Attempt | None]:
        return [self._by_key.get(k) for k in keys]

    def remember(self, keys: Sequence[str], attempt: Attempt, window: float) -> None:
        for key in keys:
            old = self._by_key.get(key)
            if old is None or old.ts <= attempt.ts:
                self._by_key[key] = attempt
        self._recorded += 1
        if self._recorded % _PRUNE_EVERY == 0:  # forget rejections no retry can refer to
            horizon = attempt.ts - window
            self._by_key = {k: a for k, a in self._by_key.items() if a.ts >= horizon}

    def __len__(self) -> int:
        return len(self._by_key)


# KEYS: the attempt keys. ARGV[1] = the attempt's time, ARGV[2] = its JSON, ARGV[3] = ttl ms.
# A key keeps the newer of the stored and the new rejection (compared by time, atomically).
_REMEMBER = r"""
local ts = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local old = redis.call('GET', key)
  if not old or tonumber(cjson.decode(old)[1]) <= ts then
    redis.call('SET', key, ARGV[2], 'PX', ARGV[3])
  end
end
return #KEYS
"""


class RedisRejections:
    """The memory shared by every worker on one Redis (a key per application key)."""

    def __init__(self, url: str, namespace: str = "zhudai:probe") -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.namespace = namespace
        self._remember = self.client.register_script(_REMEMBER)

    @classmethod
    def isolated(cls, url: str) -> RedisRejections:
        """A memory in a fresh random namespace (tests, benchmarks)."""
        return cls(url, namespace=f"zhudai:probe:{uuid.uuid4().hex[:12]}")

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    def last(self, keys: Sequence[str]) -> list[Attempt | None]:
        if not keys:
            return []
        raw = self.client.mget([self._key(k) for k in keys])
        return [None if r is None else Attempt(*orjson.loads(r)) for r in raw]

    def remember(self, keys: Sequence[str], attempt: Attempt, window: float) -> None:
        if not keys:
            return
        ttl_ms = max(int(window * 1000), 1)
        self._remember(
            keys=[self._key(k) for k in keys],
            args=[repr(attempt.ts), orjson.dumps(astuple(attempt)), ttl_ms],
        )

    def __len__(self) -> int:
        return sum(1 for _ in self.client.scan_iter(match=f"{self.namespace}:*", count=1000))


def default_rejection_memory() -> RejectionMemory:
    """Redis at ``settings.redis_url`` (``ZHUDAI_REDIS_URL``) if set, else this process."""
    url = get_settings().redis_url
    return RedisRejections(url) if url else InMemoryRejections()
