"""One protocol for every external data source bought at decision time, and the call policy
around it (deadline, retries, cache, cost).

A provider only answers one question: given the tokens of an application, what does it know?
Everything a decision needs to trust that answer lives in :class:`ProviderCall`, identical for
every provider, so that a bureau pull and an IP lookup fail, retry, cache and bill the same way:

* **Status.** ``DATA``, ``NO_RECORD`` (a thin file, a valid answer) and ``FAILURE`` (timeout,
  exception, malformed reply) are three different things: a failure never reads as a clean
  file, and nothing here raises for provider trouble.
* **Deadline.** The whole call, retries included, stays within ``timeout_ms``. An attempt that
  overruns is abandoned (its thread finishes in the background, its answer is dropped).
* **Retries.** An exception is retried at once, up to ``retries`` more attempts, while time
  remains; a timeout is not retried (there is no time left by definition).
* **Cost.** Every attempt that reached the provider, i.e. whose ``fetch`` started, is charged
  ``cost_per_call``: vendors bill a query whether it succeeds, fails or is abandoned by us.
  An attempt still queued when the deadline passes never reached the provider and costs
  nothing. So a fresh answer costs ``attempts * cost_per_call`` and a cache hit costs 0.
* **Cache.** DATA and NO_RECORD answers (never failures) are kept per (provider, id_token,
  phone_token, card_token, ip) for ``cache_ttl_s`` seconds of the queries' ``as_of`` time,
  not of the wall clock: an entry serves a query whose ``as_of`` lies in
  ``[entry.as_of, entry.as_of + ttl]``, so a replay of history gives the same answers in any
  order and at any speed.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from zhudai.exceptions import InvalidInputError
from zhudai.times import require_aware


class ProviderStatus(StrEnum):
    """What a provider said: data, a valid "no record" (thin file), or nothing usable."""

    DATA = "data"
    NO_RECORD = "no_record"
    FAILURE = "failure"


@dataclass(frozen=True, slots=True)
class ProviderQuery:
    """What a provider may see of an application: tokens only, never plaintext personal data.

    Parameters
    ----------
    application_id : str
        The application the data is bought for (the key of simulated failures and of audit).
    as_of : datetime
        The decision time, timezone-aware: providers answer as of this instant and the cache
        measures its TTL in it. A naive time raises ``InvalidInputError("as_of", ...)``.
    id_token, phone_token, card_token : str
        Keyed HMAC tokens of the ID number, phone and bank card (``zhudai.privacy``).
    ip : str, optional
        The applicant's IP address (not personal data under the platform's rules).
    """

    application_id: str
    as_of: datetime
    id_token: str
    phone_token: str | None = None
    card_token: str | None = None
    ip: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.as_of, datetime):
            raise InvalidInputError("as_of", f"must be a datetime; got {type(self.as_of).__name__}")
        require_aware(self.as_of, "as_of")
        if not isinstance(self.application_id, str) or not self.application_id:
            raise InvalidInputError("application_id", "must be a non-empty string")
        if not isinstance(self.id_token, str) or not self.id_token:
            raise InvalidInputError("id_token", "must be a non-empty string")


@dataclass(frozen=True, slots=True)
class ProviderAnswer:
    """One provider's answer to one query, with what it cost and how it was obtained.

    Kept whole in the decision's audit record (:meth:`to_json`), so a decision can be
    explained and replayed from exactly what was bought.

    Attributes
    ----------
    provider : str
        The provider's name, e.g. ``"bureau"``.
    status : ProviderStatus
    data : dict or None
        The provider's payload, JSON-serialisable as received; ``None`` unless ``DATA``.
        Treat it as read-only: a cached payload is shared by the answers it serves.
    cost : float
        CNY charged for this answer: ``attempts * cost_per_call``, 0 for a cache hit.
    latency_ms : float
        Wall time from the start of the call to the answer.
    attempts : int
        Attempts that reached the provider (0 for a cache hit).
    cached : bool
        Whether the answer came from the cache.
    error : str or None
        Why the call failed (``"timeout after 800 ms"``, ``"ConnectionError: ..."``);
        ``None`` unless ``FAILURE``.
    as_of : datetime
        The query's ``as_of`` (for a cache hit too).
    """

    provider: str
    status: ProviderStatus
    data: dict[str, Any] | None
    cost: float
    latency_ms: float
    attempts: int
    cached: bool
    error: str | None
    as_of: datetime

    def to_json(self) -> dict[str, Any]:
        """The answer as JSON types (``as_of`` as ISO 8601 with its offset).

        Examples
        --------
        >>> from datetime import datetime, timedelta, timezone
        >>> a = ProviderAnswer("ip_geo", ProviderStatus.DATA, {"ip_city": "杭州"}, 0.0, 0.1, 1,
        ...                    False, None, datetime(2024, 3, 1, 9, tzinfo=timezone(timedelta(hours=8))))
        >>> a.to_json()["as_of"], ProviderAnswer.from_json(a.to_json()) == a
        ('2024-03-01T09:00:00+08:00', True)
        """
        return {
            "provider": self.provider,
            "status": self.status.value,
            "data": self.data,
            "cost": self.cost,
            "latency_ms": self.latency_ms,
            "attempts": self.attempts,
            "cached": self.cached,
            "error": self.error,
            "as_of": self.as_of.isoformat(),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ProviderAnswer:
        """The answer that :meth:`to_json` wrote; a missing or wrong field is named."""
        missing = [f for f in _ANSWER_FIELDS if f not in d]
        if missing:
            raise InvalidInputError(missing[0], "missing from the provider answer")
        extra = sorted(set(d) - set(_ANSWER_FIELDS))
        if extra:
            raise InvalidInputError(extra[0], "is not a field of a provider answer")
        try:
            status = ProviderStatus(d["status"])
        except ValueError:
            raise InvalidInputError(
                "status", f"must be one of {[s.value for s in ProviderStatus]}; got {d['status']!r}"
            ) from None
        try:
            as_of = datetime.fromisoformat(d["as_of"])
        except (TypeError, ValueError):
            raise InvalidInputError(
                "as_of", f"must be an ISO 8601 time; got {d['as_of']!r}"
            ) from None
        return cls(
            provider=str(d["provider"]),
            status=status,
            data=d["data"],
            cost=float(d["cost"]),
            latency_ms=float(d["latency_ms"]),
            attempts=int(d["attempts"]),
            cached=bool(d["cached"]),
            error=d["error"],
            as_of=require_aware(as_of, "as_of"),
        )


_ANSWER_FIELDS = (
    "provider",
    "status",
    "data",
    "cost",
    "latency_ms",
    "attempts",
    "cached",
    "error",
    "as_of",
)


@runtime_checkable
class DataProvider(Protocol):
    """An external data source. ``fetch`` may block and may raise: any exception is one failed
    attempt, handled by :class:`ProviderCall`.

    A provider that runs in-process and answers instantly may set ``inline = True``: the hub
    then calls it on the caller's thread (no thread hop). Such a provider cannot be abandoned
    mid-attempt, so only declare it when ``fetch`` cannot block.
    """

    name: str

    def fetch(self, query: ProviderQuery) -> tuple[ProviderStatus, dict[str, Any] | None]:
        """``(DATA, payload)`` or ``(NO_RECORD, None)`` for ``query``."""
        ...


# --------------------------------------------------------------------------------------------
# executor of attempts for calls made outside a hub

_shared_lock = threading.Lock()
_shared_executor: ThreadPoolExecutor | None = None


def _default_executor() -> ThreadPoolExecutor:
    """One process-wide pool for attempts of calls made outside a :class:`ProviderHub`."""
    global _shared_executor
    with _shared_lock:
        if _shared_executor is None:
            _shared_executor = ThreadPoolExecutor(
                max_workers=min(64, 8 * (os.cpu_count() or 1)),
                thread_name_prefix="zhudai-provider",
            )
        return _shared_executor


# --------------------------------------------------------------------------------------------
# the call policy

_CacheKey = tuple[str, str, str | None, str | None, str | None]


class ProviderCall:
    """One provider behind zhudai's call policy: deadline, retries, as_of-time cache and cost.

    Parameters
    ----------
    provider : DataProvider
        The source; its ``name`` names the answers.
    cost_per_call : float
        CNY charged for every attempt that reached the provider (see the module notes).
    timeout_ms : float
        Deadline of the whole call, retries included.
    retries : int, default 0
        Further attempts after an exception, while the deadline allows.
    cache_ttl_s : float, default 0
        Life of a cached DATA / NO_RECORD answer, in seconds of ``as_of`` time; 0 disables
        the cache.
    cache_max_keys : int, default 100_000
        Keys kept in the cache; the least recently used key goes first, so a long replay
        holds bounded memory.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> class Bureau:
    ...     name = "bureau"
    ...     inline = True
    ...     def fetch(self, query):
    ...         return ProviderStatus.DATA, {"past_overdue_count": 0}
    >>> call = ProviderCall(Bureau(), cost_per_call=1.5, timeout_ms=800, cache_ttl_s=86_400)
    >>> t = datetime(2024, 3, 1, 9, tzinfo=timezone(timedelta(hours=8)))
    >>> first = call.call(ProviderQuery("A1", t, id_token="tok-1"))
    >>> first.status, first.cost, first.cached
    (<ProviderStatus.DATA: 'data'>, 1.5, False)
    >>> again = call.call(ProviderQuery("A2", t + timedelta(hours=2), id_token="tok-1"))
    >>> again.cost, again.cached, again.attempts
    (0.0, True, 0)
    """

    def __init__(
        self,
        provider: DataProvider,
        *,
        cost_per_call: float,
        timeout_ms: float,
        retries: int = 0,
        cache_ttl_s: float = 0,
        cache_max_keys: int = 100_000,
    ) -> None:
        name = getattr(provider, "name", None)
        if not isinstance(name, str) or not name or not callable(getattr(provider, "fetch", None)):
            raise InvalidInputError(
                "provider", "must have a non-empty str `name` and a `fetch` method"
            )
        _check_number("cost_per_call", cost_per_call, minimum=0.0)
        _check_number("timeout_ms", timeout_ms, minimum=0.0, strict=True)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidInputError("retries", f"must be an integer >= 0; got {retries!r}")
        _check_number("cache_ttl_s", cache_ttl_s, minimum=0.0)
        if (
            isinstance(cache_max_keys, bool)
            or not isinstance(cache_max_keys, int)
            or cache_max_keys < 1
        ):
            raise InvalidInputError(
                "cache_max_keys", f"must be an integer >= 1; got {cache_max_keys!r}"
            )
        self.provider = provider
        self.name: str = name
        self.cost_per_call = float(cost_per_call)
        self.timeout_ms = float(timeout_ms)
        self.retries = retries
        self.cache_ttl_s = float(cache_ttl_s)
        self.cache_max_keys = cache_max_keys
        self.inline: bool = bool(getattr(provider, "inline", False))
        self._timeout_s = self.timeout_ms / 1000.0
        self._timeout_text = f"timeout after {self.timeout_ms:g} ms"
        # key -> parallel lists (as_of timestamps sorted, answers), most recently used last
        self._cache: OrderedDict[_CacheKey, tuple[list[float], list[ProviderAnswer]]] = (
            OrderedDict()
        )
        self._cache_lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"ProviderCall({self.name!r}, cost_per_call={self.cost_per_call:g}, "
            f"timeout_ms={self.timeout_ms:g}, retries={self.retries}, cache_ttl_s={self.cache_ttl_s:g})"
        )

    # -- public -------------------------------------------------------------------------------

    def call(self, query: ProviderQuery) -> ProviderAnswer:
        """The provider's answer to ``query`` under the policy; never raises for provider trouble.

        An inline provider runs on this thread; any other runs on a pool thread so that an
        overrunning attempt can be abandoned at the deadline.
        """
        started = time.perf_counter()
        hit = self._cached(query, started)
        if hit is not None:
            return hit
        if self.inline:
            return self._call_inline(query, started)
        flights = _Flights(_default_executor())
        flights.start(self, query, started)
        flights.wait()
        answer = flights.flights[0].answer
        assert answer is not None
        return answer

    def clear_cache(self) -> None:
        """Forget every cached answer (e.g. between two replays that must not share one)."""
        with self._cache_lock:
            self._cache.clear()

    # -- policy pieces shared with the hub ----------------------------------------------------

    def _cache_key(self, query: ProviderQuery) -> _CacheKey:
        return (self.name, query.id_token, query.phone_token, query.card_token, query.ip)

    def _cached(self, query: ProviderQuery, started: float) -> ProviderAnswer | None:
        """The cached answer serving ``query``, as a zero-cost answer, if any."""
        if self.cache_ttl_s <= 0:
            return None
        key = self._cache_key(query)
        at = query.as_of.timestamp()
        with self._cache_lock:
            entry = self._cache.get(key)
            if entry is None:
                return None
            times, answers = entry
            i = bisect.bisect_right(times, at) - 1  # latest entry at or before the query
            if i < 0 or at - times[i] > self.cache_ttl_s:
                return None
            self._cache.move_to_end(key)
            source = answers[i]
        return ProviderAnswer(
            provider=self.name,
            status=source.status,
            data=source.data,
            cost=0.0,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            attempts=0,
            cached=True,
            error=None,
            as_of=query.as_of,
        )

    def _remember(self, query: ProviderQuery, answer: ProviderAnswer) -> None:
        if self.cache_ttl_s <= 0 or answer.status is ProviderStatus.FAILURE:
            return
        key = self._cache_key(query)
        at = query.as_of.timestamp()
        with self._cache_lock:
            entry = self._cache.get(key)
            if entry is None:
                self._cache[key] = ([at], [answer])
                if len(self._cache) > self.cache_max_keys:
                    self._cache.popitem(last=False)
                return
            self._cache.move_to_end(key)
            times, answers = entry
            i = bisect.bisect_left(times, at)
            if i < len(times) and times[i] == at:
                answers[i] = answer
            else:
                times.insert(i, at)
                answers.insert(i, answer)

    def _answer(
        self,
        query: ProviderQuery,
        started: float,
        status: ProviderStatus,
        data: dict[str, Any] | None,
        attempts: int,
        error: str | None,
    ) -> ProviderAnswer:
        answer = ProviderAnswer(
            provider=self.name,
            status=status,
            data=data,
            cost=attempts * self.cost_per_call,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            attempts=attempts,
            cached=False,
            error=error,
            as_of=query.as_of,
        )
        self._remember(query, answer)
        return answer

    def _call_inline(self, query: ProviderQuery, started: float) -> ProviderAnswer:
        deadline = started + self._timeout_s
        attempts = 0
        error = self._timeout_text
        while attempts <= self.retries:
            attempts += 1
            try:
                status, data = _checked(self.provider.fetch(query))
            except Exception as exc:  # any exception is a failed attempt, by contract
                error = _describe(exc)
                if time.perf_counter() >= deadline:  # no time left for another attempt
                    break
                continue
            if time.perf_counter() > deadline:  # an "instant" provider that was not
                error = self._timeout_text
                break
            return self._answer(query, started, status, data, attempts, None)
        return self._answer(query, started, ProviderStatus.FAILURE, None, attempts, error)


# --------------------------------------------------------------------------------------------
# calls in flight on a pool (one per blocking provider of a fetch_all, or one for .call)


class _Flights:
    """The blocking calls of one request, settled by their attempts' done-callbacks.

    Each attempt's future settles its call on the worker thread that ran it (accept, or
    resubmit a retry), so the waiting thread wakes once, when the last call has its answer or
    at the next deadline, instead of once per finished attempt: on a busy box every wake-up
    is a GIL hand-off of tens to hundreds of microseconds.
    """

    __slots__ = ("executor", "flights", "_lock", "_open", "_all_done")

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self.executor = executor
        self.flights: list[_Flight] = []
        self._lock = threading.RLock()  # re-entered when a resubmitted attempt is already done
        self._open = 0
        self._all_done = threading.Event()

    def start(self, call: ProviderCall, query: ProviderQuery, started: float) -> None:
        flight = _Flight(self, call, query, started)
        self.flights.append(flight)
        with self._lock:
            self._open += 1
            flight.submit()

    def closed(self, flight: _Flight) -> None:
        """``flight`` has its answer (called under the lock)."""
        self._open -= 1
        if self._open == 0:
            self._all_done.set()

    def wait(self) -> None:
        """Block until every call has its answer; abandon attempts at their call's deadline."""
        while True:
            with self._lock:
                pending = [f for f in self.flights if f.answer is None]
                if not pending:
                    return
                now = time.perf_counter()
                for f in pending:
                    if f.deadline <= now:
                        f.expire()
                pending = [f for f in pending if f.answer is None]
                if not pending:
                    return
                timeout = min(f.deadline for f in pending) - now
            self._all_done.wait(timeout)


