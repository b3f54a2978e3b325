"""Schedules pinned against hand-computed values; properties over random products."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhudai.exceptions import InvalidInputError
from zhudai.loans.schedule import DayCount, Method, build_schedule, due_dates, schedule_csv

P, APR, START = Decimal("10000"), Decimal("0.12"), date(2024, 1, 15)


def test_equal_installment_matches_the_annuity_formula() -> None:
    rows = build_schedule(P, APR, 12, Method.EQUAL_INSTALLMENT, START)
    # 10000 * 0.01 * 1.01^12 / (1.01^12 - 1) = 888.4879 -> 888.49
    assert [r.payment for r in rows[:-1]] == [Decimal("888.49")] * 11
    assert (rows[0].interest, rows[0].principal, rows[0].balance) == (
        Decimal("100.00"),
        Decimal("788.49"),
        Decimal("9211.51"),
    )
    # second period: 9211.51 * 1% = 92.1151 -> 92.12
    assert rows[1].interest == Decimal("92.12")
    assert rows[-1].balance == 0 and sum(r.principal for r in rows) == P
    assert rows[-1].payment == rows[-1].principal + rows[-1].interest


def test_equal_principal_and_interest_first() -> None:
    rows = build_schedule(P, APR, 12, Method.EQUAL_PRINCIPAL, START)
    assert [r.principal for r in rows] == [Decimal("833.33")] * 11 + [Decimal("833.37")]
    assert [r.interest for r in rows[:2]] == [Decimal("100.00"), Decimal("91.67")]
    first = build_schedule(P, APR, 3, Method.INTEREST_FIRST, START)
    assert [(r.principal, r.interest) for r in first] == [
        (Decimal("0.00"), Decimal("100.00")),
        (Decimal("0.00"), Decimal("100.00")),
        (Decimal("10000.00"), Decimal("100.00")),
    ]


def test_daily_interest_counts_the_actual_days() -> None:
    rows = build_schedule(P, APR, 3, Method.INTEREST_FIRST, START, DayCount.ACT_360)
    # Jan 15 -> Feb 15: 31 days; Feb 15 -> Mar 15: 29 days (2024 is a leap year)
    assert rows[0].interest == Decimal("103.33")  # 10000 * 0.12 * 31 / 360
    assert rows[1].interest == Decimal("96.67")  # * 29 / 360
    act365 = build_schedule(P, APR, 1, Method.INTEREST_FIRST, START, DayCount.ACT_365)
    assert act365[0].interest == Decimal("101.92")  # 10000 * 0.12 * 31 / 365 = 101.918


def test_due_dates_clamp_to_the_month_end_from_the_start_day() -> None:
    assert due_dates(date(2023, 1, 31), 4) == [
        date(2023, 2, 28),
        date(2023, 3, 31),
        date(2023, 4, 30),
        date(2023, 5, 31),
    ]
    assert due_dates(date(2024, 11, 30), 3) == [
        date(2024, 12, 30),
        date(2025, 1, 30),
        date(2025, 2, 28),
    ]


def test_zero_rate_and_csv_contract() -> None:
    rows = build_schedule(Decimal("100"), Decimal("0"), 3, Method.EQUAL_INSTALLMENT, START)
    assert [r.payment for r in rows] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    text = schedule_csv(rows)
    assert text.splitlines()[0] == "period,due_date,principal,interest,payment,balance"
    assert text.splitlines()[1] == "1,2024-02-15,33.33,0.00,33.33,66.67"


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("principal", {"principal": Decimal("0")}),
        ("apr", {"apr": Decimal("1.2")}),
        ("term", {"term_months": 0}),
    ],
)
def test_bad_terms_name_the_field(field: str, kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"principal": P, "apr": APR, "term_months": 12} | kwargs
    with pytest.raises(InvalidInputError) as err:
        build_schedule(method=Method.EQUAL_INSTALLMENT, start=START, **args)  # type: ignore[arg-type]
    assert err.value.field == field


@settings(max_examples=300, deadline=None)
@given(
    principal=st.decimals(min_value=1, max_value=2_000_000, places=2),
    apr=st.decimals(min_value=0, max_value=Decimal("0.36"), places=4),
    term=st.integers(1, 360),
    method=st.sampled_from(Method),
    day_count=st.sampled_from(DayCount),
    start=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
)
def test_schedule_properties(
    principal: Decimal, apr: Decimal, term: int, method: Method, day_count: DayCount, start: date
) -> None:
    rows = build_schedule(principal, apr, term, method, start, day_count)
    assert len(rows) == term
    assert sum(r.principal for r in rows) == principal and rows[-1].balance == 0
    for r in rows:
        assert r.principal >= 0 and r.interest >= 0 and r.balance >= 0
        assert r.principal.as_tuple().exponent == -2 and r.interest.as_tuple().exponent == -2
    assert all(a.due_date < b.due_date for a, b in zip(rows, rows[1:], strict=False))
