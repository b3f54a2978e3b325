"""Redis velocity backend: the same exact windows, shared by several API workers.

Each stream is two sorted sets scored by event time: ``<ns>:s:<stream>`` holds one member per
event (``event id, member, amount`` joined by ``\\x1f``) and ``<ns>:i:<stream>`` the event ids,
so ``ZADD NX`` on the id set is the duplicate check. ``<ns>:wm`` is the shared watermark.
Every update and query of one observation runs in one Lua script, so the duplicate check, the
late-event check, the insert, the pruning (``ZREMRANGEBYSCORE``) and the counts (``ZCOUNT``,
``ZRANGEBYSCORE``) are atomic against the other workers. Distinct counts are exact (a Lua
table over the window's members), never a HyperLogLog estimate.

The time policy is the one of :mod:`zhudai.fraud.velocity`; the arrival time ``now`` is the
calling worker's clock.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from typing import Any

from zhudai.exceptions import ConfigurationError
from zhudai.fraud.velocity import (
    AddStatus,
    Agg,
    Observation,
    Query,
    Update,
    VelocityConfig,
    check_window,
    judge_time,
)
from zhudai.settings import get_settings

# KEYS[1] = watermark key, then per stream i: KEYS[2i] = events zset, KEYS[2i+1] = ids zset.
# ARGV: event id, ts, at-floor lateness, retention, ttl seconds, n updates, then per update
# (stream index, member, amount), n queries, then per query (stream index, window, agg).
_OBSERVE = r"""
local eid = ARGV[1]
local ts = tonumber(ARGV[2])
local lateness = tonumber(ARGV[3])
local retention = tonumber(ARGV[4])
local ttl = tonumber(ARGV[5])
local wm = tonumber(redis.call('GET', KEYS[1])) or -math.huge
local function fmt(x) return string.format('%.17g', x) end
local sep = '\31'
local n = tonumber(ARGV[6])
local pos = 7
local statuses = {}
local late = ts <= wm - lateness
local horizon = fmt(wm - retention)
local new_wm = wm
for u = 1, n do
  local si = tonumber(ARGV[pos]); local member = ARGV[pos + 1]; local amount = ARGV[pos + 2]
  pos = pos + 3
  local zkey = KEYS[2 * si]; local ikey = KEYS[2 * si + 1]
  if late then
    statuses[u] = 2
  else
    if wm > -math.huge then
      redis.call('ZREMRANGEBYSCORE', zkey, '-inf', horizon)
      redis.call('ZREMRANGEBYSCORE', ikey, '-inf', horizon)
    end
    if redis.call('ZADD', ikey, 'NX', fmt(ts), eid) == 0 then
      statuses[u] = 1
    else
      redis.call('ZADD', zkey, fmt(ts), eid .. sep .. member .. sep .. amount)
      if ts > new_wm then new_wm = ts end
      statuses[u] = 0
    end
    redis.call('EXPIRE', zkey, ttl)
    redis.call('EXPIRE', ikey, ttl)
  end
end
wm = new_wm
if wm > -math.huge then redis.call('SET', KEYS[1], fmt(wm)) end
local at = ts
if wm - lateness > at then at = wm - lateness end
local q = tonumber(ARGV[pos]); pos = pos + 1
local values = {}
for k = 1, q do
  local zkey = KEYS[2 * tonumber(ARGV[pos])]
  local lo = '(' .. fmt(at - tonumber(ARGV[pos + 1]))
  local agg = ARGV[pos + 2]
  pos = pos + 3
  if agg == '0' then
    values[k] = tostring(redis.call('ZCOUNT', zkey, lo, fmt(at)))
  else
    local rows = redis.call('ZRANGEBYSCORE', zkey, lo, fmt(at))
    if agg == '2' then
      local set = {}; local c = 0
      for _, row in ipairs(rows) do
        local m = string.match(row, '^[^\31]*\31([^\31]*)\31')
        if not set[m] then set[m] = true; c = c + 1 end
      end
      values[k] = tostring(c)
    else
      local s = 0
      for _, row in ipairs(rows) do s = s + tonumber(string.match(row, '\31([^\31]*)$')) end
      values[k] = fmt(s)
    end
  end