class _Flight:
    """One blocking call: its current attempt's future, deadline and tally."""

    __slots__ = ("group", "call", "query", "started", "deadline", "attempts", "future", "answer")

    def __init__(
        self, group: _Flights, call: ProviderCall, query: ProviderQuery, started: float
    ) -> None:
        self.group = group
        self.call = call
        self.query = query
        self.started = started
        self.deadline = started + call._timeout_s
        self.attempts = 0  # attempts that reached the provider
        self.answer: ProviderAnswer | None = None
        self.future: Future[tuple[ProviderStatus, dict[str, Any] | None]] | None = None

    def submit(self) -> None:
        """Start an attempt (under the group's lock)."""
        try:
            future = self.group.executor.submit(self.call.provider.fetch, self.query)
        except RuntimeError as exc:  # the pool was shut down: a failure, not a crash
            self.future = None
            self._finish(ProviderStatus.FAILURE, None, _describe(exc))
            return
        self.future = future
        future.add_done_callback(self._settle)

    def _finish(
        self, status: ProviderStatus, data: dict[str, Any] | None, error: str | None
    ) -> None:
        self.answer = self.call._answer(
            self.query, self.started, status, data, self.attempts, error
        )
        self.group.closed(self)

    def _settle(self, future: Future[tuple[ProviderStatus, dict[str, Any] | None]]) -> None:
        """An attempt finished (on its worker thread): accept it, or retry while time remains."""
        with self.group._lock:
            if self.answer is not None or future is not self.future or future.cancelled():
                return  # abandoned at the deadline meanwhile
            self.attempts += 1
            try:
                status, data = _checked(future.result())
            except Exception as exc:  # any exception is a failed attempt, by contract
                if self.attempts <= self.call.retries and time.perf_counter() < self.deadline:
                    self.submit()
                else:
                    self._finish(ProviderStatus.FAILURE, None, _describe(exc))
                return
            self._finish(status, data, None)

    def expire(self) -> None:
        """The deadline passed with the current attempt unfinished: abandon it (under the lock)."""
        future = self.future
        assert future is not None
        self.future = None  # its callback, if it ever runs, now sees a stale future
        if not future.cancel():  # it was running: it reached the provider and is billed
            self.attempts += 1
        self._finish(ProviderStatus.FAILURE, None, self.call._timeout_text)


# --------------------------------------------------------------------------------------------
# helpers


def _checked(result: Any) -> tuple[ProviderStatus, dict[str, Any] | None]:
    """A provider's reply as (status, data), or an exception (a failed attempt) if malformed."""
    if type(result) is tuple and len(result) == 2:  # the usual reply: skip the enum lookup
        status, data = result
        if status is ProviderStatus.DATA and type(data) is dict:
            return result
        if status is ProviderStatus.NO_RECORD and data is None:
            return result
    try:
        raw_status, data = result
        status = ProviderStatus(raw_status)
    except (TypeError, ValueError):
        raise TypeError(
            f"a provider must return (ProviderStatus, dict | None); got {result!r:.200}"
        ) from None
    if status is ProviderStatus.DATA:
        if not isinstance(data, dict):
            raise TypeError(f"a DATA answer needs a dict payload; got {type(data).__name__}")
        return status, data
    if status is ProviderStatus.NO_RECORD:
        return status, None
    raise RuntimeError("the provider reported a failure")


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _check_number(field: str, value: Any, *, minimum: float, strict: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value == value
    if ok and (value > minimum if strict else value >= minimum) and value != float("inf"):
        return
    bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
    raise InvalidInputError(field, f"must be a finite number {bound}; got {value!r}")
