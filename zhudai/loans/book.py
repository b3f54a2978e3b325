"""The loan book in the store: booking, repayments, reversals, a loan's state, each in one
transaction.

A loan's money is a pure function of its terms and its live postings (:mod:`.ledger`), so the
store keeps exactly those (``loans`` and ``repayments``) and, as projections rewritten in the
same transaction, the installments' paid amounts, the loan's delinquency snapshot and its
bucket changes. A posting's first statement bumps ``loans.version``: that takes the write lock
(SQLite) or the row lock (PostgreSQL) before anything is read, so two postings to one loan
queue instead of interleaving. The idempotency key is unique in ``repayments``: a retried
posting finds its row and gets the stored answer; a crash before the commit leaves nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Table, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from zhudai.audit.chain import AuditLog
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.faults import fault_point
from zhudai.loans.contract import (
    BookingRequest,
    LoanAnswer,
    PostingAnswer,
    RepaymentRequest,
    ReversalRequest,
    posted_day,
)
from zhudai.loans.delinquency import bucket_of, classification_of
from zhudai.loans.ledger import Allocation, Component, Ledger, LoanState, LoanTerms, Waterfall
from zhudai.loans.schedule import DayCount, Method
from zhudai.money import ZERO, money
from zhudai.parsing import parse_input
from zhudai.store.db import get_engine
from zhudai.store.models import (
    Application,
    FunderStatus,
    Installment,
    Loan,
    LoanBucketChange,
    Origination,
    Repayment,
)
from zhudai.times import to_local

_LOANS: Table = Loan.__table__  # type: ignore[assignment]
_LINES: Table = Installment.__table__  # type: ignore[assignment]
_PAYMENTS: Table = Repayment.__table__  # type: ignore[assignment]
_CHANGES: Table = LoanBucketChange.__table__  # type: ignore[assignment]
_APPS: Table = Application.__table__  # type: ignore[assignment]

REPAYMENT, REVERSAL = "repayment", "reversal"


def terms_of(loan: Row[Any]) -> LoanTerms:
    """A stored loan's contract terms (onboarded loans start on their booking day)."""
    return LoanTerms(
        principal=Decimal(loan.principal),
        apr=Decimal(str(loan.apr)),
        term_months=loan.term_months,
        method=Method(loan.repayment_method),
        start=loan.start_date or loan.booked_at.date(),
        day_count=DayCount(loan.day_count),
        fee_per_period=Decimal(loan.fee_per_period),
        penalty_apr=None if loan.penalty_apr is None else Decimal(str(loan.penalty_apr)),
        grace_days=loan.grace_days,
        order=tuple(Component(c) for c in loan.allocation_order.split(",")),
        waterfall=Waterfall(loan.waterfall),
    )


def ledger_of(conn: Connection, loan: Row[Any]) -> Ledger:
    """The loan's ledger rebuilt from its live postings, in value-date then arrival order (so
    the rebuild itself replays nothing). A posting loaded without a value date (a bank's file,
    the simulated world) is valued on the day it was paid."""
    ledger = Ledger(terms_of(loan))
    rows = conn.execute(
        select(
            _PAYMENTS.c.id,
            _PAYMENTS.c.idempotency_key,
            _PAYMENTS.c.value_date,
            _PAYMENTS.c.paid_at,
            _PAYMENTS.c.amount,
        ).where(
            _PAYMENTS.c.loan_id == loan.id,
            _PAYMENTS.c.kind == REPAYMENT,
            _PAYMENTS.c.idempotency_key.not_in(
                select(_PAYMENTS.c.reverses).where(
                    _PAYMENTS.c.loan_id == loan.id, _PAYMENTS.c.kind == REVERSAL
                )
            ),
        )
    ).all()
    valued = sorted(
        (r.value_date or r.paid_at.date(), r.id, r.idempotency_key, r.amount) for r in rows
    )
    for value_date, _, key, amount in valued:
        ledger.post(key, value_date, Decimal(amount))
    return ledger


