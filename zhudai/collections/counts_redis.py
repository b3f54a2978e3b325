"""The guard's daily counts on Redis, shared by every API worker: a check and its count are one
Lua script, so two workers can never both pass the last free call. Phone numbers are keyed by
their token, never in plaintext; a day's keys expire :data:`KEEP_DAYS` + 1 days after their
last count, and an action on a day older than the kept ones is refused, as in process."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from zhudai.collections.counts import (
    KEEP_DAYS,
    Admission,
    CountKey,
    DayCounts,
    Tally,
    stale_day,
)
from zhudai.exceptions import InvalidInputError
from zhudai.privacy import tokenizer
from zhudai.settings import get_settings

# KEYS: the newest-day key, the n limited keys, then the keys to count.
# ARGV: n, the n limits, the action's day (ordinal), KEEP_DAYS, the ttl in seconds.
# Returns {-1, newest} for a day too old, else {index of the limit reached (0: none), counts...}.
_ADMIT = r"""
local n = tonumber(ARGV[1])
local day = tonumber(ARGV[n + 2])
local newest = tonumber(redis.call('GET', KEYS[1]) or day)
if day < newest - tonumber(ARGV[n + 3]) then
  return {-1, newest}
end
if day > newest then newest = day end
redis.call('SET', KEYS[1], newest)
local answer = {0}
for i = 1, n do
  answer[i + 1] = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
end
for i = 1, n do
  if answer[i + 1] >= tonumber(ARGV[i + 1]) then
    answer[1] = i
    return answer
  end
end
for i = n + 2, #KEYS do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[n + 4])
end
return answer
"""

_TTL_SECONDS = (KEEP_DAYS + 1) * 86_400


class RedisDayCounts:
    """The counts on one Redis (a key per count and local day)."""

    def __init__(self, url: str, namespace: str = "zhudai:guard") -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.namespace = namespace
        self._admit = self.client.register_script(_ADMIT)
        self._tokens = tokenizer()

    @classmethod
    def isolated(cls, url: str) -> RedisDayCounts:
        """Counts in a fresh random namespace (tests, benchmarks)."""
        return cls(url, namespace=f"zhudai:guard:{uuid.uuid4().hex[:12]}")

    def _key(self, key: CountKey) -> str:
        subject = key.subject
        if key.tally is Tally.UNANSWERED_ATTEMPTS:
            subject = self._tokens.token("phone", subject)
        return f"{self.namespace}:{key.tally.value}:{key.day.isoformat()}:{subject}"

    def admit(self, limits: Sequence[tuple[CountKey, int]], bump: Sequence[CountKey]) -> Admission:
        days = {k.day for k, _ in limits} | {k.day for k in bump}
        if not days:
            return Admission(None, ())
        if len(days) > 1:
            raise InvalidInputError("at", "the counts of one action must share one local day")
        (day,) = days
        answer = self._admit(
            keys=[f"{self.namespace}:newest", *(self._key(k) for k, _ in limits),
                  *(self._key(k) for k in bump)],
            args=[len(limits), *(n for _, n in limits), day.toordinal(), KEEP_DAYS, _TTL_SECONDS],
        )  # fmt: skip
        if answer[0] == -1:
            raise stale_day(day, date.fromordinal(int(answer[1])))
        blocked = int(answer[0])
        return Admission(blocked - 1 if blocked else None, tuple(int(c) for c in answer[1:]))


def default_day_counts() -> DayCounts:
    """Redis at ``settings.redis_url`` (``ZHUDAI_REDIS_URL``) if set, else this process (the API
    wants this; an outside check of a file wants its own in-process counts)."""
    from zhudai.collections.counts import InMemoryDayCounts

    url = get_settings().redis_url
    return RedisDayCounts(url) if url else InMemoryDayCounts()
