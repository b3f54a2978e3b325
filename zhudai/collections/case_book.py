"""Collection cases in the store: the daily job that opens, follows and ends them from the loan
book's overdue loans, and the moves collectors make, each with its history row.

``process_cases(day)`` runs after the book's daily close of ``day`` (``zhudai.loans.close``),
whose snapshot (``loans.dpd``, ``bucket``, ``status``) it reads:

* an overdue loan (DPD >= 1) without a live case gets one, ``open``;
* a live case follows its loan's bucket; a promise to pay still unpaid after its due day is
  ``broken_promise``;
* a live case whose loan is current again or settled is ``resolved``; written off, ``closed``.

Running a day twice changes nothing the second time. Every move is dated with the moment it is
made (the daily job's: the start of ``day``, Asia/Shanghai) and goes through
:func:`~zhudai.collections.cases.check_move`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from zhudai.collections.cases import (
    LIVE_STATES,
    CaseMove,
    CaseState,
    CollectionCase,
    case_state,
    check_move,
)
from zhudai.exceptions import NotFoundError
from zhudai.loans.ledger import LoanStatus
from zhudai.store.db import get_engine
from zhudai.store.models import CollectionCase as CaseRow
from zhudai.store.models import CollectionCaseMove, Loan
from zhudai.times import from_local, require_aware, to_local

_CASES: Table = CaseRow.__table__  # type: ignore[assignment]
_MOVES: Table = CollectionCaseMove.__table__  # type: ignore[assignment]
_LOANS: Table = Loan.__table__  # type: ignore[assignment]

#: The actor of the daily job's moves.
DAILY_ACTOR = "daily-cases"


@dataclass(frozen=True)
class CaseReport:
    """What one day's run did (counts of cases)."""

    day: date
    opened: int
    resolved: int
    closed: int
    broken_promises: int
    live: int


@dataclass(frozen=True)
class LiveCase:
    """A live case as allocation and the queues read it."""

    case_id: int
    loan_id: int
    bucket: str
    state: CaseState
    c_score: float | None
    assigned_to: str | None


class CaseBook:
    """The store's collection cases (the embedded SQLite by default, or ``url``)."""

    def __init__(self, url: str | None = None) -> None:
        self.engine = get_engine(url)

    def process_cases(self, day: date) -> CaseReport:
        """Open, follow and end cases from the loan book's snapshot of ``day``."""
        at = to_local(from_local(datetime.combine(day, time())))
        with self.engine.begin() as conn:
            live = conn.execute(
                select(_CASES.c.id, _CASES.c.loan_id, _CASES.c.state, _CASES.c.promise_due,
                       _CASES.c.bucket)
                .where(_CASES.c.state.in_(LIVE_STATES))
            ).all()  # fmt: skip
            loans = {
                row.id: row
                for row in conn.execute(
                    select(_LOANS.c.id, _LOANS.c.status, _LOANS.c.dpd, _LOANS.c.bucket).where(
                        ((_LOANS.c.dpd >= 1) & (_LOANS.c.status == LoanStatus.ACTIVE))
                        | _LOANS.c.id.in_([c.loan_id for c in live])
                    )
                )
            }
            moved: Counter[CaseState] = Counter()
            for case in live:
                loan = loans[case.loan_id]
                to, reason = _next_state(case, loan, day)
                if to is not None:
                    _move(conn, case.id, CaseState(case.state), to, at, reason, DAILY_ACTOR, None,
                          bucket=loan.bucket)  # fmt: skip
                    moved[to] += 1
                elif loan.bucket != case.bucket:
                    conn.execute(
                        update(_CASES).where(_CASES.c.id == case.id).values(bucket=loan.bucket)
                    )
            with_case = {case.loan_id for case in live}
            for loan in loans.values():
                if loan.id in with_case or loan.status != LoanStatus.ACTIVE or loan.dpd < 1:
                    continue
                case_id = conn.execute(
                    insert(_CASES)
                    .values(loan_id=loan.id, opened_at=at, bucket=loan.bucket, state=CaseState.OPEN)
                    .returning(_CASES.c.id)
                ).scalar_one()
                _write_move(conn, case_id, None, CaseState.OPEN, at,
                            f"{loan.dpd} days past due ({loan.bucket})", DAILY_ACTOR)  # fmt: skip
                moved[CaseState.OPEN] += 1
        ended = moved[CaseState.RESOLVED] + moved[CaseState.CLOSED]
        return CaseReport(
            day,
            opened=moved[CaseState.OPEN],
            resolved=moved[CaseState.RESOLVED],
            closed=moved[CaseState.CLOSED],
            broken_promises=moved[CaseState.BROKEN_PROMISE],
            live=len(live) - ended + moved[CaseState.OPEN],
        )

    def move(
        self,
        case_id: int,
        to: CaseState | str,
        at: datetime,
        reason: str,
        actor: str,
        *,
        promise_due: date | None = None,
    ) -> CollectionCase:
        """Move a case (a collector's or an agency's step); the case with its history after it."""
        to = case_state(to, "to")
        with self.engine.begin() as conn:
            case = _load(conn, case_id, lock=True)
            before = case.state
            case.move(to, require_aware(at, "at"), reason, actor, promise_due=promise_due)
            _move(conn, case_id, before, to, to_local(at), reason, actor, promise_due)
        return case

    def record_scores(self, scores: Mapping[int, float]) -> int:
        """Keep each loan's C-score (``{loan_id: score}``) on its live case; the cases scored."""
        if not scores:
            return 0
        with self.engine.begin() as conn:
            live = conn.execute(
                select(_CASES.c.id, _CASES.c.loan_id).where(
                    _CASES.c.state.in_(LIVE_STATES), _CASES.c.loan_id.in_(list(scores))
                )
            ).all()
            for case in live:
                conn.execute(
                    update(_CASES)
                    .where(_CASES.c.id == case.id)
                    .values(c_score=float(scores[case.loan_id]))
                )
        return len(live)

    def live_cases(self, queue: str | None = None) -> list[LiveCase]:
        """The live cases (of one queue, if given), oldest first."""
        query = select(
            _CASES.c.id, _CASES.c.loan_id, _CASES.c.bucket, _CASES.c.state, _CASES.c.c_score,
            _CASES.c.assigned_to,
        ).where(_CASES.c.state.in_(LIVE_STATES))  # fmt: skip
        if queue is not None:
            query = query.where(_CASES.c.assigned_to == queue)
        with self.engine.connect() as conn:
            return [
                LiveCase(r.id, r.loan_id, r.bucket, CaseState(r.state), r.c_score, r.assigned_to)
                for r in conn.execute(query.order_by(_CASES.c.id))
            ]

    def assign(self, queues: Mapping[int, str]) -> int:
        """Put each case (``{case_id: queue}``) in its queue; the cases assigned."""
        with self.engine.begin() as conn:
            for case_id, queue in queues.items():
                conn.execute(update(_CASES).where(_CASES.c.id == case_id).values(assigned_to=queue))
        return len(queues)

    def case(self, case_id: int) -> CollectionCase:
        """A stored case and its history (times aware, Asia/Shanghai)."""
        with self.engine.connect() as conn:
            return _load(conn, case_id)

    def live_case_of(self, loan_id: int) -> CollectionCase | None:
        """The loan's live case, if it has one."""
        with self.engine.connect() as conn:
            case_id = conn.execute(
                select(_CASES.c.id).where(
                    _CASES.c.loan_id == loan_id, _CASES.c.state.in_(LIVE_STATES)
                )
            ).scalar()
            return None if case_id is None else _load(conn, case_id)


