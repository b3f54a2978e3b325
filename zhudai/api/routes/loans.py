"""``/v1/loans`` and ``/v1/repayments``: book a loan, post a repayment, reverse one, read a loan
on a day. Every write is the loan book's own transaction (its idempotency key unique in the
store, the audit entry and an ``Idempotency-Key``'s answer inside); a funder's key books, posts to and reads only its own loans
(any other loan is a 404, its existence not disclosed)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from zhudai.api.deps import Caller, Keep, Svc, require
from zhudai.api.errors import ERROR_RESPONSES, ApiError
from zhudai.api.keys import Principal
from zhudai.loans.book import LoanBook
from zhudai.loans.contract import (
    BookingRequest,
    LoanAnswer,
    PostingAnswer,
    RepaymentRequest,
    ReversalRequest,
)
from zhudai.loans.owners import application_funder, loan_funder, posting_loan
from zhudai.store.models import ApiRole
from zhudai.times import to_local

router = APIRouter(tags=["loans"], responses=ERROR_RESPONSES)

#: Days and times a loan's dates may take over the API (a schedule or a day-by-day history
#: stays inside what a calendar and the store hold).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
_FIRST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
_LAST_TIME = datetime(2100, 12, 31, tzinfo=UTC)
_DAY = Field(ge=FIRST_DAY, le=LAST_DAY)
_TIME = Field(ge=_FIRST_TIME, le=_LAST_TIME)
_MAX_AMOUNT = Decimal(10**12)  # below the store's Numeric(18, 2)
_KEY = Field(min_length=1, max_length=64)
LoanId = Path(ge=1, le=2**63 - 1)


class LoanCreate(BookingRequest):
    """A booking as :class:`~zhudai.loans.contract.BookingRequest`, its days and amounts kept
    inside what the store holds."""

    principal: Decimal = Field(gt=0, le=_MAX_AMOUNT, decimal_places=2)
    fee_per_period: Decimal = Field(default=Decimal(0), ge=0, le=_MAX_AMOUNT, decimal_places=2)
    penalty_apr: Decimal | None = Field(default=None, ge=0, le=Decimal(10))
    start_date: date = _DAY
    booked_at: AwareDatetime = _TIME


class AcceptedLoanCreate(BaseModel):
    """The loan of an application its funder accepted: the funder's amount, the decision's APR
    and term; the application id is the booking key."""

    model_config = ConfigDict(extra="forbid")
    application_id: str = Field(min_length=1, max_length=64)
    start_date: date = _DAY
    booked_at: AwareDatetime = _TIME


class RepaymentCreate(BaseModel):
    """Money received for the loan of the path, effective on ``value_date`` (may be past)."""

    model_config = ConfigDict(extra="forbid")
    idempotency_key: str = _KEY
    value_date: date = _DAY
    amount: Decimal = Field(gt=0, le=_MAX_AMOUNT, decimal_places=2)
    posted_at: AwareDatetime = _TIME


class ReversalCreate(BaseModel):
    """Take the repayment of the path back out (a bounced transfer, a wrong loan)."""

    model_config = ConfigDict(extra="forbid")
    idempotency_key: str = _KEY
    posted_at: AwareDatetime = _TIME


def _book(caller: Principal, svc: Svc) -> LoanBook:
    return LoanBook(svc.origination.url, actor=caller.name)


def _check_own_loan(caller: Principal, svc: Svc, loan_id: int, field: str = "loan_id") -> None:
    """404 if there is no such loan, or the caller is a funder and the loan is not its own."""
    exists, funder = loan_funder(loan_id, svc.origination.url)
    if not exists or (caller.role is ApiRole.FUNDER and funder != caller.tenant):
        raise ApiError(404, field, f"no such {field}: {loan_id!r}")


def _check_own_application(caller: Principal, svc: Svc, application_id: str) -> None:
    """A funder books only what was routed to it (another application: as if unknown)."""
    if (
        caller.role is ApiRole.FUNDER
        and application_funder(application_id, svc.origination.url) != caller.tenant
    ):
        raise ApiError(422, "application_id", f"unknown value {application_id!r}")


@router.post("/v1/loans", response_model=LoanAnswer)
def book(body: LoanCreate, caller: Caller, svc: Svc, keep: Keep) -> LoanAnswer:
    """Book the loan of a stored application (the same ``booking_key`` again: the same loan).
    A funder books only applications routed to it."""
    require(caller, ApiRole.FUNDER)
    _check_own_application(caller, svc, body.application_id)
    return _book(caller, svc).book(BookingRequest.model_validate(body.model_dump()), keep=keep)


@router.post("/v1/loans/accepted", response_model=LoanAnswer)
def book_accepted(body: AcceptedLoanCreate, caller: Caller, svc: Svc, keep: Keep) -> LoanAnswer:
    """Book the loan of an application its funder accepted (``POST /v1/funder-decisions``)
    on the accepted terms; booking it again returns the same loan."""
    require(caller, ApiRole.FUNDER)
    _check_own_application(caller, svc, body.application_id)
    book = _book(caller, svc)
    return book.book_accepted(body.application_id, body.start_date, body.booked_at, keep=keep)


@router.post("/v1/loans/{loan_id}/repayments", response_model=PostingAnswer)
def repay(
    body: RepaymentCreate, caller: Caller, svc: Svc, keep: Keep, loan_id: int = LoanId
) -> PostingAnswer:
    """Post a repayment; the same ``idempotency_key`` again returns the stored posting."""
    require(caller, ApiRole.FUNDER)
    _check_own_loan(caller, svc, loan_id)
    request = RepaymentRequest(loan_id=loan_id, **body.model_dump())
    return _book(caller, svc).post(request, keep=keep)


@router.post("/v1/repayments/{idempotency_key}/reversal", response_model=PostingAnswer)
def reverse(
    body: ReversalCreate,
    caller: Caller,
    svc: Svc,
    keep: Keep,
    idempotency_key: str = Path(min_length=1, max_length=64),
) -> PostingAnswer:
    """Reverse the repayment posted with ``idempotency_key``; the loan is replayed from its
    value date."""
    require(caller, ApiRole.FUNDER)
    loan_id = posting_loan(idempotency_key, svc.origination.url)
    if loan_id is None:
        raise ApiError(404, "idempotency_key", f"no such idempotency_key: {idempotency_key!r}")
    _check_own_loan(caller, svc, loan_id, "idempotency_key")
    request = ReversalRequest(reverses=idempotency_key, **body.model_dump())
    return _book(caller, svc).reverse(request, keep=keep)


@router.get("/v1/loans/{loan_id}", response_model=LoanAnswer)
def read(
    caller: Caller,
    svc: Svc,
    loan_id: int = LoanId,
    as_of: date | None = Query(None, description="The day (default: today, Asia/Shanghai)."),
) -> LoanAnswer:
    """The loan on ``as_of``: postings valued up to that day, penalty accrued to it, and its
    installments."""
    require(caller, ApiRole.FUNDER, ApiRole.ANALYST, ApiRole.COLLECTOR)
    if as_of is not None and not FIRST_DAY <= as_of <= LAST_DAY:
        raise ApiError(422, "as_of", f"must be between {FIRST_DAY} and {LAST_DAY}")
    _check_own_loan(caller, svc, loan_id)
    day = as_of or to_local(datetime.now(UTC)).date()
    return _book(caller, svc).loan(loan_id, day)
