"""Exact sliding-window velocity counters: counts, sums and distinct counts per key.

A *stream* is one velocity key such as ``"dev.id:<device>"``: every event on it carries an
event id, an event time, an optional amount and an optional member (the thing whose distinct
count is wanted, e.g. the ID token submitted from that device). A query asks for the events
of one stream whose time lies in the half-open window ``(at - window, at]``.

Time policy (identical in every backend, and what the property tests check):

* **Future events (clock skew).** An event stamped more than ``max_future_skew`` seconds after
  its arrival time ``now`` comes from a wrong or forged clock. With
  :attr:`SkewPolicy.CLAMP` (default) its time becomes ``now``; with :attr:`SkewPolicy.REJECT`
  it is not recorded (:attr:`AddStatus.FUTURE`). ``now=None`` means "trust the event time"
  (replays of history).
* **Out-of-order events** are inserted at their time, so later queries are exact.
* **Late events.** The store keeps a *watermark*, the largest accepted event time. An event at
  or before ``watermark - max_lateness`` is :attr:`AddStatus.LATE` and not recorded; the
  store keeps ``max_window + max_lateness`` seconds of history, so every query at a time no
  earlier than ``watermark - max_lateness`` over a window up to ``max_window`` is exact.
* **Duplicates.** An event id already recorded on a stream is :attr:`AddStatus.DUPLICATE` and
  never counted twice. An id is remembered while its event is kept, i.e. while its time is
  after ``watermark - max_window - max_lateness``; a re-sent event older than that is late.

The embedded :class:`InMemoryVelocityStore` keeps a stream's single event as one plain tuple
(which the garbage collector stops tracking: most streams see one event a month), and from
the second event parallel lists (times, ids, members; amounts once one is non-zero) sorted by
time: an in-order event is three appends, an out-of-order one a ``bisect`` and three
inserts, and a window is two ``bisect`` calls.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import NamedTuple, Protocol, runtime_checkable

from zhudai.exceptions import InvalidInputError

DAY = 86_400.0
HOUR = 3_600.0
MINUTE = 60.0


class AddStatus(IntEnum):
    """What happened to one event on one stream."""

    ADDED = 0
    DUPLICATE = 1
    LATE = 2
    FUTURE = 3


class Agg(IntEnum):
    """The aggregate a query asks for."""

    COUNT = 0
    SUM = 1
    DISTINCT = 2


class SkewPolicy(StrEnum):
    """What to do with an event stamped too far after its arrival time."""

    CLAMP = "clamp"
    REJECT = "reject"


@dataclass(frozen=True)
class VelocityConfig:
    """How much history a store keeps and how it treats skewed or late events.

    Parameters
    ----------
    max_window : float
        Longest window (seconds) any query may ask for; history older than
        ``max_window + max_lateness`` behind the watermark is dropped.
    max_lateness : float
        How far (seconds) behind the watermark an event may arrive and still be counted.
    max_future_skew : float
        How far (seconds) after its arrival time an event may be stamped before the skew
        policy applies.
    skew_policy : SkewPolicy
        ``clamp`` (re-stamp at arrival time) or ``reject``.
    """

    max_window: float = 30 * DAY
    max_lateness: float = HOUR
    max_future_skew: float = 5 * MINUTE
    skew_policy: SkewPolicy = SkewPolicy.CLAMP

    def __post_init__(self) -> None:
        for name in ("max_window", "max_lateness", "max_future_skew"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise InvalidInputError(name, f"must be a finite number >= 0; got {value!r}")
        if self.max_window <= 0:
            raise InvalidInputError("max_window", f"must be > 0; got {self.max_window!r}")
        object.__setattr__(self, "skew_policy", SkewPolicy(self.skew_policy))

    @property
    def retention(self) -> float:
        """Seconds of history kept behind the watermark."""
        return self.max_window + self.max_lateness


# One update of an observation: (stream, member, amount).
Update = tuple[str, str, float]
# One query of an observation: (stream, window seconds, aggregate).
Query = tuple[str, float, Agg]


class Observation(NamedTuple):
    """The outcome of :meth:`VelocityStore.observe`.

    ``ts`` is the time the event was judged at (after clamping), ``statuses`` one
    :class:`AddStatus` per update, ``values`` one number per query.
    """

    ts: float
    statuses: list[AddStatus]
    values: list[float]


@runtime_checkable
class VelocityStore(Protocol):
    """What every velocity backend offers (embedded, Redis)."""

    config: VelocityConfig

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
        ...

    def count(self, stream: str, at: float, window: float) -> int:
        """Events in ``(at - window, at]``."""
        ...

    def total(self, stream: str, at: float, window: float) -> float:
        """Sum of amounts in ``(at - window, at]``."""
        ...

    def distinct(self, stream: str, at: float, window: float) -> int:
        """Distinct members in ``(at - window, at]``."""
        ...

    def observe(
        self,
        event_id: str,
        ts: float,
        updates: Sequence[Update],
        queries: Sequence[Query],
        *,
        now: float | None = None,
    ) -> Observation:
        """Record one event on several streams and answer queries at its time, atomically."""
        ...

    def watermark(self) -> float:
        """Largest accepted event time (``-inf`` before the first event)."""
        ...


def judge_time(config: VelocityConfig, ts: float, now: float | None) -> tuple[float, bool]:
    """Apply the skew policy: ``(effective time, rejected)``."""
    if not math.isfinite(ts):
        raise InvalidInputError("ts", f"must be a finite number of seconds; got {ts!r}")
    if now is not None and ts > now + config.max_future_skew:
        if config.skew_policy is SkewPolicy.REJECT:
            return now, True
        return float(now), False
    return float(ts), False


def check_window(config: VelocityConfig, window: float) -> None:
    """Refuse windows the store cannot answer exactly."""
    if not 0 < window <= config.max_window:
        raise InvalidInputError(
            "window", f"must be in (0, {config.max_window:g}] seconds; got {window!r}"
        )


class _Stream:
    """A stream of two or more events, as parallel lists sorted by time: ``ts``, ``ids``,
    ``members``, and amounts in ``values`` only once the stream has a non-zero one (``None``
    means all 0: most streams carry no amounts, and each list is one more long-lived object
    for the garbage collector to scan on each pass).
    """

    __slots__ = ("ts", "ids", "members", "values", "seen")

    def __init__(self) -> None:
        self.ts: list[float] = []
        self.ids: list[str] = []
        self.members: list[str] = []
        self.values: list[float] | None = None
        # Ids of kept events; a set only once the stream is long enough for it to pay off
        # (most streams hold a handful of events, and fewer objects mean shorter GC pauses).
        self.seen: set[str] | None = None


# A stream holding a single event: (time, id, member, amount). Most streams (an identity's, a
# phone's, a card's) see one application per month, and a tuple of plain values is untracked
# by the garbage collector after its first pass, whereas a _Stream is three containers that
# every full collection scans. Promoted to a _Stream by the second event.
_OneEvent = tuple[float, str, str, float]

_EMPTY = _Stream()
# Enum members bound once: attribute lookups on an Enum class cost more than the insert.
_ADDED, _DUPLICATE, _LATE = AddStatus.ADDED, AddStatus.DUPLICATE, AddStatus.LATE
_SWEEP_EVERY = 1 << 16
_SWEEP_STEP = 4
_SET_FROM = 16


class InMemoryVelocityStore:
    """Embedded, exact velocity store for one process (the default backend).

    Parameters
    ----------
    config : VelocityConfig, optional
        History length and time policy; defaults to 30-day windows, 1 h lateness, 5 min skew.

    Examples
    --------
    >>> store = InMemoryVelocityStore()
    >>> store.add("dev.id:d1", "a1", 100.0, member="id-1")
    <AddStatus.ADDED: 0>
    >>> store.add("dev.id:d1", "a1", 100.0, member="id-1")  # same event id again
    <AddStatus.DUPLICATE: 1>
    >>> store.add("dev.id:d1", "a2", 90.0, member="id-2")  # out of order
    <AddStatus.ADDED: 0>
    >>> store.count("dev.id:d1", 100.0, 60.0), store.distinct("dev.id:d1", 100.0, 60.0)
    (2, 2)
    """

    def __init__(self, config: VelocityConfig | None = None) -> None:
        self.config = config or VelocityConfig()
        self._max_window = self.config.max_window
        self._lateness = self.config.max_lateness
        self._retention = self.config.retention
        self._streams: dict[str, _Stream | _OneEvent] = {}
        self._wm = -math.inf
        self._adds = 0
        self._pending: list[str] = []  # streams still to visit in the current sweep

    # -- updates -------------------------------------------------------------------------
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
        """Record one event; see the module docstring for the time policy."""
        if now is not None or ts - ts != 0.0:  # ts - ts is nan for nan and +-inf
            ts, rejected = judge_time(self.config, ts, now)
            if rejected:
                return AddStatus.FUTURE
        wm = self._wm
        if ts <= wm - self._lateness:
            return _LATE
        return self._insert(stream, event_id, ts, value, member, wm - self._retention)

    def _insert(
        self, stream: str, event_id: str, ts: float, value: float, member: str, horizon: float
    ) -> AddStatus:
        """Insert an event judged on time; ``horizon`` is where kept history starts."""
        streams = self._streams
        s = streams.get(stream)
        if s is None or (isinstance(s, tuple) and s[0] <= horizon):
            streams[stream] = (ts, event_id, member, value)  # new, or its one event expired
        else:
            if isinstance(s, tuple):
                if s[1] == event_id:
                    return _DUPLICATE
                s = streams[stream] = _promote(s)
            times = s.ts
            if times and times[0] <= horizon:
                _prune(s, horizon)
            seen = s.seen
            ids = s.ids
            if seen is None:
                if event_id in ids:
                    return _DUPLICATE
                if len(times) >= _SET_FROM:
                    s.seen = set(ids)
                    s.seen.add(event_id)
            elif event_id in seen:
                return _DUPLICATE
            else:
                seen.add(event_id)
            values = s.values
            if values is None and value:
                values = s.values = [0.0] * len(times)
            if not times or ts >= times[-1]:
                times.append(ts)
                ids.append(event_id)
                s.members.append(member)
                if values is not None:
                    values.append(value)
            else:
                i = bisect_right(times, ts)
                times.insert(i, ts)
                ids.insert(i, event_id)
                s.members.insert(i, member)
                if values is not None:
                    values.insert(i, value)
        if ts > self._wm:
            self._wm = ts
        self._adds += 1
        if self._pending:
            self._sweep_some(self._wm - self._retention)
        elif self._adds % _SWEEP_EVERY == 0:
            self._pending = list(self._streams)
        return _ADDED

    def _sweep_some(self, horizon: float) -> None:
        """Drop history of streams idle for longer than the retention, a few per insert.

        Streams are pruned when touched; idle ones are visited here, a handful at a time, so
        memory stays bounded without a long pause.
        """
        pending, streams = self._pending, self._streams
        for _ in range(min(_SWEEP_STEP, len(pending))):
            key = pending.pop()
            s = streams.get(key)
            if s is None:
                continue
            if isinstance(s, tuple):
                if s[0] <= horizon:
                    del streams[key]
                continue
            if s.ts and s.ts[0] <= horizon:
                _prune(s, horizon)
            if not s.ts:
                del streams[key]

    # -- queries -------------------------------------------------------------------------
    def _bounds(self, stream: str, at: float, window: float) -> tuple[_Stream, int, int]:
        if not 0 < window <= self._max_window:
            check_window(self.config, window)
        s = self._streams.get(stream, _EMPTY)
        if isinstance(s, tuple):
            s = _promote(s)
        times = s.ts
        return s, bisect_right(times, at - window), bisect_right(times, at)

    def count(self, stream: str, at: float, window: float) -> int:
        """Events of ``stream`` in ``(at - window, at]``."""
        if not 0 < window <= self._max_window:
            check_window(self.config, window)
        s = self._streams.get(stream, _EMPTY)
        if isinstance(s, tuple):
            return int(at - window < s[0] <= at)
        times = s.ts
        return bisect_right(times, at) - bisect_right(times, at - window)

    def total(self, stream: str, at: float, window: float) -> float:
        """Sum of the amounts of ``stream`` in ``(at - window, at]`` (``math.fsum``)."""
        s, lo, hi = self._bounds(stream, at, window)
        return 0.0 if s.values is None else math.fsum(s.values[lo:hi])

    def distinct(self, stream: str, at: float, window: float) -> int:
        """Distinct members of ``stream`` in ``(at - window, at]``."""
        s, lo, hi = self._bounds(stream, at, window)
        if hi - lo < 2:
            return hi - lo
        return len(set(s.members[lo:hi]))

    def observe(
        self,
        event_id: str,
        ts: float,
        updates: Sequence[Update],
        queries: Sequence[Query],
        *,
        now: float | None = None,
    ) -> Observation:
        """Record ``event_id`` on every update's stream, then answer the queries at its time.

        A late or rejected event is answered as of the oldest time the store still answers
        exactly (``watermark - max_lateness``), so its queries stay exact too.
        """
        cfg = self.config
        ts, rejected = judge_time(cfg, ts, now)
        wm = self._wm
        if rejected:
            statuses = [AddStatus.FUTURE] * len(updates)
        elif ts <= wm - cfg.max_lateness:
            statuses = [AddStatus.LATE] * len(updates)
        else:
            horizon = wm - cfg.retention
            statuses = [self._insert(st, event_id, ts, v, m, horizon) for st, m, v in updates]
        at = max(ts, self._wm - cfg.max_lateness)
        values: list[float] = []
        streams, max_window = self._streams, self._max_window
        for stream, window, agg in queries:  # count() / distinct() / total(), inlined
            if not 0 < window <= max_window:
                check_window(cfg, window)
            st = streams.get(stream, _EMPTY)
            if isinstance(st, tuple):
                inside = at - window < st[0] <= at
                values.append((st[3] if inside else 0.0) if agg == Agg.SUM else int(inside))
                continue
            lo, hi = bisect_right(st.ts, at - window), bisect_right(st.ts, at)
            if agg == Agg.COUNT:
                values.append(hi - lo)
            elif agg == Agg.DISTINCT:
                values.append(len(set(st.members[lo:hi])) if hi - lo > 1 else hi - lo)
            else:
                values.append(0.0 if st.values is None else math.fsum(st.values[lo:hi]))
        return Observation(ts, statuses, values)

    def watermark(self) -> float:
        """Largest accepted event time (``-inf`` before the first event)."""
        return self._wm

    def __len__(self) -> int:
        """Events currently kept, over all streams."""
        return sum(1 if isinstance(s, tuple) else len(s.ts) for s in self._streams.values())


def _promote(event: _OneEvent) -> _Stream:
    """The :class:`_Stream` holding one stream's single event."""
    ts, event_id, member, value = event
    s = _Stream()
    s.ts.append(ts)
    s.ids.append(event_id)
    s.members.append(member)
    if value:
        s.values = [value]
    return s


def _prune(s: _Stream, horizon: float) -> None:
    k = bisect_right(s.ts, horizon)
    seen = s.seen
    if seen is not None:
        seen.difference_update(s.ids[:k])
    del s.ts[:k], s.ids[:k], s.members[:k]
    if s.values is not None:
        del s.values[:k]
