"""The loan book in the store: booking, postings, reversals and their projections, on SQLite
and PostgreSQL; the stored state always equals a ledger fed the same postings in memory."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.loans import Ledger, LoanTerms, Method
from zhudai.loans.book import LoanBook
from zhudai.store.db import get_engine
from zhudai.store.models import (
    AuditEntry,
    Installment,
    Loan,
    LoanAction,
    LoanBucketChange,
    Repayment,
)

AT = "2024-01-10T10:00:00+08:00"


def _booking(key: str = "B1", app: str = "APP-1", **over: Any) -> dict[str, Any]:
    return {
        "booking_key": key,
        "application_id": app,
        "principal": "1200.00",
        "apr": "0",
        "term_months": 3,
        "method": "equal_principal",
        "start_date": "2024-01-10",
        "booked_at": AT,
        **over,
    }


def _pay(key: str, loan_id: int, value_date: str, amount: str, posted: str) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "loan_id": loan_id,
        "value_date": value_date,
        "amount": amount,
        "posted_at": f"{posted}T12:00:00+08:00",
    }


def test_booking_writes_the_schedule_once_and_is_idempotent(book_url: str) -> None:
    book = LoanBook(book_url)
    loan = book.book(_booking())
    assert [i["principal"] for i in loan.installments] == ["400.00", "400.00", "400.00"]
    assert [i["due_date"] for i in loan.installments] == ["2024-02-10", "2024-03-10", "2024-04-10"]
    assert book.book(_booking()).loan_id == loan.loan_id  # the same key books once
    with pytest.raises(InvalidInputError, match="booking_key"):
        book.book(_booking(principal="1300.00"))
    with pytest.raises(NotFoundError, match="application_id"):
        book.book(_booking(key="B2", app="nope"))
    with pytest.raises(InvalidInputError, match="apr"):
        book.book(_booking(key="B3", apr="0.30"))  # above the 24% cost cap
    with get_engine(book_url).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Loan)) == 1
        assert conn.scalar(select(func.count()).select_from(Installment)) == 3
        assert conn.scalar(select(func.count()).where(AuditEntry.action == "loan.book")) == 1


def test_postings_match_an_in_memory_ledger_and_retries_apply_once(book_url: str) -> None:
    book = LoanBook(book_url)
    loan_id = book.book(_booking(apr="0.18", method="equal_installment")).loan_id
    ledger = Ledger(
        LoanTerms(Decimal(1200), Decimal("0.18"), 3, Method.EQUAL_INSTALLMENT, date(2024, 1, 10))
    )
    stream = [
        ("r1", "2024-02-10", "300.00", "2024-02-10"),
        ("r2", "2024-03-25", "500.00", "2024-03-25"),  # late: penalty on the rest of period 1/2
        ("r3", "2024-03-01", "120.00", "2024-04-02"),  # backdated before r2
    ]
    for key, value, amount, posted in stream:
        answer = book.post(_pay(key, loan_id, value, amount, posted))
        ledger.post(key, date.fromisoformat(value), Decimal(amount))
        assert answer.replayed == ledger.replayed
    assert book.post(_pay("r3", loan_id, "2024-03-01", "120.00", "2024-04-02")).replayed == 0
    with pytest.raises(InvalidInputError, match="idempotency_key"):
        book.post(_pay("r3", loan_id, "2024-03-01", "121.00", "2024-04-02"))
    expected = ledger.state_at(date(2024, 4, 2))
    got = book.loan(loan_id, date(2024, 4, 2))
    assert got.principal_outstanding == expected.principal_outstanding
    assert got.dpd == expected.dpd(0)
    assert [i["paid"] for i in got.installments] == [
        str(sum(ln.paid.values(), Decimal(0))) for ln in expected.lines
    ]
    with get_engine(book_url).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Repayment)) == 3
        stored = conn.execute(select(Loan.dpd, Loan.bucket, Loan.principal_outstanding)).one()
    assert (stored.dpd, stored.principal_outstanding) == (
        expected.dpd(0),
        expected.principal_outstanding,
    )


def test_a_backdated_posting_equals_posting_on_its_value_date(book_url: str) -> None:
    book = LoanBook(book_url)
    late = book.book(_booking("late", "APP-1")).loan_id
    on_time = book.book(_booking("on-time", "APP-2")).loan_id
    for k, (value, amount) in enumerate([("2024-02-10", "400.00"), ("2024-05-01", "500.00")]):
        book.post(_pay(f"ot{k}", on_time, value, amount, value))
    # the same money, but the first one arrives three months late (backdated)
    book.post(_pay("l1", late, "2024-05-01", "500.00", "2024-05-01"))
    book.post(_pay("l0", late, "2024-02-10", "400.00", "2024-05-01"))
    a, b = book.loan(late, date(2024, 5, 1)), book.loan(on_time, date(2024, 5, 1))
    assert a.model_dump(exclude={"loan_id"}) == b.model_dump(exclude={"loan_id"})
    with get_engine(book_url).connect() as conn:
        history = {
            loan: conn.execute(
                select(LoanBucketChange.day, LoanBucketChange.bucket)
                .where(LoanBucketChange.loan_id == loan)
                .order_by(LoanBucketChange.day)
            ).all()
            for loan in (late, on_time)
        }
    assert history[late] == history[on_time]
    # with the backdated posting, period 1 was paid on time: past due from Mar 11 (period 2),
    # M2 on Apr 10 (31 days), and back to M1 on May 1 (period 3's 300.00 left, 21 days)
    assert history[late] == [
        (date(2024, 1, 10), "M0"),
        (date(2024, 3, 11), "M1"),
        (date(2024, 4, 10), "M2"),
        (date(2024, 5, 1), "M1"),
    ]


def test_a_reversal_is_as_if_never_posted(book_url: str) -> None:
    book = LoanBook(book_url)
    loan_id = book.book(_booking()).loan_id
    before = book.loan(loan_id, date(2024, 3, 20))
    book.post(_pay("r1", loan_id, "2024-02-10", "400.00", "2024-02-10"))
    assert book.loan(loan_id, date(2024, 3, 20)).dpd == 10
    reversal = {"idempotency_key": "x1", "reverses": "r1", "posted_at": "2024-03-20T09:00:00+08:00"}
    assert book.reverse(reversal).loan.dpd == before.dpd == 39
    assert book.reverse(reversal).kind == "reversal"  # retried: the stored reversal
    with pytest.raises(InvalidInputError, match="reverses"):
        book.reverse({**reversal, "idempotency_key": "x2"})
    assert book.loan(loan_id, date(2024, 3, 20)) == before.model_copy(
        update={"as_of": date(2024, 3, 20)}
    )


def test_bad_input_names_the_field(book_url: str) -> None:
    book = LoanBook(book_url)
    loan_id = book.book(_booking()).loan_id
    with pytest.raises(InvalidInputError, match="amount"):
        book.post(_pay("r", loan_id, "2024-02-10", "-5", "2024-02-10"))
    with pytest.raises(InvalidInputError, match="posted_at"):
        book.post(
            {
                **_pay("r", loan_id, "2024-02-10", "5", "2024-02-10"),
                "posted_at": "2024-02-10T12:00:00",
            }
        )
    with pytest.raises(NotFoundError, match="loan_id"):
        book.post(_pay("r", 999, "2024-02-10", "5.00", "2024-02-10"))
    with pytest.raises(InvalidInputError, match="value_date"):
        book.post(_pay("r", loan_id, "2023-12-01", "5.00", "2024-02-10"))


_CHILD = """
import sys
from zhudai.loans.book import LoanBook
LoanBook(sys.argv[1]).post({"idempotency_key": "k1", "loan_id": int(sys.argv[2]),
    "value_date": "2024-02-10", "amount": "400.00", "posted_at": "2024-02-10T12:00:00+08:00"})
