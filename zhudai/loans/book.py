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
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Row, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from zhudai.audit.chain import AuditLog
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.faults import fault_point
from zhudai.loans.contract import (
    BookingRequest,
    LoanActionRequest,
    LoanAnswer,
    PostingAnswer,
    RepaymentRequest,
    RestructureRequest,
    ReversalRequest,
    posted_day,
)
from zhudai.loans.delinquency import bucket_of, classification_of
from zhudai.loans.ledger import (
    Allocation,
    Component,
    Ledger,
    LoanState,
    LoanStatus,
    LoanTerms,
    Waterfall,
)
from zhudai.loans.schedule import DayCount, Method
from zhudai.loans.schedule import Installment as ScheduleRow
from zhudai.money import ZERO, money
from zhudai.parsing import parse_input
from zhudai.settings import get_settings
from zhudai.store.db import AnswerHook, get_engine
from zhudai.store.models import (
    Application,
    CreditLine,
    FunderStatus,
    Installment,
    Loan,
    LoanAction,
    LoanBucketChange,
    Origination,
    Repayment,
)
from zhudai.times import to_local

_Answer = TypeVar("_Answer", LoanAnswer, PostingAnswer)
_LOANS: Table = Loan.__table__  # type: ignore[assignment]
_LINES: Table = Installment.__table__  # type: ignore[assignment]
_PAYMENTS: Table = Repayment.__table__  # type: ignore[assignment]
_CHANGES: Table = LoanBucketChange.__table__  # type: ignore[assignment]
_APPS: Table = Application.__table__  # type: ignore[assignment]
_ACTIONS: Table = LoanAction.__table__  # type: ignore[assignment]
_CREDIT_LINES: Table = CreditLine.__table__  # type: ignore[assignment]

REPAYMENT, REVERSAL = "repayment", "reversal"
#: An internal posting that settles a restructured loan into its successor (not cash).
RESTRUCTURE = "restructure"


@dataclass(frozen=True)
class Borrower:
    """Who a new loan belongs to, and through which application and funder."""

    application_id: int | None
    customer_id: int
    product_code: str
    funder_id: int | None


def application_of(conn: Connection, external_id: str) -> Row[Any, Any, Any]:
    """The stored application a partner's id names (its id, customer and product)."""
    app = conn.execute(
        select(_APPS.c.id, _APPS.c.customer_id, _APPS.c.product_code).where(
            _APPS.c.external_id == external_id
        )
    ).first()
    if app is None:
        raise NotFoundError("application_id", external_id)
    return app


def check_apr_cap(apr: Decimal) -> None:
    """Refuse an APR above the settings' cost cap (``ZHUDAI_APR_CAP``, declared once)."""
    cap = Decimal(str(get_settings().apr_cap))
    if apr > cap:
        raise InvalidInputError("apr", f"{apr} is above the cost cap {cap} (ZHUDAI_APR_CAP)")


