"""The loan book's two costs that grow: the daily close over the whole book, and one backdated
posting on a long loan.

1. Daily close for N active loans (default 1,000,000) in the embedded SQLite store: the loans
   are written straight into ``loans`` and ``installments`` (12 each; foreign-key checks off
   for the load only), a fifth of them past due with oldest unpaid due dates spread over 200
   days; then 5 consecutive days are closed (each loan's DPD, bucket, class and transitions,
   and every unsettled installment's own DPD). Prints seconds per close, loans whose DPD and
   bucket moved, and the process's peak memory. Goal (issue 13): under 2 minutes.
2. A 36-month loan paid on time for 35 months, then one payment backdated to month k: the
   posting's time and the postings it replayed, for k = 35, 18, 1 (the cost follows what comes
   after the value date), in the ledger alone and through the store (where the posting also
   rebuilds the ledger from the stored postings and rewrites the projections).

    python benchmarks/bench_loans.py [--loans 1000000]
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from zhudai.loans import Ledger, LoanTerms, Method
from zhudai.loans.book import LoanBook
from zhudai.loans.close import close_day
from zhudai.store.db import get_engine
from zhudai.store.migrate import upgrade
from zhudai.store.models import Application, Customer, Product

#: Installments per loan written for the close's per-installment DPD.
INSTALLMENTS = 12


def _load(path: Path, n: int) -> None:
    url = f"sqlite:///{path}"
    upgrade(url)
    get_engine(url).dispose()
    rng = np.random.default_rng(7)
    start = date(2025, 1, 1)
    overdue = rng.random(n) < 0.2
    offset = rng.integers(0, 200, n)
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute("PRAGMA journal_mode=WAL")
    rows = (
        (
            i + 1,
            i + 1,
            i + 1,
            "cash_installment",
            "2025-01-01 10:00:00.000000",
            "10000.00",
            0.18,
            12,
            "equal_installment",
            "active",
            (start + timedelta(days=int(offset[i]))).isoformat() if overdue[i] else None,
            "1000.00",
        )
        for i in range(n)
    )
    con.executemany(
        "INSERT INTO loans (id, application_id, customer_id, product_code, booked_at, principal,"
        " apr, term_months, repayment_method, status, oldest_unpaid_due, principal_outstanding)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    dues = [date(2025, 1, 1) + timedelta(days=30 * k) for k in range(1, INSTALLMENTS + 1)]

    def lines():  # paid on the due date up to the oldest unpaid one (or the close's days)
        for i in range(n):
            cut = start + timedelta(days=int(offset[i])) if overdue[i] else date(2025, 7, 20)
            for k, due in enumerate(dues, start=1):
                paid = due.isoformat() if due < cut else None
                yield (
                    i + 1,
                    k,
                    due.isoformat(),
                    "800.00",
                    "100.00",
                    paid,
                    "900.00" if paid else "0",
                )

    con.executemany(
        "INSERT INTO installments (loan_id, installment_no, due_date, principal_due, interest_due,"
        " paid_date, paid_amount, dpd, fee_due, penalty_due) VALUES (?,?,?,?,?,?,?,0,0,0)",
        lines(),
    )
    con.commit()
    con.close()


def bench_close(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.db"
        t = time.perf_counter()
        _load(path, n)
        print(
            f"loaded {n:,} loans, {n * INSTALLMENTS:,} installments in {time.perf_counter() - t:.1f}s"
        )
        url = f"sqlite:///{path}"
        print(f"{'day':<12}{'seconds':>9}{'loans':>11}{'dpd moved':>11}{'bucket moved':>14}")
        day = date(2025, 7, 20)
        for k in range(5):
            t = time.perf_counter()
            report = close_day(day + timedelta(days=k), url)
            took = time.perf_counter() - t
            print(
                f"{report.day.isoformat():<12}{took:>9.2f}{report.loans:>11,}"
                f"{report.dpd_changed:>11,}{report.bucket_changed:>14,}"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (max RSS of this process): {peak:,.0f} MB; goal: under 120 s a close")


def bench_backdated() -> None:
    terms = LoanTerms(
        Decimal(36000), Decimal("0.18"), 36, Method.EQUAL_INSTALLMENT, date(2024, 1, 5)
    )
    print(f"\n{'backdated to month':<20}{'ms':>8}{'replayed':>10}")
    for month in (35, 18, 1):
        ledger = Ledger(terms)
        for row in ledger.schedule[:35]:
            ledger.post(f"p{row.period}", row.due_date, row.payment)
        value = ledger.schedule[month - 1].due_date + timedelta(days=3)
        best = float("inf")
        for attempt in range(20):
            key = f"late{attempt}"
            t = time.perf_counter()
            ledger.post(key, value, Decimal("50.00"))
            best = min(best, time.perf_counter() - t)
            ledger.reverse(key)
        ledger.post("late", value, Decimal("50.00"))
        print(f"{month:<20}{best * 1000:>8.2f}{ledger.replayed:>10}")


def bench_backdated_store() -> None:
    """The same backdated posting through the store (LoanBook.post: one transaction that
    rebuilds the ledger from the stored postings, replays, and rewrites the projections)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'book.db'}"
        upgrade(url)
        with get_engine(url).begin() as conn:
            conn.execute(
                insert(Product),
                {
                    "code": "cash",
                    "name": "cash",
                    "min_amount": 1,
                    "max_amount": 10**6,
                    "terms": [36],
                    "base_apr": 0.18,
                },
            )
            conn.execute(
                insert(Customer),
                {
                    "id": 1,
                    "id_token": "t" * 32,
                    "id_enc": "x",
                    "id_masked": "x",
                    "phone_token": "p" * 32,
                    "phone_enc": "x",
                    "phone_masked": "x",
                },
            )
            conn.execute(
                insert(Application),
                [
                    {
                        "id": k,
                        "customer_id": 1,
                        "applied_at": datetime(2024, 1, 5),
                        "product_code": "cash",
                        "amount_requested": 36000,
                        "term_months": 36,
                        "external_id": f"A{k}",
                    }
                    for k in (1, 2, 3)
                ],
            )
        book = LoanBook(url)
        print(f"\n{'through the store, to month':<28}{'ms':>8}{'replayed':>10}")
        for k, month in enumerate((35, 18, 1), start=1):
            loan = book.book(
                {
                    "booking_key": f"B{k}",
                    "application_id": f"A{k}",
                    "principal": "36000.00",
                    "apr": "0.18",
                    "term_months": 36,
                    "start_date": "2024-01-05",
                    "booked_at": "2024-01-05T10:00:00+08:00",
                }
            )
            for line in loan.installments[:35]:
                due = line["due_date"]
                book.post(
                    {
                        "idempotency_key": f"{k}-{line['period']}",
                        "loan_id": loan.loan_id,
                        "value_date": due,
                        "amount": str(Decimal(line["principal"]) + Decimal(line["interest"])),
                        "posted_at": f"{due}T12:00:00+08:00",
                    }
                )
            value = date.fromisoformat(loan.installments[month - 1]["due_date"]) + timedelta(days=3)
            t = time.perf_counter()
            answer = book.post(
                {
                    "idempotency_key": f"{k}-late",
                    "loan_id": loan.loan_id,
                    "value_date": value.isoformat(),
                    "amount": "50.00",
                    "posted_at": "2027-01-01T12:00:00+08:00",
                }
            )
            took = time.perf_counter() - t
            print(f"{month:<28}{took * 1000:>8.1f}{answer.replayed:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"started {datetime.now():%Y-%m-%d %H:%M}")
    bench_close(args.loans)
    bench_backdated()
    bench_backdated_store()


if __name__ == "__main__":
    main()
