"""The loan book's contracts: what a booking, a repayment and a reversal carry, and the
answers. The HTTP API and the CLI take the same JSON."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from zhudai.loans.ledger import DEFAULT_ORDER, Component, Waterfall
from zhudai.loans.schedule import DayCount, Method
from zhudai.times import to_local

_KEY = Field(min_length=1, max_length=64)


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BookingRequest(_Contract):
    """A loan to book: from a funder-accepted application (``application_id`` of the
    origination) with its terms, or onboarded from a bank's file."""

    booking_key: str = _KEY  # the idempotency key: the same key books once
    application_id: str = Field(min_length=1, max_length=64)
    principal: Decimal = Field(gt=0, decimal_places=2)
    apr: Decimal = Field(ge=0, le=Decimal("0.24"))  # the 24% cost cap
    term_months: int = Field(ge=1, le=360)
    method: Method = Method.EQUAL_INSTALLMENT
    start_date: date
    day_count: DayCount = DayCount.MONTHLY
    fee_per_period: Decimal = Field(default=Decimal(0), ge=0, decimal_places=2)
    penalty_apr: Decimal | None = Field(default=None, ge=0)
    grace_days: int = Field(default=0, ge=0, le=30)
    allocation_order: tuple[Component, ...] = DEFAULT_ORDER
    waterfall: Waterfall = Waterfall.INSTALLMENT_FIRST
    booked_at: AwareDatetime


class RepaymentRequest(_Contract):
    """Money received for a loan, effective on ``value_date`` (which may be in the past)."""

    idempotency_key: str = _KEY
    loan_id: int = Field(ge=1)
    value_date: date
    amount: Decimal = Field(gt=0, decimal_places=2)
    posted_at: AwareDatetime


class ReversalRequest(_Contract):
    """Take a repayment back out (a bounced transfer, a posting to the wrong loan)."""

    idempotency_key: str = _KEY
    reverses: str = _KEY
    posted_at: AwareDatetime


class PostingAnswer(_Contract):
    """Where a posting's money went and the loan just after it."""

    idempotency_key: str
    loan_id: int
    kind: str
    value_date: date
    amount: Decimal
    allocation: dict[str, Any]
    replayed: int  # postings re-applied because this one was backdated
    loan: LoanAnswer


class LoanAnswer(_Contract):
    """A loan as the book holds it on ``as_of``."""

    loan_id: int
    status: str
    principal: Decimal
    principal_outstanding: Decimal
    dpd: int
    bucket: str
    classification: str
    oldest_unpaid_due: date | None
    as_of: date
    credit: Decimal
    installments: list[dict[str, Any]]


PostingAnswer.model_rebuild()


def posted_day(at: datetime) -> date:
    """The local (Asia/Shanghai) calendar day of an aware posting time."""
    return to_local(at).date()