def _next_state(case: Any, loan: Any, day: date) -> tuple[CaseState | None, str]:
    """The daily job's move of a live case (``None``: it stays where it is)."""
    if loan.status == LoanStatus.WRITTEN_OFF:
        return CaseState.CLOSED, "loan written off"
    if loan.status == LoanStatus.CLOSED:
        return CaseState.RESOLVED, "loan settled"
    if loan.dpd == 0:
        return CaseState.RESOLVED, "loan current again"
    if case.state == CaseState.PROMISE_TO_PAY and case.promise_due < day:
        return CaseState.BROKEN_PROMISE, f"promise due {case.promise_due} unpaid, {loan.dpd} DPD"
    return None, ""


def _move(
    conn: Connection,
    case_id: int,
    state: CaseState,
    to: CaseState,
    at: datetime,
    reason: str,
    actor: str,
    promise_due: date | None,
    **values: Any,
) -> None:
    check_move(state, to, promise_due)
    ended = {"closed_at": at} if to not in LIVE_STATES else {}
    conn.execute(
        update(_CASES)
        .where(_CASES.c.id == case_id)
        .values(state=to, promise_due=promise_due, **ended, **values)
    )
    _write_move(conn, case_id, state, to, at, reason, actor)


def _write_move(
    conn: Connection,
    case_id: int,
    state: CaseState | None,
    to: CaseState,
    at: datetime,
    reason: str,
    actor: str,
) -> None:
    conn.execute(
        insert(_MOVES).values(
            case_id=case_id, at=at, from_state=state, to_state=to, reason=reason[:200], actor=actor
        )
    )


def _load(conn: Connection, case_id: int, *, lock: bool = False) -> CollectionCase:
    query = select(_CASES).where(_CASES.c.id == case_id)
    row = conn.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise NotFoundError("case_id", case_id)
    moves = conn.execute(
        select(_MOVES).where(_MOVES.c.case_id == case_id).order_by(_MOVES.c.id)
    ).all()
    history = [
        CaseMove(
            from_local(m.at),
            None if m.from_state is None else CaseState(m.from_state),
            CaseState(m.to_state),
            m.reason,
            m.actor,
        )
        for m in moves
    ]
    return CollectionCase(row.loan_id, CaseState(row.state), row.promise_due, history, row.id)