class LoanBook:
    """Book loans and post money against them; every door (CLI, API, demo) calls this.

    Parameters
    ----------
    url : str, optional
        The store (default: the settings' database URL).
    actor : str
        Who the audit chain records as acting (the API passes the key's name).
    """

    def __init__(self, url: str | None = None, actor: str = "system") -> None:
        self.engine = get_engine(url)
        self.actor = actor

    # -- booking --------------------------------------------------------------------------
    def book(self, data: Mapping[str, Any] | BookingRequest) -> LoanAnswer:
        """Book a loan for a stored application; the same ``booking_key`` again returns the
        loan it booked (with other terms it is an error naming the key)."""
        req = parse_input(BookingRequest, data)
        terms = LoanTerms(
            principal=req.principal,
            apr=req.apr,
            term_months=req.term_months,
            method=req.method,
            start=req.start_date,
            day_count=req.day_count,
            fee_per_period=req.fee_per_period,
            penalty_apr=req.penalty_apr,
            grace_days=req.grace_days,
            order=req.allocation_order,
            waterfall=req.waterfall,
        )
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(_LOANS).where(_LOANS.c.external_id == req.booking_key)
            ).first()
            if existing is not None:
                if terms_of(existing) != terms:
                    raise InvalidInputError(
                        "booking_key", f"{req.booking_key!r} booked a loan with other terms"
                    )
                return self._answer(conn, existing, ledger_of(conn, existing), req.start_date)
            app = conn.execute(
                select(_APPS.c.id, _APPS.c.customer_id, _APPS.c.product_code).where(
                    _APPS.c.external_id == req.application_id
                )
            ).first()
            if app is None:
                raise NotFoundError("application_id", req.application_id)
            funder = conn.scalar(
                select(Origination.funder_id).where(Origination.external_id == req.application_id)
            )
            loan_id = conn.execute(
                insert(_LOANS).returning(_LOANS.c.id),
                {
                    "application_id": app.id,
                    "customer_id": app.customer_id,
                    "funder_id": funder,
                    "product_code": app.product_code,
                    "booked_at": to_local(req.booked_at),
                    "principal": req.principal,
                    "apr": float(req.apr),
                    "term_months": req.term_months,
                    "repayment_method": req.method.value,
                    "external_id": req.booking_key,
                    "start_date": req.start_date,
                    "day_count": req.day_count.value,
                    "fee_per_period": req.fee_per_period,
                    "penalty_apr": None if req.penalty_apr is None else float(req.penalty_apr),
                    "grace_days": req.grace_days,
                    "allocation_order": ",".join(c.value for c in req.allocation_order),
                    "waterfall": req.waterfall.value,
                },
            ).scalar_one()
            loan = self._locked(conn, loan_id)
            ledger = Ledger(terms)
            conn.execute(
                insert(_LINES),
                [
                    {
                        "loan_id": loan_id,
                        "installment_no": r.period,
                        "due_date": r.due_date,
                        "principal_due": r.principal,
                        "interest_due": r.interest,
                        "fee_due": money(terms.fee_per_period),
                    }
                    for r in ledger.schedule
                ],
            )
            answer = self._project(conn, loan, ledger, req.start_date, since=req.start_date)
            AuditLog.append(
                conn,
                actor=self.actor,
                action="loan.book",
                subject=f"loan:{loan_id}",
                payload={"booking_key": req.booking_key, "principal": str(req.principal)},
            )
            return answer

    def book_accepted(
        self, application_id: str, start_date: date, booked_at: datetime, **terms: Any
    ) -> LoanAnswer:
        """Book the loan of an application its recommended funder accepted: the amount the
        funder took, the decision's APR and term (``terms`` may add a method, fee, grace ...).
        The application id is the booking key, so booking it again returns the same loan."""
        with self.engine.connect() as conn:
            o = conn.execute(
                select(
                    Origination.funder_status, Origination.funder_amount, Origination.answer
                ).where(Origination.external_id == application_id)
            ).first()
        if o is None:
            raise NotFoundError("application_id", application_id)
        if o.funder_status != FunderStatus.ACCEPTED:
            raise InvalidInputError(
                "application_id",
                f"{application_id} has funder status {FunderStatus(o.funder_status).value}; "
                "only an application its funder accepted is booked",
            )
        return self.book(
            {
                "booking_key": application_id,
                "application_id": application_id,
                "principal": o.funder_amount,
                "apr": Decimal(str(o.answer["apr"])),
                "term_months": o.answer["term_months"],
                "start_date": start_date,
                "booked_at": booked_at,
                **terms,
            }
        )

    # -- money ----------------------------------------------------------------------------
    def post(self, data: Mapping[str, Any] | RepaymentRequest) -> PostingAnswer:
        """Post a repayment (possibly backdated); the same key again returns the stored
        posting, the same key with another loan, date or amount is an error naming the key."""
        req = parse_input(RepaymentRequest, data)
        today = posted_day(req.posted_at)
        with self.engine.begin() as conn:
            loan = self._locked(conn, req.loan_id)
            stored = self._stored(conn, req.idempotency_key)
            if stored is not None:
                same = (stored.kind, stored.loan_id, stored.value_date, money(stored.amount))
                if same != (REPAYMENT, req.loan_id, req.value_date, money(req.amount)):
                    raise InvalidInputError(
                        "idempotency_key",
                        f"{req.idempotency_key!r} was used for another posting",
                    )
                return self._posting_answer(conn, loan, stored, replayed=0, today=today)
            ledger = ledger_of(conn, loan)
            allocation = ledger.post(req.idempotency_key, req.value_date, req.amount)
            conn.execute(
                insert(_PAYMENTS),
                {
                    "loan_id": loan.id,
                    "paid_at": to_local(req.posted_at),
                    "amount": money(req.amount),
                    "idempotency_key": req.idempotency_key,
                    "value_date": req.value_date,
                    "kind": REPAYMENT,
                    "allocation": allocation_json(allocation),
                },
            )
            fault_point("loans.after_posting")  # a crash here must leave nothing applied
            answer = self._project(conn, loan, ledger, max(today, req.value_date), req.value_date)
            AuditLog.append(
                conn,
                actor=self.actor,
                action="loan.repayment",
                subject=f"loan:{loan.id}",
                payload={"key": req.idempotency_key, "amount": str(money(req.amount))},
            )
            return PostingAnswer(
                idempotency_key=req.idempotency_key,
                loan_id=loan.id,
                kind=REPAYMENT,
                value_date=req.value_date,
                amount=money(req.amount),
                allocation=allocation_json(allocation),
                replayed=ledger.replayed,
                loan=answer,
            )

    def reverse(self, data: Mapping[str, Any] | ReversalRequest) -> PostingAnswer:
        """Reverse a repayment; the loan is replayed from the reversed posting's value date."""
        req = parse_input(ReversalRequest, data)
        today = posted_day(req.posted_at)
        with self.engine.begin() as conn:
            target = self._stored(conn, req.reverses)
            if target is None or target.kind != REPAYMENT:
                raise NotFoundError("reverses", req.reverses)
            loan = self._locked(conn, target.loan_id)
            stored = self._stored(conn, req.idempotency_key)
            if stored is not None:
                if (stored.kind, stored.reverses) != (REVERSAL, req.reverses):
                    raise InvalidInputError(
                        "idempotency_key", f"{req.idempotency_key!r} was used for another posting"
                    )
                return self._posting_answer(conn, loan, stored, replayed=0, today=today)
            if conn.scalar(
                select(_PAYMENTS.c.id).where(
                    _PAYMENTS.c.kind == REVERSAL, _PAYMENTS.c.reverses == req.reverses
                )
            ):
                raise InvalidInputError("reverses", f"{req.reverses!r} is already reversed")
            ledger = ledger_of(conn, loan)
            ledger.reverse(req.reverses)
            conn.execute(
                insert(_PAYMENTS),
                {
                    "loan_id": loan.id,
                    "paid_at": to_local(req.posted_at),
                    "amount": money(target.amount),
                    "idempotency_key": req.idempotency_key,
                    "value_date": target.value_date,
                    "kind": REVERSAL,
                    "reverses": req.reverses,
                    "allocation": {},
                },
            )
            answer = self._project(conn, loan, ledger, today, since=target.value_date)
            AuditLog.append(
                conn,
                actor=self.actor,
                action="loan.reversal",
                subject=f"loan:{loan.id}",
                payload={"key": req.idempotency_key, "reverses": req.reverses},
            )
            return PostingAnswer(
                idempotency_key=req.idempotency_key,
                loan_id=loan.id,
                kind=REVERSAL,
                value_date=target.value_date,
                amount=money(target.amount),
                allocation={},
                replayed=ledger.replayed,
                loan=answer,
            )

    # -- reading --------------------------------------------------------------------------
    def loan(self, loan_id: int, as_of: date) -> LoanAnswer:
        """The loan on ``as_of`` (postings valued up to that day, penalty accrued to it)."""
        with self.engine.connect() as conn:
            loan = conn.execute(select(_LOANS).where(_LOANS.c.id == loan_id)).first()
            if loan is None:
                raise NotFoundError("loan_id", str(loan_id))
            return self._answer(conn, loan, ledger_of(conn, loan), as_of)

    # -- internals ------------------------------------------------------------------------
    @staticmethod
    def _locked(conn: Connection, loan_id: int) -> Row[Any]:
        """The loan row, write-locked first (see the module docstring)."""
        done = conn.execute(
            update(_LOANS).where(_LOANS.c.id == loan_id).values(version=_LOANS.c.version + 1)
        )
        if done.rowcount != 1:
            raise NotFoundError("loan_id", str(loan_id))
        return conn.execute(select(_LOANS).where(_LOANS.c.id == loan_id)).one()

    @staticmethod
    def _stored(conn: Connection, key: str) -> Row[Any] | None:
        return conn.execute(select(_PAYMENTS).where(_PAYMENTS.c.idempotency_key == key)).first()

    def _posting_answer(
        self, conn: Connection, loan: Row[Any], stored: Row[Any], replayed: int, today: date
    ) -> PostingAnswer:
        return PostingAnswer(
            idempotency_key=stored.idempotency_key,
            loan_id=loan.id,
            kind=stored.kind,
            value_date=stored.value_date,
            amount=money(stored.amount),
            allocation=stored.allocation or {},
            replayed=replayed,
            loan=self._answer(conn, loan, ledger_of(conn, loan), max(today, loan.as_of or today)),
        )

    def _project(
        self, conn: Connection, loan: Row[Any], ledger: Ledger, today: date, since: date
    ) -> LoanAnswer:
        """Rewrite the projections from the ledger: installments, the delinquency snapshot
        and the bucket changes from ``since`` (a backdated posting's value date) or from the
        last projection, whichever is earlier, on."""
        if loan.as_of is not None:
            since = min(since, loan.as_of)
        state = ledger.state_at(today)
        paid_on = _settled_on(ledger)
        conn.execute(
            update(_LINES)
            .where(_LINES.c.loan_id == loan.id, _LINES.c.installment_no == bindparam("no"))
            .values(
                paid_amount=bindparam("paid"),
                paid_date=bindparam("paid_date"),
                penalty_due=bindparam("penalty"),
                dpd=bindparam("dpd"),
            ),
            [
                {
                    "no": ln.period,
                    "paid": sum(ln.paid.values(), ZERO),
                    "paid_date": paid_on.get(ln.period),
                    "penalty": ln.due(Component.PENALTY),
                    "dpd": _line_dpd(ln.due_date, ln.contractual_unpaid, today),
                }
                for ln in state.lines
            ],
        )
        dpd = state.dpd(ledger.terms.grace_days)
        conn.execute(
            update(_LOANS)
            .where(_LOANS.c.id == loan.id)
            .values(
                status=state.status,
                oldest_unpaid_due=state.oldest_unpaid_due(),
                principal_outstanding=state.principal_outstanding,
                dpd=dpd,
                bucket=bucket_of(dpd),
                classification=classification_of(dpd).value,
                as_of=today,
                closed_on=state.closed_on,
            )
        )
        conn.execute(delete(_CHANGES).where(_CHANGES.c.loan_id == loan.id, _CHANGES.c.day >= since))
        changes = [c for c in ledger.dpd_history(today) if c[0] >= since]
        before = conn.scalar(
            select(_CHANGES.c.bucket)
            .where(_CHANGES.c.loan_id == loan.id)
            .order_by(_CHANGES.c.day.desc())
            .limit(1)
        )
        rows = []
        for day, days, bucket in changes:
            if bucket != before:
                rows.append({"loan_id": loan.id, "day": day, "dpd": days, "bucket": bucket})
                before = bucket
        if rows:
            conn.execute(insert(_CHANGES), rows)
        return _loan_answer(loan.id, Decimal(loan.principal), state, ledger.terms.grace_days)

    def _answer(self, conn: Connection, loan: Row[Any], ledger: Ledger, as_of: date) -> LoanAnswer:
        return _loan_answer(
            loan.id, Decimal(loan.principal), ledger.state_at(as_of), ledger.terms.grace_days
        )