print("posted")
"""


def test_a_crash_between_recording_and_applying_leaves_nothing_then_applies_once(
    book_url: str,
) -> None:
    book = LoanBook(book_url)
    loan_id = book.book(_booking()).loan_id

    def child(fault: str | None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "ZHUDAI_FAULT"}
        if fault:
            env["ZHUDAI_FAULT"] = fault
        return subprocess.run(
            [sys.executable, "-c", _CHILD, book_url, str(loan_id)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    killed = child("loans.after_posting")
    assert killed.returncode == -9 and "posted" not in killed.stdout  # SIGKILL mid-transaction
    with get_engine(book_url).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Repayment)) == 0
        assert conn.scalar(select(func.sum(Installment.paid_amount))) == 0
    for _ in range(2):  # re-sent, then re-sent again: applied exactly once
        done = child(None)
        assert done.returncode == 0, done.stderr
    with get_engine(book_url).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Repayment)) == 1
        assert conn.scalar(select(func.sum(Installment.paid_amount))) == Decimal("400.00")


def _action(key: str, loan_id: int, day: str, reason: str) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "loan_id": loan_id,
        "value_date": day,
        "reason": reason,
        "at": f"{day}T16:00:00+08:00",
    }


def test_early_settlement_and_write_off_are_audited_actions(book_url: str) -> None:
    book = LoanBook(book_url)
    settled = book.book(_booking(apr="0.12", method="equal_installment")).loan_id
    quote = book.payoff(settled, date(2024, 2, 25))
    answer = book.settle(_action("s1", settled, "2024-02-25", "customer asked to settle"))
    assert answer.amount == quote and answer.loan.status == "closed"
    assert answer.loan.principal_outstanding == 0
    assert book.settle(_action("s1", settled, "2024-02-25", "retried")).amount == quote
    with pytest.raises(InvalidInputError, match="loan_id"):
        book.settle(_action("s2", settled, "2024-03-01", "nothing left"))
    bad = book.book(_booking("B2", "APP-2")).loan_id
    off = book.write_off(_action("w1", bad, "2024-09-01", "180+ DPD, uncollectable"))
    assert off.dpd > 180
    assert book.write_off(_action("w1", bad, "2024-09-01", "retried")).dpd == off.dpd
    recovery = book.post(_pay("rec1", bad, "2024-09-05", "100.00", "2024-09-05"))
    with get_engine(book_url).connect() as conn:
        status = conn.scalar(select(Loan.status).where(Loan.id == bad))
        actions = conn.execute(select(LoanAction.action, LoanAction.reasons)).all()
        audit = set(conn.scalars(select(AuditEntry.action)))
    assert status == "written_off" and recovery.loan.principal_outstanding < Decimal(1200)
    assert sorted(a for a, _ in actions) == ["settlement", "write_off"]
    assert {"loan.settlement", "loan.write_off", "loan.repayment"} <= audit


def test_a_restructure_capitalises_what_is_owed_into_a_new_loan(book_url: str) -> None:
    book = LoanBook(book_url)
    old = book.book(_booking()).loan_id  # 1,200 at 0%, nothing paid: 400 due on Feb 10
    owed = book.payoff(old, date(2024, 3, 1))
    assert owed == Decimal("1200.00")  # 0% APR: no interest, no penalty (1.5 x 0)
    request = {
        "idempotency_key": "R1",
        "loan_id": old,
        "value_date": "2024-03-01",
        "term_months": 6,
        "method": "equal_principal",
        "reason": "hardship: income fell",
        "at": "2024-03-01T11:00:00+08:00",
    }
    new = book.restructure(request)
    assert (new.principal, len(new.installments), new.dpd) == (owed, 6, 0)
    assert new.installments[0]["principal"] == "200.00"
    assert book.restructure(request).loan_id == new.loan_id  # retried: the same new loan
    assert book.loan(old, date(2024, 3, 1)).status == "closed"
    with get_engine(book_url).connect() as conn:
        kinds = conn.execute(select(Repayment.kind, Repayment.amount)).all()
        action = conn.execute(select(LoanAction.action, LoanAction.details)).one()
    assert [tuple(k) for k in kinds] == [("restructure", Decimal("1200.00"))]
    assert action.action == "restructure" and action.details["new_loan_id"] == new.loan_id


def test_a_posting_loaded_without_a_value_date_is_valued_on_its_paid_day(book_url: str) -> None:
    """Repayments loaded from a bank's file (or the simulated world) carry no value date."""
    from datetime import datetime

    from sqlalchemy import insert

    book = LoanBook(book_url)
    loan = book.book(_booking())
    with get_engine(book_url).begin() as conn:
        conn.execute(
            insert(Repayment),
            {
                "loan_id": loan.loan_id,
                "paid_at": datetime(2024, 2, 9, 15),
                "amount": Decimal("400.00"),
                "idempotency_key": "loaded-1",
            },
        )
    state = book.loan(loan.loan_id, date(2024, 2, 20))
    assert state.installments[0]["settled"] is True and state.dpd == 0


def test_a_kept_ledger_is_used_only_while_nobody_else_posted(book_url: str) -> None:
    one, other = LoanBook(book_url), LoanBook(book_url)  # two workers
    loan_id = one.book(_booking()).loan_id
    one.post(_pay("r1", loan_id, "2024-02-10", "400.00", "2024-02-10"))
    assert loan_id in one._ledgers  # kept after the commit
    other.post(_pay("r2", loan_id, "2024-03-10", "400.00", "2024-03-10"))  # behind its back
    third = one.post(_pay("r3", loan_id, "2024-04-10", "400.00", "2024-04-10"))
    assert third.loan.status == "closed" and third.loan.principal_outstanding == 0
    # a failing transaction keeps nothing: the next posting rebuilds and sees the same book
    fresh = LoanBook(book_url)
    assert fresh.loan(loan_id, date(2024, 4, 10)) == one.loan(loan_id, date(2024, 4, 10))
    with pytest.raises(InvalidInputError):
        one.post(_pay("r1", loan_id, "2024-02-10", "999.00", "2024-02-10"))
    assert one._ledgers[loan_id][1].state.status.value == "closed"
