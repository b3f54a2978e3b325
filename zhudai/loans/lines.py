"""Credit lines (授信额度) and drawdowns (支用): the line's limit is granted once; each
drawdown is checked by the in-loan transaction policy (``drawdown``: allow, reduce to what is
available, review or refuse, with reasons) and, if allowed, becomes a loan on the line with its
own schedule. The line's drawn amount is its active loans' outstanding principal, kept by every
booking and posting (:func:`zhudai.loans.book.project`).

A drawdown is one transaction: the line is write-locked first, the policy decides on the
line's and the customer's state read inside it, and the decision record, the loan and the
action are written together. The drawdown key is the idempotency key: a retried drawdown gets
the stored verdict, refused or allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Table, func, insert, select, update
from sqlalchemy.engine import Connection

from zhudai.audit.chain import AuditLog
from zhudai.decision.service import DecisionService, decision_values
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.loans.book import Borrower, LoanBook, application_of, check_apr_cap
from zhudai.loans.contract import (
    BookingRequest,
    DrawdownAnswer,
    DrawdownRequest,
    LineAnswer,
    OpenLineRequest,
    posted_day,
)
from zhudai.loans.ledger import LoanStatus
from zhudai.money import money
from zhudai.parsing import parse_input
from zhudai.store.db import get_engine
from zhudai.store.models import Application, CreditLine, DecisionRecord, Loan, LoanAction
from zhudai.times import to_local

DRAWDOWN_POLICY = "drawdown"
FROZEN, OPEN = "frozen", "open"

_LINES: Table = CreditLine.__table__  # type: ignore[assignment]
_LOANS: Table = Loan.__table__  # type: ignore[assignment]
_APPS: Table = Application.__table__  # type: ignore[assignment]
_ACTIONS: Table = LoanAction.__table__  # type: ignore[assignment]


class CreditLines:
    """Open lines and draw them down; every door (CLI, API, demo) calls this.

    Parameters
    ----------
    decisions : DecisionService
        Serves the active ``drawdown`` policy.
    url : str, optional
        The store (default: the settings' database URL).
    actor : str
        Who the audit chain records as acting.
    """

    def __init__(self, decisions: DecisionService, url: str | None = None, actor: str = "system"):
        self.decisions = decisions
        self.engine = get_engine(url)
        self.book = LoanBook(url, actor=actor)
        self.actor = actor

    def open(self, data: Mapping[str, Any] | OpenLineRequest) -> LineAnswer:
        """Open a line on a stored application; the same ``line_key`` returns that line."""
        req = parse_input(OpenLineRequest, data)
        check_apr_cap(req.apr)
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(_LINES).where(_LINES.c.external_id == req.line_key)
            ).first()
            if existing is not None:
                same = (money(existing.credit_limit), existing.expires_on)
                if same != (money(req.credit_limit), req.expires_on):
                    raise InvalidInputError("line_key", f"{req.line_key!r} opened another line")
                return _line_answer(existing)
            app = application_of(conn, req.application_id)
            line_id = conn.execute(
                insert(_LINES).returning(_LINES.c.id),
                {
                    "external_id": req.line_key,
                    "customer_id": app.customer_id,
                    "application_id": app.id,
                    "product_code": app.product_code,
                    "credit_limit": money(req.credit_limit),
                    "drawn": Decimal(0),
                    "apr": float(req.apr),
                    "status": OPEN,
                    "opened_at": to_local(req.opened_at),
                    "expires_on": req.expires_on,
                },
            ).scalar_one()
            AuditLog.append(
                conn,
                actor=self.actor,
                action="line.open",
                subject=f"line:{line_id}",
                payload={"line_key": req.line_key, "limit": str(money(req.credit_limit))},
            )
            return _line_answer(_locked(conn, line_id))

    def line(self, line_id: int) -> LineAnswer:
        with self.engine.connect() as conn:
            row = conn.execute(select(_LINES).where(_LINES.c.id == line_id)).first()
        if row is None:
            raise NotFoundError("line_id", str(line_id))
        return _line_answer(row)

    def draw(self, data: Mapping[str, Any] | DrawdownRequest) -> DrawdownAnswer:
        """Check a drawdown with the in-loan policy; book the loan if it is allowed."""
        req = parse_input(DrawdownRequest, data)
        today = posted_day(req.requested_at)
        with self.engine.begin() as conn:
            stored = conn.execute(
                select(_ACTIONS).where(_ACTIONS.c.idempotency_key == req.drawdown_key)
            ).first()
            if stored is not None and stored.action == "drawdown":
                return self._stored(conn, stored, req)
            if stored is not None:
                raise InvalidInputError(
                    "drawdown_key", f"{req.drawdown_key!r} keyed another action"
                )
            line = _locked(conn, req.line_id)
            inputs = _policy_inputs(conn, line, req.amount, today)
            decision, _ = self.decisions.evaluate(DRAWDOWN_POLICY, inputs)
            conn.execute(
                insert(DecisionRecord),
                decision_values(
                    decision, line.application_id, None, {"drawdown": req.drawdown_key}
                ),
            )
            granted = (
                money(Decimal(str(decision.credit_limit)))
                if decision.outcome.value == "approve" and decision.credit_limit is not None
                else None
            )
            loan = None
            if granted is not None:
                applied = conn.scalar(
                    select(_APPS.c.external_id).where(_APPS.c.id == line.application_id)
                )
                booking = BookingRequest(
                    booking_key=req.drawdown_key,
                    application_id=applied or f"line:{line.external_id}",  # the line's
                    principal=granted,
                    apr=Decimal(str(line.apr)),
                    term_months=req.term_months,
                    method=req.method,
                    start_date=today,
                    booked_at=req.requested_at,
                )
                borrower = Borrower(
                    line.application_id, line.customer_id, line.product_code, line.funder_id
                )
                loan = self.book.insert_loan(conn, booking, borrower, line_id=line.id)
            texts = self.decisions.policy(DRAWDOWN_POLICY).document.reason_texts
            reasons = [{"code": c, "text": texts.get(c, c)} for c in decision.reason_codes]
            conn.execute(
                insert(_ACTIONS),
                {
                    "idempotency_key": req.drawdown_key,
                    "loan_id": loan.loan_id if loan else None,
                    "line_id": line.id,
                    "action": "drawdown",
                    "at": to_local(req.requested_at),
                    "actor": self.actor,
                    "reasons": reasons,
                    "details": {
                        "outcome": decision.outcome.value,
                        "asked": str(money(req.amount)),
                        "granted": None if granted is None else str(granted),
                        "decision_id": decision.decision_id,
                        "term_months": req.term_months,
                    },
                },
            )
            AuditLog.append(
                conn,
                actor=self.actor,
                action="line.drawdown",
                subject=f"line:{line.id}",
                payload={"key": req.drawdown_key, "outcome": decision.outcome.value},
            )
            return DrawdownAnswer(
                drawdown_key=req.drawdown_key,
                line_id=line.id,
                outcome=decision.outcome.value,
                granted=granted,
                reasons=reasons,
                decision_id=decision.decision_id,
                loan=loan,
                line=_line_answer(conn.execute(select(_LINES).where(_LINES.c.id == line.id)).one()),
            )

    def _stored(self, conn: Connection, action: Row[Any], req: DrawdownRequest) -> DrawdownAnswer:
        details = action.details
        if (action.line_id, details["asked"], details["term_months"]) != (
            req.line_id,
            str(money(req.amount)),
            req.term_months,
        ):
            raise InvalidInputError("drawdown_key", f"{req.drawdown_key!r} was another drawdown")
        loan = None
        if action.loan_id is not None:
            loan = self.book.loan(action.loan_id, posted_day(req.requested_at))
        line = conn.execute(select(_LINES).where(_LINES.c.id == action.line_id)).one()
        return DrawdownAnswer(
            drawdown_key=req.drawdown_key,
            line_id=action.line_id,
            outcome=details["outcome"],
            granted=None if details["granted"] is None else Decimal(details["granted"]),
            reasons=action.reasons,
            decision_id=details["decision_id"],
            loan=loan,
            line=_line_answer(line),
        )


def _locked(conn: Connection, line_id: int) -> Row[Any]:
    """The line, write-locked before anything is read (the same trick as a loan's posting)."""
    done = conn.execute(update(_LINES).where(_LINES.c.id == line_id).values(drawn=_LINES.c.drawn))
    if done.rowcount != 1:
        raise NotFoundError("line_id", str(line_id))
    return conn.execute(select(_LINES).where(_LINES.c.id == line_id)).one()


def _policy_inputs(
    conn: Connection, line: Row[Any], amount: Decimal, today: date
) -> dict[str, Any]:
    """What the drawdown policy decides on: the line now and the customer's loans now (their
    DPD as of each loan's last posting or close)."""
    worst, active = conn.execute(
        select(func.max(_LOANS.c.dpd), func.count()).where(
            _LOANS.c.customer_id == line.customer_id, _LOANS.c.status == LoanStatus.ACTIVE
        )
    ).one()
    return {
        "amount": float(amount),
        "available": float(money(line.credit_limit) - money(line.drawn)),
        "line_frozen": line.status == FROZEN,
        "days_to_expiry": (line.expires_on - today).days,
        "worst_dpd": int(worst or 0),
        "active_loans": int(active),
    }


def _line_answer(row: Row[Any]) -> LineAnswer:
    limit, drawn = money(row.credit_limit), money(row.drawn)
    return LineAnswer(
        line_id=row.id,
        status=row.status,
        credit_limit=limit,
        drawn=drawn,
        available=limit - drawn,
        apr=Decimal(str(row.apr)),
        expires_on=row.expires_on,
    )
