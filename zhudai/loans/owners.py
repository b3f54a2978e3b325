"""Who a loan belongs to: the funder code of a loan, of the application it books, and the loan
a posting was made to. The API reads these to scope a funder's key to its own loans."""

from __future__ import annotations

from sqlalchemy import select

from zhudai.store.db import get_engine
from zhudai.store.models import Funder, Loan, Origination, Repayment


def loan_funder(loan_id: int, url: str | None = None) -> tuple[bool, str | None]:
    """``(exists, funder code)`` of the loan ``loan_id`` (the code is None without a funder)."""
    q = (
        select(Loan.id, Funder.code)
        .outerjoin(Funder, Funder.id == Loan.funder_id)
        .where(Loan.id == loan_id)
    )
    with get_engine(url).connect() as conn:
        row = conn.execute(q).first()
    return (False, None) if row is None else (True, row.code)


def application_funder(application_id: str, url: str | None = None) -> str | None:
    """The code of the funder the application was routed to (None: none, or no such one)."""
    q = (
        select(Funder.code)
        .join(Origination, Origination.funder_id == Funder.id)
        .where(Origination.external_id == application_id)
    )
    with get_engine(url).connect() as conn:
        code: str | None = conn.scalar(q)
    return code


def posting_loan(idempotency_key: str, url: str | None = None) -> int | None:
    """The loan a posting (repayment or reversal) with this key was made to."""
    q = select(Repayment.loan_id).where(Repayment.idempotency_key == idempotency_key)
    with get_engine(url).connect() as conn:
        loan_id: int | None = conn.scalar(q)
    return loan_id
