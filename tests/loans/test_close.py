"""The daily close agrees with the ledger loan by loan, and its bucket changes together with
the postings' give the ledger's bucket history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from zhudai.loans.book import LoanBook, ledger_of
from zhudai.loans.close import close_day
from zhudai.store.db import get_engine
from zhudai.store.models import Installment, Loan, LoanBucketChange


def _booking(k: int, **over: Any) -> dict[str, Any]:
    return {
        "booking_key": f"B{k}",
        "application_id": f"APP-{k}",
        "principal": "1200.00",
        "apr": "0.18",
        "term_months": 3,
        "start_date": "2024-01-10",
        "booked_at": "2024-01-10T10:00:00+08:00",
        **over,
    }


def test_close_matches_the_ledger_every_day(book_url: str) -> None:
    book = LoanBook(book_url)
    loans = [
        book.book(_booking(1)).loan_id,  # never pays
        book.book(_booking(2, grace_days=3)).loan_id,  # pays period 1 two days late, in grace
        book.book(_booking(3, method="equal_principal")).loan_id,  # pays once, then stops
        book.book(_booking(4, grace_days=5)).loan_id,  # pays everything early (settles)
    ]
    posts = [
        (loans[1], "2024-02-12", "420.00"),
        (loans[2], "2024-02-10", "418.00"),
        (loans[3], "2024-01-25", "1500.00"),
    ]
    for k, (loan_id, day, amount) in enumerate(posts):
        book.post(
            {
                "idempotency_key": f"p{k}",
                "loan_id": loan_id,
                "value_date": day,
                "amount": amount,
                "posted_at": f"{day}T20:00:00+08:00",
            }
        )
    engine = get_engine(book_url)
    day, end = date(2024, 2, 13), date(2024, 7, 20)
    while day <= end:
        report = close_day(day, book_url)
        assert report.loans == 3  # loan 4 is closed: settled early
        with engine.connect() as conn:
            stored = dict(conn.execute(select(Loan.id, Loan.dpd)).all())
        for loan_id in loans:
            assert stored[loan_id] == book.loan(loan_id, day).dpd, (loan_id, day)
        with engine.connect() as conn:
            open_lines = conn.execute(
                select(Installment.loan_id, Installment.due_date, Installment.dpd)
                .join(Loan, Loan.id == Installment.loan_id)
                .where(Installment.paid_date.is_(None), Loan.status == "active")
            ).all()
        for loan_id, due, dpd in open_lines:  # each unsettled installment's own DPD
            assert dpd == max((day - due).days, 0), (loan_id, due, day)
        day += timedelta(days=1)
    assert close_day(end, book_url).dpd_changed == 0  # closing a day twice changes nothing
    back = close_day(date(2024, 3, 1), book_url)  # an earlier day: no loan is taken back
    assert (back.loans, back.dpd_changed) == (0, 0)
    with engine.connect() as conn:
        for loan_id in loans:
            changes = conn.execute(
                select(LoanBucketChange.day, LoanBucketChange.dpd, LoanBucketChange.bucket)
                .where(LoanBucketChange.loan_id == loan_id)
                .order_by(LoanBucketChange.day)
            ).all()
            row = conn.execute(select(Loan).where(Loan.id == loan_id)).one()
            expected = ledger_of(conn, row).dpd_history(end)
            assert [tuple(c) for c in changes] == expected, loan_id
    assert report.by_bucket["M6+"] == 0 and sum(report.by_bucket.values()) == 3
