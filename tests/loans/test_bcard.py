"""B-card behaviour features, pinned to hand-computed values on a small book, and the
no-look-ahead property of the features and the label."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, update

from zhudai.exceptions import InvalidInputError
from zhudai.loans.bcard import (
    BehaviourFrames,
    behaviour_frames,
    behaviour_labels,
    features_at,
    month_end_after,
    population,
    read_behaviour,
)
from zhudai.loans.book import LoanBook
from zhudai.store.db import get_engine
from zhudai.store.models import BureauReport, CreditLine, Loan, LoanAction

AT = "2024-01-10T10:00:00+08:00"


def _booking(key: str, app: str, **over: Any) -> dict[str, Any]:
    return {
        "booking_key": key,
        "application_id": app,
        "principal": "1200.00",
        "apr": "0.12",
        "term_months": 6,
        "method": "equal_principal",
        "start_date": "2024-01-10",
        "booked_at": AT,
        "penalty_apr": "0",  # no penalty: each payment below settles its installment exactly
        **over,
    }


def _pay(book: LoanBook, loan_id: int, day: str, amount: str) -> None:
    book.post(
        {
            "idempotency_key": f"{loan_id}:{day}",
            "loan_id": loan_id,
            "value_date": day,
            "amount": amount,
            "posted_at": f"{day}T12:00:00+08:00",
        }
    )


@pytest.fixture
def small_book(book_url: str) -> dict[str, int]:
    """Loan A (APP-1): 1,200 over 6 months, equal principal at 1% a month: installments of 200
    principal and 12, 10, 8, 6, 4, 2 interest, due on the 10th from February to July 2024.
    #1 paid on time, #2 ten days late (03-20), #3 on time, #4 26 days late (06-05), #5 on time.
    Loan B (APP-2): 3,000 on a line of 10,000, nothing paid, with a bureau row.
    Loan C (APP-3): 1,200 over 3 months, never paid."""
    book = LoanBook(book_url)
    a = book.book(_booking("A", "APP-1")).loan_id
    for day, amount in [
        ("2024-02-10", "212.00"),
        ("2024-03-20", "210.00"),
        ("2024-04-10", "208.00"),
        ("2024-06-05", "206.00"),
        ("2024-06-10", "204.00"),
    ]:
        _pay(book, a, day, amount)
    engine = get_engine(book_url)
    with engine.begin() as conn:
        line_id = conn.execute(
            insert(CreditLine).returning(CreditLine.id),
            {
                "external_id": "L1",
                "customer_id": 1,
                "application_id": 2,
                "product_code": "cash_installment",
                "credit_limit": 10000,
                "drawn": 0,
                "apr": 0.18,
                "status": "open",
                "opened_at": date(2024, 1, 10),
            },
        ).scalar_one()
        conn.execute(
            insert(BureauReport),
            {
                "application_id": 2,
                "multi_lending_30d": 3,
                "multi_lending_90d": 4,
                "multi_lending_180d": 6,
                "past_overdue_count": 0,
                "max_past_dpd": 0,
                "open_loans": 1,
                "total_open_balance": 0.0,
                "inquiries_30d": 2,
            },
        )
    b = book.book(_booking("B", "APP-2", principal="3000.00")).loan_id
    with engine.begin() as conn:
        conn.execute(update(Loan).where(Loan.id == b).values(line_id=line_id))
        # a limit raised to 12,000 by a strategy run for 2024-02-29: effective 2024-03-01
        conn.execute(
            insert(LoanAction),
            {
                "idempotency_key": f"limit_increase:line:{line_id}:2024-02-29",
                "line_id": line_id,
                "action": "limit_increase",
                "at": date(2024, 3, 2),
                "actor": "test",
                "reasons": [],
                "details": {
                    "effective": "2024-03-01",
                    "before": {"credit_limit": "10000.00"},
                    "after": {"credit_limit": "12000.00"},
                },
            },
        )
        conn.execute(update(CreditLine).where(CreditLine.id == line_id).values(credit_limit=12000))
    c = book.book(_booking("C", "APP-3", term_months=3)).loan_id
    return {"a": a, "b": b, "c": c, "line": line_id}


def _row(frame: pl.DataFrame, loan_id: int) -> dict[str, Any]:
    rows = frame.filter(pl.col("loan_id") == loan_id).to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_features_pinned_to_hand_computed_values(book_url: str, small_book: dict[str, int]) -> None:
    frames = read_behaviour(book_url)
    june = features_at(frames, date(2024, 6, 30))
    a = _row(june, small_book["a"])
    assert (a["mob"], a["n_due"], a["dpd_now"]) == (5, 5, 0)
    assert a["on_time_share"] == pytest.approx(3 / 5, rel=1e-6)  # #1, #3, #5 on their day
    assert a["mean_days_late"] == pytest.approx((0 + 10 + 0 + 26 + 0) / 5, rel=1e-6)
    assert a["max_days_late"] == 26
    # #4 unpaid from 05-10 to 06-04 (paid 06-05): 25 days past due on 06-04, within 3 months;
    # #2's 9 days (03-10 to 03-19) are only within 6 months
    assert (a["max_dpd_3m"], a["max_dpd_6m"]) == (25, 25)
    assert a["months_m1plus_6m"] == 1  # 2024-05-31 only (#4 at 21 DPD)
    assert a["payment_ratio"] == pytest.approx(1040 / (1000 + 12 + 10 + 8 + 6 + 4), rel=1e-6)
    assert a["outstanding_share"] == pytest.approx(200 / 1200, rel=1e-6)
    assert a["utilisation"] is None  # not on a line
    assert a["multi_lending_30d"] is None  # no bureau row: missing, never 0

    march = features_at(frames, date(2024, 3, 31))
    a3 = _row(march, small_book["a"])
    assert (a3["mob"], a3["n_due"], a3["max_dpd_3m"], a3["months_m1plus_6m"]) == (2, 2, 9, 0)
    assert a3["on_time_share"] == pytest.approx(0.5, rel=1e-6)

    may = features_at(frames, date(2024, 5, 31))
    a5 = _row(may, small_book["a"])
    assert (a5["dpd_now"], a5["months_m1plus_6m"]) == (21, 1)
    assert a5["payment_ratio"] == pytest.approx(630 / 836, rel=1e-6)  # 4 due, 3 paid
    assert small_book["a"] not in population(may)["loan_id"].to_list()  # past due: not scored

    # loan B on the line: 3,000 drawn over the limit at the month-end (10,000 until the raise
    # effective 2024-03-01, 12,000 after), the bureau row's counts
    jan = features_at(frames, date(2024, 1, 31))
    b1 = _row(jan, small_book["b"])
    assert b1["utilisation"] == pytest.approx(3000 / 10000, rel=1e-6)
    assert b1["on_time_share"] is None and b1["payment_ratio"] is None  # nothing due yet
    assert (b1["multi_lending_30d"], b1["multi_lending_180d"], b1["inquiries_30d"]) == (3, 6, 2)
    b3 = _row(march, small_book["b"])
    assert b3["utilisation"] == pytest.approx(3000 / 12000, rel=1e-6)
    assert features_at(frames, date(2023, 12, 31)).height == 0  # nothing booked yet


def test_label_reaches_30_in_the_six_months_after(
    book_url: str, small_book: dict[str, int]
) -> None:
    frames = read_behaviour(book_url)
    labels = behaviour_labels(frames, [date(2024, 1, 31)], as_of=date(2024, 7, 31))
    bad = dict(zip(labels["loan_id"].to_list(), labels["bad"].to_list(), strict=True))
    # A never passed 25 DPD; B and C pay nothing: 30 DPD on 03-11 (due 02-10)
    assert bad == {small_book["a"]: 0, small_book["b"]: 1, small_book["c"]: 1}
    # the six months after 2024-02-29 end 2024-08-31: not observed on 2024-07-31, no label
    assert behaviour_labels(frames, [date(2024, 2, 29)], as_of=date(2024, 7, 31)).height == 0


def test_a_month_end_is_required(book_url: str, small_book: dict[str, int]) -> None:
    with pytest.raises(InvalidInputError, match="last day of a month"):
        features_at(read_behaviour(book_url), date(2024, 3, 30))


# -- no look-ahead --------------------------------------------------------------------------
def _cut(book: BehaviourFrames, day: date) -> BehaviourFrames:
    """The book as it stood at the end of ``day``: later payments and settlements unmade."""
    return BehaviourFrames(
        book.loans.filter(pl.col("booked_on") <= day),
        book.installments.with_columns(
            paid_date=pl.when(pl.col("paid_date") <= day).then(pl.col("paid_date"))
        ),
        book.payments.filter(pl.col("value_date") <= day),
        book.lines,
        book.limit_changes,
        book.bureau,
    )


@st.composite
def books(draw: st.DrawFn) -> BehaviourFrames:
    loans, lines, payments = [], [], []
    for loan_id in range(1, draw(st.integers(1, 4)) + 1):
        booked = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 120)))
        loans.append(
            {
                "loan_id": loan_id,
                "application_id": loan_id,
                "customer_id": 1,
                "line_id": None,
                "booked_on": booked,
                "principal": 600.0,
                "grace_days": draw(st.integers(0, 3)),
            }
        )
        for no in range(1, draw(st.integers(1, 6)) + 1):
            due = booked + timedelta(days=30 * no)
            late = draw(st.one_of(st.none(), st.integers(-5, 90)))
            paid = None if late is None else due + timedelta(days=late)
            lines.append(
                {
                    "loan_id": loan_id,
                    "installment_no": no,
                    "due_date": due,
                    "principal_due": 100.0,
                    "amount_due": 110.0,
                    "paid_date": paid,
                }
            )
            if paid is not None:
                payments.append({"loan_id": loan_id, "value_date": paid, "amount": 110.0})
    return behaviour_frames(loans, lines, payments)


MONTH_ENDS = [month_end_after(date(2024, 1, 31), k) for k in range(12)]


@settings(max_examples=60, deadline=None)
@given(book=books(), month_end=st.sampled_from(MONTH_ENDS))
def test_features_see_nothing_after_the_month_end(book: BehaviourFrames, month_end: date) -> None:
    assert features_at(book, month_end).equals(features_at(_cut(book, month_end), month_end))


@settings(max_examples=60, deadline=None)
@given(book=books(), month_end=st.sampled_from(MONTH_ENDS))
def test_the_label_sees_nothing_after_its_six_months(
    book: BehaviourFrames, month_end: date
) -> None:
    horizon = month_end_after(month_end, 6)
    late = horizon + timedelta(days=200)
    full = behaviour_labels(book, [month_end], as_of=late)
    assert full.equals(behaviour_labels(_cut(book, horizon), [month_end], as_of=late))
    # and a label is only given once its six months are observed
    assert behaviour_labels(book, [month_end], as_of=horizon - timedelta(days=1)).height == 0
