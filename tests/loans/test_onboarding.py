"""Taking over a bank's book: every difference between the bank's figures and the ledger's is
reported, and the recomputed book then behaves like one booked here."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import insert, select

from zhudai.loans.book import LoanBook
from zhudai.loans.onboarding import onboard
from zhudai.store.db import get_engine
from zhudai.store.models import Installment, Loan, LoanBucketChange, Repayment


def _bank_files(url: str) -> None:
    """Two loans as a bank sends them: loan 1 (1200 over 3 months at 0%, equal principal)
    with the bank's period-2 principal off by a cent and a paid amount the bank got wrong;
    loan 2 paid before it started (a bad row)."""
    with get_engine(url).begin() as conn:
        for k in (1, 2):
            conn.execute(
                insert(Loan),
                {
                    "id": k,
                    "application_id": k,
                    "customer_id": 1,
                    "product_code": "cash_installment",
                    "booked_at": datetime(2024, 1, 10, 9),
                    "principal": Decimal(1200),
                    "apr": 0.0,
                    "term_months": 3,
                    "repayment_method": "equal_principal",
                },
            )
        due = [date(2024, 2, 10), date(2024, 3, 10), date(2024, 4, 10)]
        conn.execute(
            insert(Installment),
            [
                {
                    "loan_id": 1,
                    "installment_no": n,
                    "due_date": d,
                    "principal_due": Decimal("400.01" if n == 2 else "400.00"),
                    "interest_due": Decimal(0),
                    "paid_amount": Decimal("400.00" if n == 1 else "0"),
                    "dpd": 0,
                }
                for n, d in enumerate(due, start=1)
            ]
            + [
                {
                    "loan_id": 2,
                    "installment_no": n,
                    "due_date": d,
                    "principal_due": Decimal(400),
                    "interest_due": Decimal(0),
                    "paid_amount": Decimal(0),
                    "dpd": 0,
                }
                for n, d in enumerate(due, start=1)
            ],
        )
        conn.execute(
            insert(Repayment),
            [
                {
                    "loan_id": 1,
                    "paid_at": datetime(2024, 2, 9, 15),
                    "amount": Decimal("400.00"),
                    "idempotency_key": "bank-1",
                },
                {
                    "loan_id": 1,
                    "paid_at": datetime(2024, 3, 12, 15),
                    "amount": Decimal("100.00"),
                    "idempotency_key": "bank-2",
                },
                {
                    "loan_id": 2,
                    "paid_at": datetime(2024, 1, 2, 15),
                    "amount": Decimal("50.00"),
                    "idempotency_key": "bank-3",
                },
            ],
        )


def test_take_over_reports_every_difference_and_books_the_ledger(book_url: str) -> None:
    _bank_files(book_url)
    report = onboard(date(2024, 3, 20), book_url)
    assert (report.loans, report.repayments) == (2, 2)
    found = {
        (d["loan_id"], d["period"], d["field"]): (d["bank"], d["platform"])
        for d in report.differences
    }
    assert found.pop((1, 2, "principal_due")) == (Decimal("400.01"), Decimal("400.00"))
    # the bank's schedule is the contract: it lends a cent more than the loan's principal
    assert found.pop((1, 0, "scheduled_principal")) == (Decimal("1200.01"), Decimal("1200"))
    # the bank says period 2 is unpaid; the ledger put bank-2's 100.00 there, 10 days late
    assert found.pop((1, 2, "paid_amount")) == (Decimal("0.00"), Decimal("100.00"))
    assert found.pop((1, 2, "dpd")) == (0, 10)
    bank, platform = found.pop((2, 0, "repayment"))
    assert bank == "bank-3" and "before the loan's start" in platform
    assert found.pop((2, 1, "dpd")) == (0, 39)  # the bank's file had no arrears for loan 2
    assert found.pop((2, 2, "dpd")) == (0, 10)
    assert found == {}
    assert report.by_field()["dpd"] == (3, 2)
    with get_engine(book_url).connect() as conn:
        loans = {r.id: r for r in conn.execute(select(Loan)).all()}
        values = conn.execute(select(Repayment.idempotency_key, Repayment.value_date)).all()
        changes = conn.execute(
            select(LoanBucketChange.day, LoanBucketChange.bucket).where(
                LoanBucketChange.loan_id == 1
            )
        ).all()
    assert (loans[1].dpd, loans[1].bucket, loans[1].principal_outstanding) == (
        10,
        "M1",
        Decimal("700.01"),
    )
    assert (loans[2].dpd, loans[2].as_of) == (39, date(2024, 3, 20))
    assert dict(values)["bank-2"] == date(2024, 3, 12)
    assert [b for _, b in changes] == ["M0", "M1"]
    assert onboard(date(2024, 3, 20), book_url).loans == 0  # taken over once
    # from now on the loan is the platform's: a posting to it goes through the book
    after = LoanBook(book_url).post(
        {
            "idempotency_key": "p1",
            "loan_id": 1,
            "value_date": "2024-03-21",
            "amount": "300.01",
            "posted_at": "2024-03-21T10:00:00+08:00",
        }
    )
    assert after.loan.dpd == 0 and after.loan.principal_outstanding == Decimal("400.00")
