"""A collection case's states and the moves between them, with the history of every move.

A case opens when a loan falls overdue and ends resolved (the loan is current again, or
settled) or closed (written off, or archived after resolution). A promise to pay carries the
day it is due; a promise still unpaid after that day is broken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from zhudai.exceptions import InvalidInputError
from zhudai.times import require_aware


class CaseState(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    PROMISE_TO_PAY = "promise_to_pay"
    BROKEN_PROMISE = "broken_promise"
    HARDSHIP = "hardship"
    RESOLVED = "resolved"
    CLOSED = "closed"


_S = CaseState
#: The states each state may move to (declared once; nothing else decides a move).
TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    _S.OPEN: frozenset({_S.IN_PROGRESS, _S.PROMISE_TO_PAY, _S.HARDSHIP, _S.RESOLVED, _S.CLOSED}),
    _S.IN_PROGRESS: frozenset({_S.PROMISE_TO_PAY, _S.HARDSHIP, _S.RESOLVED, _S.CLOSED}),
    _S.PROMISE_TO_PAY: frozenset({_S.BROKEN_PROMISE, _S.HARDSHIP, _S.RESOLVED, _S.CLOSED}),
    _S.BROKEN_PROMISE: frozenset(
        {_S.IN_PROGRESS, _S.PROMISE_TO_PAY, _S.HARDSHIP, _S.RESOLVED, _S.CLOSED}
    ),
    _S.HARDSHIP: frozenset({_S.IN_PROGRESS, _S.PROMISE_TO_PAY, _S.RESOLVED, _S.CLOSED}),
    _S.RESOLVED: frozenset({_S.CLOSED}),
    _S.CLOSED: frozenset(),
}

#: States a case ends in.
ENDED_STATES = frozenset({_S.RESOLVED, _S.CLOSED})
#: States of a case still being worked: a loan has at most one such case (a unique index).
LIVE_STATES = frozenset(CaseState) - ENDED_STATES


def case_state(value: CaseState | str, field: str = "state") -> CaseState:
    """The state named ``value``; an unknown name is refused, naming ``field``.

    Examples
    --------
    >>> case_state("hardship")
    <CaseState.HARDSHIP: 'hardship'>
    >>> case_state("paid", "to")
    Traceback (most recent call last):
    ...
    zhudai.exceptions.InvalidInputError: to: must be one of open, in_progress, promise_to_pay, broken_promise, hardship, resolved, closed; got 'paid'
    """
    try:
        return CaseState(value)
    except ValueError:
        states = ", ".join(s.value for s in CaseState)
        raise InvalidInputError(field, f"must be one of {states}; got {value!r}") from None


def check_move(state: CaseState, to: CaseState, promise_due: date | None = None) -> None:
    """Refuse a move :data:`TRANSITIONS` does not allow, or a promise to pay without its day.

    Examples
    --------
    >>> check_move(CaseState.OPEN, CaseState.PROMISE_TO_PAY, date(2026, 6, 5))
    >>> check_move(CaseState.CLOSED, CaseState.OPEN)
    Traceback (most recent call last):
    ...
    zhudai.exceptions.InvalidInputError: state: a case cannot move from closed to open (allowed: none)
    """
    if to not in TRANSITIONS[state]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[state])) or "none"
        raise InvalidInputError(
            "state",
            f"a case cannot move from {state.value} to {to.value} (allowed: {allowed})",
        )
    if to is _S.PROMISE_TO_PAY and promise_due is None:
        raise InvalidInputError("promise_due", "a promise to pay needs the day it is due")


@dataclass(frozen=True)
class CaseMove:
    """One entry of a case's history (``from_state`` is ``None`` for the opening)."""

    at: datetime
    from_state: CaseState | None
    to_state: CaseState
    reason: str
    actor: str


@dataclass
class CollectionCase:
    """A case in memory: its state, the promise in force, and its history.

    Examples
    --------
    >>> from datetime import UTC
    >>> case = CollectionCase.open(7, datetime(2026, 6, 1, tzinfo=UTC), "dpd 1")
    >>> case.move(CaseState.PROMISE_TO_PAY, datetime(2026, 6, 2, tzinfo=UTC), "agreed",
    ...           "agent-1", promise_due=date(2026, 6, 5))
    >>> [m.to_state.value for m in case.history], case.promise_due
    (['open', 'promise_to_pay'], datetime.date(2026, 6, 5))
    """

    loan_id: int
    state: CaseState
    promise_due: date | None = None
    history: list[CaseMove] = field(default_factory=list)
    case_id: int | None = None  # once stored

    @classmethod
    def open(cls, loan_id: int, at: datetime, reason: str, actor: str = "system") -> CollectionCase:
        case = cls(loan_id, CaseState.OPEN)
        case.history.append(CaseMove(require_aware(at, "at"), None, CaseState.OPEN, reason, actor))
        return case

    def move(
        self,
        to: CaseState,
        at: datetime,
        reason: str,
        actor: str,
        *,
        promise_due: date | None = None,
    ) -> None:
        """Move to ``to`` if :data:`TRANSITIONS` allows it; a move earlier than the last is
        refused (the history is in time order)."""
        check_move(self.state, to, promise_due)
        require_aware(at, "at")
        if self.history and at < self.history[-1].at:
            raise InvalidInputError(
                "at", f"{at.isoformat()} is before the case's last move ({self.history[-1].at})"
            )
        self.history.append(CaseMove(at, self.state, to, reason, actor))
        self.state = to
        self.promise_due = promise_due if to is _S.PROMISE_TO_PAY else None