def terms_from(req: BookingRequest) -> LoanTerms:
    """The contract terms a booking asks for."""
    return LoanTerms(
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


def stored_schedule(conn: Connection, loan: Row[Any]) -> list[ScheduleRow]:
    """The loan's contract schedule as the book holds it (booked here: built from the terms;
    taken over: the bank's own)."""
    rows = conn.execute(
        select(
            _LINES.c.installment_no,
            _LINES.c.due_date,
            _LINES.c.principal_due,
            _LINES.c.interest_due,
        )
        .where(_LINES.c.loan_id == loan.id)
        .order_by(_LINES.c.installment_no)
    ).all()
    balance = money(loan.principal)
    out = []
    for period, due, principal, interest in rows:
        balance -= money(principal)
        out.append(ScheduleRow(period, due, money(principal), money(interest), balance))
    return out


def ledger_of(conn: Connection, loan: Row[Any]) -> Ledger:
    """The loan's ledger rebuilt from its live postings, in value-date then arrival order (so
    the rebuild itself replays nothing). A posting loaded without a value date (a bank's file,
    the simulated world, before the take-over) is valued on the day it was paid."""
    ledger = Ledger(terms_of(loan), stored_schedule(conn, loan))
    rows = conn.execute(
        select(
            _PAYMENTS.c.id,
            _PAYMENTS.c.idempotency_key,
            _PAYMENTS.c.value_date,
            _PAYMENTS.c.paid_at,
            _PAYMENTS.c.amount,
        ).where(
            _PAYMENTS.c.loan_id == loan.id,
            _PAYMENTS.c.kind.in_((REPAYMENT, RESTRUCTURE)),
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

    #: Ledgers kept between postings, at most this many (then the cache starts afresh).
    CACHE_SIZE = 4096

    def __init__(self, url: str | None = None, actor: str = "system") -> None:
        self.engine = get_engine(url)
        self.actor = actor
        # loan id -> (the loan's version the ledger matches, the ledger); a posting by anyone
        # else (another worker) bumps the version, and the ledger is then rebuilt
        self._ledgers: dict[int, tuple[int, Ledger]] = {}

    # -- booking --------------------------------------------------------------------------
    def book(
        self, data: Mapping[str, Any] | BookingRequest, *, keep: AnswerHook | None = None
    ) -> LoanAnswer:
        """Book a loan for a stored application; the same ``booking_key`` again returns the
        loan it booked (with other terms it is an error naming the key). The APR may not
        exceed the settings' cost cap (``ZHUDAI_APR_CAP``, 24% by default). ``keep(conn,
        answer)``, if given, runs inside the booking's transaction with the JSON answer."""
        req = parse_input(BookingRequest, data)
        check_apr_cap(req.apr)  # an invalid request, before any stored answer is looked at
        with self.engine.begin() as conn:
            return _kept(conn, self._book(conn, req), keep)

    def _book(self, conn: Connection, req: BookingRequest) -> LoanAnswer:
        booked = self.booked(conn, req)
        if booked is not None:
            return booked
        app = application_of(conn, req.application_id)
        funder = conn.scalar(
            select(Origination.funder_id).where(Origination.external_id == req.application_id)
        )
        borrower = Borrower(app.id, app.customer_id, app.product_code, funder)
        return self.insert_loan(conn, req, borrower)

    def booked(self, conn: Connection, req: BookingRequest) -> LoanAnswer | None:
        """The loan ``req.booking_key`` already booked (``None`` if none); with other terms it
        is an error naming the key."""
        existing = conn.execute(
            select(_LOANS).where(_LOANS.c.external_id == req.booking_key)
        ).first()
        if existing is None:
            return None
        if terms_of(existing) != terms_from(req):
            raise InvalidInputError(
                "booking_key", f"{req.booking_key!r} booked a loan with other terms"
            )
        return _answer_at(existing, ledger_of(conn, existing), req.start_date)

    def insert_loan(
        self, conn: Connection, req: BookingRequest, borrower: Borrower, line_id: int | None = None
    ) -> LoanAnswer:
        """Write a new loan, its schedule and its first projection inside ``conn``."""
        check_apr_cap(req.apr)
        terms = terms_from(req)
        loan_id = conn.execute(
            insert(_LOANS).returning(_LOANS.c.id),
            {
                "application_id": borrower.application_id,
                "customer_id": borrower.customer_id,
                "funder_id": borrower.funder_id,
                "product_code": borrower.product_code,
                "line_id": line_id,
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
        answer = project(conn, loan, ledger, req.start_date, since=req.start_date)
        AuditLog.append(
            conn,
            actor=self.actor,
            action="loan.book",
            subject=f"loan:{loan_id}",
            payload={"booking_key": req.booking_key, "principal": str(req.principal)},
        )
        return answer

    def book_accepted(
        self,
        application_id: str,
        start_date: date,
        booked_at: datetime,
        *,
        keep: AnswerHook | None = None,
        **terms: Any,
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
            },
            keep=keep,
        )

    # -- money ----------------------------------------------------------------------------
    def post(
        self, data: Mapping[str, Any] | RepaymentRequest, *, keep: AnswerHook | None = None
    ) -> PostingAnswer:
        """Post a repayment (possibly backdated); the same key again returns the stored
        posting, the same key with another loan, date or amount is an error naming the key
        (``keep`` as in :meth:`book`)."""
        req = parse_input(RepaymentRequest, data)
        with self.engine.begin() as conn:
            loan = self._locked(conn, req.loan_id)
            stored = self._stored(conn, req.idempotency_key)
            if stored is not None:
                return _kept(conn, self._repeated(conn, loan, stored, req, REPAYMENT), keep)
            answer, ledger = self._post(conn, loan, req, REPAYMENT)
            _kept(conn, answer, keep)
        self._remember(loan, ledger)  # committed: the next posting starts from it
        return answer

    def _repeated(
        self, conn: Connection, loan: Row[Any], stored: Row[Any], req: RepaymentRequest, kind: str
    ) -> PostingAnswer:
        """The stored answer of a retried posting (another posting under its key: an error)."""
        same = (stored.kind, stored.loan_id, stored.value_date, money(stored.amount))
        if same != (kind, req.loan_id, req.value_date, money(req.amount)):
            raise InvalidInputError(
                "idempotency_key", f"{req.idempotency_key!r} was used for another posting"
            )
        return self._posting_answer(conn, loan, stored, replayed=0, today=posted_day(req.posted_at))

    def _ledger(self, conn: Connection, loan: Row[Any]) -> Ledger:
        """The loan's ledger: the kept one if nothing was posted since (the row's version,
        bumped by this transaction's lock, is one past it), else rebuilt from the store."""
        kept = self._ledgers.get(loan.id)
        if kept is not None and kept[0] == loan.version - 1:
            return kept[1].fork()
        return ledger_of(conn, loan)

    def _remember(self, loan: Row[Any], ledger: Ledger) -> None:
        if len(self._ledgers) >= self.CACHE_SIZE:
            self._ledgers.clear()
        self._ledgers[loan.id] = (loan.version, ledger)

    def _post(
        self, conn: Connection, loan: Row[Any], req: RepaymentRequest, kind: str
    ) -> tuple[PostingAnswer, Ledger]:
        """Apply one money movement inside ``conn`` (the loan already locked)."""
        today = posted_day(req.posted_at)
        ledger = self._ledger(conn, loan)
        allocation = ledger.post(req.idempotency_key, req.value_date, req.amount)
        conn.execute(
            insert(_PAYMENTS),
            {
                "loan_id": loan.id,
                "paid_at": to_local(req.posted_at),
                "amount": money(req.amount),
                "idempotency_key": req.idempotency_key,
                "value_date": req.value_date,
                "kind": kind,
                "allocation": allocation_json(allocation),
            },
        )
        fault_point("loans.after_posting")  # a crash here must leave nothing applied
        answer = project(conn, loan, ledger, max(today, req.value_date), req.value_date)
        AuditLog.append(
            conn,
            actor=self.actor,
            action=f"loan.{kind}",
            subject=f"loan:{loan.id}",
            payload={"key": req.idempotency_key, "amount": str(money(req.amount))},
        )
        return PostingAnswer(
            idempotency_key=req.idempotency_key,
            loan_id=loan.id,
            kind=kind,
            value_date=req.value_date,
            amount=money(req.amount),
            allocation=allocation_json(allocation),
            replayed=ledger.replayed,
            loan=answer,
        ), ledger

    # -- audited actions ------------------------------------------------------------------
    def payoff(self, loan_id: int, day: date) -> Decimal:
        """What one payment valued on ``day`` must be to settle the loan (提前结清)."""
        with self.engine.connect() as conn:
            loan = conn.execute(select(_LOANS).where(_LOANS.c.id == loan_id)).first()
            if loan is None:
                raise NotFoundError("loan_id", str(loan_id))
            return ledger_of(conn, loan).payoff(day)

    def settle(self, data: Mapping[str, Any] | LoanActionRequest) -> PostingAnswer:
        """Early settlement: the payoff amount on the value date, received and posted as one
        repayment (its key the action's), recorded as a ``settlement`` action."""
        req = parse_input(LoanActionRequest, data)
        with self.engine.begin() as conn:
            loan = self._locked(conn, req.loan_id)
            stored = self._stored(conn, req.idempotency_key)
            if stored is not None:
                return self._posting_answer(
                    conn, loan, stored, replayed=0, today=posted_day(req.at)
                )
            amount = ledger_of(conn, loan).payoff(req.value_date)
            if amount <= 0:
                raise InvalidInputError("loan_id", f"loan {loan.id} owes nothing to settle")
            posting = RepaymentRequest(
                idempotency_key=req.idempotency_key,
                loan_id=loan.id,
                value_date=req.value_date,
                amount=amount,
                posted_at=req.at,
            )
            answer, _ = self._post(conn, loan, posting, REPAYMENT)
            self._action(conn, req, "settlement", loan.id, {"amount": str(amount)})
            return answer

    def write_off(self, data: Mapping[str, Any] | LoanActionRequest) -> LoanAnswer:
        """Write a loan off (核销): what it owes on the value date leaves the book's active
        balance; later recoveries can still be posted against it."""
        req = parse_input(LoanActionRequest, data)
        with self.engine.begin() as conn:
            loan = self._locked(conn, req.loan_id)
            ledger = ledger_of(conn, loan)
            done = conn.execute(
                select(_ACTIONS.c.id).where(_ACTIONS.c.idempotency_key == req.idempotency_key)
            ).first()
            if done is None:
                if loan.status != LoanStatus.ACTIVE:
                    raise InvalidInputError("loan_id", f"loan {loan.id} is {loan.status}")
                owed = ledger.payoff(req.value_date)
                conn.execute(
                    update(_LOANS)
                    .where(_LOANS.c.id == loan.id)
                    .values(status=LoanStatus.WRITTEN_OFF, closed_on=req.value_date)
                )
                self._action(conn, req, "write_off", loan.id, {"owed": str(owed)})
            return _answer_at(loan, ledger, req.value_date)

    def restructure(self, data: Mapping[str, Any] | RestructureRequest) -> LoanAnswer:
        """Restructure (重组): the old loan is settled by an internal ``restructure`` posting of
        everything it owes on the value date, and that amount is booked as a new loan on the
        new terms for the same borrower (and line); both are one transaction and one action."""
        req = parse_input(RestructureRequest, data)
        with self.engine.begin() as conn:
            loan = self._locked(conn, req.loan_id)
            done = conn.execute(
                select(_ACTIONS.c.details).where(_ACTIONS.c.idempotency_key == req.idempotency_key)
            ).first()
            if done is not None:
                successor = conn.execute(
                    select(_LOANS).where(_LOANS.c.id == done.details["new_loan_id"])
                ).one()
                return _answer_at(successor, ledger_of(conn, successor), req.value_date)
            if loan.status != LoanStatus.ACTIVE:
                raise InvalidInputError("loan_id", f"loan {loan.id} is {loan.status}")
            owed = ledger_of(conn, loan).payoff(req.value_date)
            settle = RepaymentRequest(
                idempotency_key=f"{req.idempotency_key}:settle",
                loan_id=loan.id,
                value_date=req.value_date,
                amount=owed,
                posted_at=req.at,
            )
            self._post(conn, loan, settle, RESTRUCTURE)
            applied = conn.scalar(
                select(_APPS.c.external_id).where(_APPS.c.id == loan.application_id)
            )
            booking = BookingRequest(
                booking_key=req.idempotency_key,
                application_id=applied or f"loan:{loan.id}",
                principal=owed,
                apr=req.apr if req.apr is not None else Decimal(str(loan.apr)),
                term_months=req.term_months,
                method=req.method,
                start_date=req.value_date,
                booked_at=req.at,
            )
            borrower = Borrower(
                loan.application_id, loan.customer_id, loan.product_code, loan.funder_id
            )
            new = self.insert_loan(conn, booking, borrower, line_id=loan.line_id)
            action = LoanActionRequest(
                idempotency_key=req.idempotency_key,
                loan_id=loan.id,
                value_date=req.value_date,
                reason=req.reason,
                at=req.at,
            )
            self._action(
                conn,
                action,
                "restructure",
                loan.id,
                {"capitalised": str(owed), "new_loan_id": new.loan_id},
            )
            return new

    def _action(
        self,
        conn: Connection,
        req: LoanActionRequest,
        action: str,
        loan_id: int,
        details: dict[str, Any],
    ) -> None:
        conn.execute(
            insert(_ACTIONS),
            {
                "idempotency_key": req.idempotency_key,
                "loan_id": loan_id,
                "action": action,
                "at": to_local(req.at),
                "actor": self.actor,
                "reasons": [req.reason],
                "details": {"value_date": req.value_date.isoformat(), **details},
            },
        )
        AuditLog.append(
            conn,
            actor=self.actor,
            action=f"loan.{action}",
            subject=f"loan:{loan_id}",
            payload={"key": req.idempotency_key, "reason": req.reason, **details},
        )

    def reverse(
        self, data: Mapping[str, Any] | ReversalRequest, *, keep: AnswerHook | None = None
    ) -> PostingAnswer:
        """Reverse a repayment; the loan is replayed from the reversed posting's value date
        (``keep`` as in :meth:`book`)."""
        req = parse_input(ReversalRequest, data)
        with self.engine.begin() as conn:
            answer, loan, ledger = self._reverse(conn, req)
            _kept(conn, answer, keep)
        if ledger is not None:  # committed: the next posting starts from it
            self._remember(loan, ledger)
        return answer

    def _reverse(
        self, conn: Connection, req: ReversalRequest
    ) -> tuple[PostingAnswer, Row[Any], Ledger | None]:
        today = posted_day(req.posted_at)
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
            return self._posting_answer(conn, loan, stored, replayed=0, today=today), loan, None
        if conn.scalar(
            select(_PAYMENTS.c.id).where(
                _PAYMENTS.c.kind == REVERSAL, _PAYMENTS.c.reverses == req.reverses
            )
        ):
            raise InvalidInputError("reverses", f"{req.reverses!r} is already reversed")
        ledger = self._ledger(conn, loan)
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
        answer = project(conn, loan, ledger, today, since=target.value_date)
        AuditLog.append(
            conn,
            actor=self.actor,
            action="loan.reversal",
            subject=f"loan:{loan.id}",
            payload={"key": req.idempotency_key, "reverses": req.reverses},
        )
        reversed_ = PostingAnswer(
            idempotency_key=req.idempotency_key,
            loan_id=loan.id,
            kind=REVERSAL,
            value_date=target.value_date,
            amount=money(target.amount),
            allocation={},
            replayed=ledger.replayed,
            loan=answer,
        )
        return reversed_, loan, ledger

    # -- reading --------------------------------------------------------------------------
    def loan(self, loan_id: int, as_of: date) -> LoanAnswer:
        """The loan on ``as_of`` (postings valued up to that day, penalty accrued to it)."""
        with self.engine.connect() as conn:
            loan = conn.execute(select(_LOANS).where(_LOANS.c.id == loan_id)).first()
            if loan is None:
                raise NotFoundError("loan_id", str(loan_id))
            return _answer_at(loan, ledger_of(conn, loan), as_of)

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
            loan=_answer_at(loan, ledger_of(conn, loan), max(today, loan.as_of or today)),
        )


def _kept(conn: Connection, answer: _Answer, keep: AnswerHook | None) -> _Answer:
    """``answer``, handed to ``keep`` first (inside ``conn``) if given."""
    if keep is not None:
        keep(conn, answer.model_dump(mode="json"))
    return answer


def project(
    conn: Connection, loan: Row[Any], ledger: Ledger, today: date, since: date
) -> LoanAnswer:
    """Rewrite the projections from the ledger: installments, the delinquency snapshot
    and the bucket changes from ``since`` (a backdated posting's value date) or from the
    last projection, whichever is earlier, on."""
    if loan.as_of is not None:
        since = min(since, loan.as_of)
    state = ledger.state_at(today)
    paid_on = settled_on(ledger)
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
            # a written-off loan stays written off until a recovery settles it
            status=state.status
            if state.status is LoanStatus.CLOSED or loan.status != LoanStatus.WRITTEN_OFF
            else LoanStatus.WRITTEN_OFF,
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
    if loan.line_id is not None:  # the line's drawn amount follows its loans' principal
        conn.execute(
            update(_CREDIT_LINES)
            .where(_CREDIT_LINES.c.id == loan.line_id)
            .values(
                drawn=select(func.coalesce(func.sum(_LOANS.c.principal_outstanding), 0))
                .where(_LOANS.c.line_id == loan.line_id, _LOANS.c.status == LoanStatus.ACTIVE)
                .scalar_subquery()
            )
        )
    return _loan_answer(loan.id, Decimal(loan.principal), state, ledger.terms.grace_days)


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


def settled_on(ledger: Ledger) -> dict[int, date]:
    """The value date of the posting that last paid into each installment now settled."""
    last: dict[int, date] = {}
    for posting in ledger.timeline:
        for period, _, _ in ledger.allocation(posting.key).parts:
            last[period] = posting.value_date
    settled = {ln.period for ln in ledger.state.lines if ln.settled}
    return {p: d for p, d in last.items() if p in settled}


def _line_dpd(due: date, unpaid: Decimal, today: date) -> int:
    return max((today - due).days, 0) if unpaid > 0 else 0


def _answer_at(loan: Row[Any], ledger: Ledger, as_of: date) -> LoanAnswer:
    """The loan's answer on ``as_of``."""
    return _loan_answer(
        loan.id, Decimal(loan.principal), ledger.state_at(as_of), ledger.terms.grace_days
    )


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