def allocation_json(allocation: Allocation) -> dict[str, Any]:
    """Where a posting's money went, as stored and answered (amounts as strings)."""
    return {
        "parts": [
            {"period": p, "component": c.value, "amount": str(a)} for p, c, a in allocation.parts
        ],
        "cancelled": [
            {"period": p, "component": c.value, "amount": str(a)}
            for p, c, a in allocation.cancelled
        ],
        "credit": str(allocation.credit),
    }


def _settled_on(ledger: Ledger) -> dict[int, date]:
    """The value date of the posting that last paid into each installment now settled."""
    last: dict[int, date] = {}
    for posting in ledger.timeline:
        for period, _, _ in ledger.allocation(posting.key).parts:
            last[period] = posting.value_date
    settled = {ln.period for ln in ledger.state.lines if ln.settled}
    return {p: d for p, d in last.items() if p in settled}


def _line_dpd(due: date, unpaid: Decimal, today: date) -> int:
    return max((today - due).days, 0) if unpaid > 0 else 0


def _loan_answer(loan_id: int, principal: Decimal, state: LoanState, grace: int) -> LoanAnswer:
    dpd = state.dpd(grace)
    return LoanAnswer(
        loan_id=loan_id,
        status=state.status.value,
        principal=money(principal),
        principal_outstanding=state.principal_outstanding,
        dpd=dpd,
        bucket=bucket_of(dpd),
        classification=classification_of(dpd).value,
        oldest_unpaid_due=state.oldest_unpaid_due(),
        as_of=state.as_of,
        credit=state.credit,
        installments=[
            {
                "period": ln.period,
                "due_date": ln.due_date.isoformat(),
                "principal": str(ln.principal),
                "interest": str(ln.interest),
                "fee": str(ln.fee),
                "penalty": str(ln.due(Component.PENALTY)),
                "paid": str(sum(ln.paid.values(), ZERO)),
                "settled": ln.settled,
            }
            for ln in state.lines
        ],
    )
