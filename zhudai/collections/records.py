"""The record of every action the guard judged (allowed or blocked), and the retention rule:
records are kept at least ``retention_years``; a purge that would delete a younger one is
refused, not trimmed."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from zhudai.collections.actions import ProposedAction
from zhudai.collections.rules import GuardRules, RuleId
from zhudai.exceptions import ComplianceBlockedError
from zhudai.times import require_aware, utc_now


@dataclass(frozen=True)
class ActionRecord:
    """One judged action and the guard's answer."""

    action: ProposedAction
    allowed: bool
    rule: RuleId | None
    reason: str


class ActionLog(Protocol):
    def append(self, record: ActionRecord) -> None: ...

    def purge(self, before: datetime, *, now: datetime | None = None) -> int:
        """Delete records of actions before ``before``; the number deleted."""
        ...


def years_before(moment: datetime, years: int) -> datetime:
    """``moment`` the same calendar date ``years`` earlier (29 February -> 28 February).

    Examples
    --------
    >>> from datetime import UTC
    >>> years_before(datetime(2028, 2, 29, 12, tzinfo=UTC), 2).isoformat()
    '2026-02-28T12:00:00+00:00'
    """
    day = moment.date()
    try:
        earlier = date(day.year - years, day.month, day.day)
    except ValueError:  # 29 February in a year without one
        earlier = date(day.year - years, day.month, 28)
    return moment.replace(year=earlier.year, month=earlier.month, day=earlier.day)


def check_retention(rules: GuardRules, before: datetime, now: datetime) -> None:
    """Refuse a purge of the actions before ``before`` if it reaches into the retention period."""
    require_aware(before, "before")
    require_aware(now, "now")
    if rules.retention_years is None:
        return
    oldest_kept = years_before(now, rules.retention_years)
    if before > oldest_kept:
        raise ComplianceBlockedError(
            RuleId.RECORD_RETENTION.value,
            f"collection records are kept at least {rules.retention_years} years: a purge may "
            f"delete actions before {oldest_kept.isoformat()} only; asked before {before.isoformat()}",
        )


class InMemoryActionLog:
    """This process's records (the embedded default)."""

    def __init__(self, rules: GuardRules | None = None) -> None:
        self._rules = rules or GuardRules()
        self._records: list[ActionRecord] = []
        self._lock = threading.Lock()

    def append(self, record: ActionRecord) -> None:
        with self._lock:
            self._records.append(record)

    def purge(self, before: datetime, *, now: datetime | None = None) -> int:
        check_retention(self._rules, before, now or utc_now())
        with self._lock:
            kept = [r for r in self._records if r.action.at >= before]
            deleted = len(self._records) - len(kept)
            self._records = kept
        return deleted

    def records(self) -> list[ActionRecord]:
        with self._lock:
            return list(self._records)