end
return {fmt(at), statuses, values}
"""

# Lateness passed by plain queries, so the script answers exactly at the asked time.
_NO_LATENESS_FLOOR = "1e308"
_WATERMARK = "return redis.call('GET', KEYS[1])"


class RedisVelocityStore:
    """Velocity store on a Redis server, exact and shared between processes.

    Parameters
    ----------
    url : str, optional
        ``redis://host:port/db``; defaults to ``settings.redis_url``.
    config : VelocityConfig, optional
        History length and time policy (every worker sharing a namespace must use the same).
    namespace : str, optional
        Key prefix; workers that share state use the same one. Defaults to ``"zhudai:vel"``.
    client : redis.Redis, optional
        An existing client (tests, connection pools); ``url`` is then ignored.
    """

    def __init__(
        self,
        url: str | None = None,
        config: VelocityConfig | None = None,
        *,
        namespace: str = "zhudai:vel",
        client: Any = None,
    ) -> None:
        self.config = config or VelocityConfig()
        self.namespace = namespace
        if client is None:
            import redis

            url = url or get_settings().redis_url
            if not url:
                raise ConfigurationError(
                    "the Redis velocity store needs a URL: pass url= or set ZHUDAI_REDIS_URL"
                )
            client = redis.Redis.from_url(url)
        self._redis = client
        self._observe = client.register_script(_OBSERVE)
        self._wm_script = client.register_script(_WATERMARK)
        self._wm_key = f"{namespace}:wm"
        self._ttl = int(math.ceil(self.config.retention)) + 60

    @classmethod
    def isolated(cls, url: str, config: VelocityConfig | None = None) -> RedisVelocityStore:
        """A store in a fresh random namespace (tests, benchmarks)."""
        return cls(url, config, namespace=f"zhudai:vel:{uuid.uuid4().hex[:12]}")

    def _keys(self, streams: dict[str, int]) -> list[str]:
        keys = [self._wm_key]
        for stream in streams:
            keys.append(f"{self.namespace}:s:{stream}")
            keys.append(f"{self.namespace}:i:{stream}")
        return keys

    def observe(
        self,
        event_id: str,
        ts: float,
        updates: Sequence[Update],
        queries: Sequence[Query],
        *,
        now: float | None = None,
    ) -> Observation:
        """Record one event on several streams and answer queries at its time (one script)."""
        cfg = self.config
        ts, rejected = judge_time(cfg, ts, now)
        for _, window, _ in queries:
            check_window(cfg, window)
        streams: dict[str, int] = {}
        args: list[Any] = [
            event_id,
            repr(ts),
            repr(cfg.max_lateness),
            repr(cfg.retention),
            self._ttl,
        ]
        live = [] if rejected else updates
        args.append(len(live))
        for stream, member, value in live:
            if "\x1f" in member or "\x1f" in event_id:
                raise ConfigurationError("event ids and members may not contain \\x1f")
            args += [streams.setdefault(stream, len(streams) + 1), member, repr(float(value))]
        args.append(len(queries))
        for stream, window, agg in queries:
            args += [streams.setdefault(stream, len(streams) + 1), repr(float(window)), int(agg)]
        _, statuses, values = self._observe(keys=self._keys(streams), args=args)
        if rejected:
            statuses = [AddStatus.FUTURE] * len(updates)
        else:
            statuses = [AddStatus(int(s)) for s in statuses]
        out = [
            float(v) if agg == Agg.SUM else int(v)
            for v, (_, _, agg) in zip(values, queries, strict=True)
        ]
        return Observation(ts, statuses, out)

    def add(
        self,
        stream: str,
        event_id: str,
        ts: float,
        *,
        value: float = 0.0,
        member: str = "",
        now: float | None = None,
    ) -> AddStatus:
        """Record one event on one stream."""
        return self.observe(event_id, ts, [(stream, member, value)], [], now=now).statuses[0]

    def _query(self, stream: str, at: float, window: float, agg: Agg) -> float:
        check_window(self.config, window)
        keys = self._keys({stream: 1})
        args = ["", repr(float(at)), _NO_LATENESS_FLOOR, repr(self.config.retention), self._ttl, 0]
        args += [1, 1, repr(float(window)), int(agg)]
        _, _, values = self._observe(keys=keys, args=args)
        return float(values[0])

    def count(self, stream: str, at: float, window: float) -> int:
        """Events of ``stream`` in ``(at - window, at]``."""
        return int(self._query(stream, at, window, Agg.COUNT))

    def total(self, stream: str, at: float, window: float) -> float:
        """Sum of the amounts of ``stream`` in ``(at - window, at]``."""
        return self._query(stream, at, window, Agg.SUM)

    def distinct(self, stream: str, at: float, window: float) -> int:
        """Distinct members of ``stream`` in ``(at - window, at]``."""
        return int(self._query(stream, at, window, Agg.DISTINCT))

    def watermark(self) -> float:
        """Largest accepted event time, shared by every worker of the namespace."""
        raw = self._wm_script(keys=[self._wm_key])
        return -math.inf if raw is None else float(raw)
