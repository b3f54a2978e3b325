"""The guard's daily counts (effective calls per debtor, unanswered attempts per phone), behind
a small protocol: in process by default, and a shared store (Redis, the database) can follow
for API workers that must see each other's calls.

A check and its count happen in one step (:meth:`DayCounts.admit`), so two workers can never
both pass the last free call. A shared implementation must key phones by a token
(``zhudai.privacy.tokenizer``), never the plain number.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol

from zhudai.exceptions import InvalidInputError


class Tally(StrEnum):
    EFFECTIVE_CALLS = "effective_calls"
    UNANSWERED_ATTEMPTS = "unanswered_attempts"


@dataclass(frozen=True)
class CountKey:
    """One count: what is counted, for whom (a debtor id or a phone number), on which local day."""

    tally: Tally
    subject: str
    day: date


@dataclass(frozen=True)
class Admission:
    """The answer of :meth:`DayCounts.admit`: the index of the first limit already reached
    (``None``: admitted and counted) and each limited key's count before the action."""

    blocked: int | None
    counts: tuple[int, ...]


class DayCounts(Protocol):
    def admit(self, limits: Sequence[tuple[CountKey, int]], bump: Sequence[CountKey]) -> Admission:
        """Atomically: if every limited key is below its limit, add one to each key of
        ``bump``; say which limit blocked otherwise (and change nothing)."""
        ...


#: Local days kept before the newest one seen: local days of one instant differ by up to two
#: calendar days across zones (UTC-12 .. UTC+14), so three keep every day still open somewhere.
KEEP_DAYS = 3


def stale_day(day: date, newest: date) -> InvalidInputError:
    """The error for an action on a day whose counts are no longer kept."""
    return InvalidInputError(
        "at",
        f"local day {day} is more than {KEEP_DAYS} days before the newest day judged "
        f"({newest}); its counts are no longer kept",
    )


class InMemoryDayCounts:
    """This process's counts (the embedded default); days older than :data:`KEEP_DAYS` before
    the newest one are forgotten, and an action on such a day is refused, never counted from 0."""

    def __init__(self) -> None:
        self._by_day: dict[date, Counter[tuple[Tally, str]]] = {}
        self._newest: date | None = None
        self._lock = threading.Lock()

    def admit(self, limits: Sequence[tuple[CountKey, int]], bump: Sequence[CountKey]) -> Admission:
        with self._lock:
            for key in (*(k for k, _ in limits), *bump):
                self._open(key.day)
            counts = tuple(self._by_day[k.day][(k.tally, k.subject)] for k, _ in limits)
            for index, ((_, limit), count) in enumerate(zip(limits, counts, strict=True)):
                if count >= limit:
                    return Admission(index, counts)
            for key in bump:
                self._by_day[key.day][(key.tally, key.subject)] += 1
            return Admission(None, counts)

    def count(self, key: CountKey) -> int:
        """The current count of ``key`` (0 if nothing was counted under it)."""
        with self._lock:
            return self._by_day.get(key.day, Counter())[(key.tally, key.subject)]

    def _open(self, day: date) -> None:
        if self._newest is None or day > self._newest:
            self._newest = day
            horizon = day - timedelta(days=KEEP_DAYS)
            self._by_day = {d: c for d, c in self._by_day.items() if d >= horizon}
        elif day < self._newest - timedelta(days=KEEP_DAYS):
            raise stale_day(day, self._newest)
        self._by_day.setdefault(day, Counter())
