"""All of a decision's providers at once, each within its own deadline.

A decision waits for its slowest provider, not for the sum of them, so the hub starts every
blocking provider on one shared pool first, then answers the in-process instant ones on the
caller's thread while those run, then waits for the rest. Instant providers never pay a
thread hop (tens of microseconds on an idle machine, 0.5 ms and more at p50 on a loaded
2-core box, see ``docs/providers.md``), which is what keeps a decision with only instant
sources within its 3 ms budget.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType

from zhudai.exceptions import InvalidInputError
from zhudai.providers.base import ProviderAnswer, ProviderCall, ProviderQuery, _Flights


class ProviderHub:
    """The configured providers of a decision, called concurrently.

    Parameters
    ----------
    calls : Mapping[str, ProviderCall]
        The providers by name, in the order answers are returned; each key must be its
        call's provider name.
    max_workers : int, optional
        Size of the one pool shared by the blocking providers; by default enough for four
        concurrent decisions to run every blocking attempt at once (at least 8). An abandoned
        attempt keeps its thread until the provider returns, so a provider that hangs for
        good eventually starves the pool: later attempts then queue and fail at their
        deadline instead of blocking the decision.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from zhudai.providers.base import ProviderStatus
    >>> class IpGeo:
    ...     name, inline = "ip_geo", True
    ...     def fetch(self, query):
    ...         return ProviderStatus.DATA, {"ip_city": "杭州"}
    >>> hub = ProviderHub({"ip_geo": ProviderCall(IpGeo(), cost_per_call=0, timeout_ms=50)})
    >>> q = ProviderQuery("A1", datetime(2024, 3, 1, tzinfo=timezone.utc), id_token="t", ip="1.2.3.4")
    >>> hub.fetch_all(q)["ip_geo"].data
    {'ip_city': '杭州'}
    """

    def __init__(
        self, calls: Mapping[str, ProviderCall], *, max_workers: int | None = None
    ) -> None:
        for key, call in calls.items():
            if not isinstance(call, ProviderCall):
                raise InvalidInputError(
                    f"calls.{key}", f"must be a ProviderCall; got {type(call).__name__}"
                )
            if call.name != key:
                raise InvalidInputError(
                    f"calls.{key}", f"is keyed {key!r} but its provider is named {call.name!r}"
                )
        if max_workers is not None and (
            isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1
        ):
            raise InvalidInputError("max_workers", f"must be an integer >= 1; got {max_workers!r}")
        self.calls: dict[str, ProviderCall] = dict(calls)
        self._inline = [c for c in self.calls.values() if c.inline]
        self._pooled = [c for c in self.calls.values() if not c.inline]
        self._executor: ThreadPoolExecutor | None = None
        if self._pooled:
            per_decision = sum(c.retries + 1 for c in self._pooled)
            workers = max_workers or max(8, min(256, 4 * per_decision, 32 * (os.cpu_count() or 1)))
            self._executor = ThreadPoolExecutor(
                max_workers=workers, thread_name_prefix="zhudai-provider-hub"
            )

    @property
    def names(self) -> list[str]:
        """The providers' names, in the order of :meth:`fetch_all`'s answers."""
        return list(self.calls)

    def fetch_all(self, query: ProviderQuery) -> dict[str, ProviderAnswer]:
        """Every provider's answer to ``query``, by name in the configured order.

        Never raises for provider trouble: a provider that fails or overruns its
        ``timeout_ms`` gives a FAILURE answer while the others still answer.
        """
        started = time.perf_counter()
        answers: dict[str, ProviderAnswer] = {}
        flights = _Flights(self._executor) if self._executor is not None else None
        if flights is not None:
            for call in self._pooled:  # start the slow ones first, so they overlap the rest
                hit = call._cached(query, started)
                if hit is not None:
                    answers[call.name] = hit
                else:
                    flights.start(call, query, time.perf_counter())
        for call in self._inline:
            answers[call.name] = call.call(query)
        if flights is not None and flights.flights:
            flights.wait()
            for flight in flights.flights:
                assert flight.answer is not None
                answers[flight.call.name] = flight.answer
        return {name: answers[name] for name in self.calls}

    @staticmethod
    def total_cost(answers: Mapping[str, ProviderAnswer]) -> float:
        """CNY spent on ``answers`` (what a decision adds to its acquisition cost)."""
        return sum(a.cost for a in answers.values())

    def close(self) -> None:
        """Stop the pool: queued attempts are cancelled, running ones finish on their own."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> ProviderHub:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ProviderHub({self.names!r})"
