"""Schedules follow the repayment methods; due dates keep the booking day of month."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from zhudai.times import US_PER_DAY, day_micros
from zhudai.world.repayment import _due_days, _schedule


def test_equal_installment_is_an_annuity() -> None:
    p, apr, n = 12000.0, 0.24, 12
    k = np.arange(1, n + 1)
    principal, interest = _schedule(
        np.full(n, p), np.full(n, apr), np.full(n, n), k, np.zeros(n, int)
    )
    payment = p * 0.02 / (1 - 1.02**-12)  # 1134.72 (hand-computed annuity at 2% a month)
    assert payment == pytest.approx(1134.7148, rel=1e-6)
    assert principal + interest == pytest.approx(np.full(n, payment), abs=0.011)
    assert interest[0] == pytest.approx(240.0)
    assert principal.sum() == pytest.approx(p, abs=0.05)


def test_equal_principal_and_interest_first() -> None:
    p, apr, n = 6000.0, 0.12, 6
    k = np.arange(1, n + 1)
    principal, interest = _schedule(
        np.full(n, p), np.full(n, apr), np.full(n, n), k, np.ones(n, int)
    )
    assert principal.tolist() == [1000.0] * 6
    assert interest.tolist() == [60.0, 50.0, 40.0, 30.0, 20.0, 10.0]
    principal, interest = _schedule(np.full(n, p), np.full(n, apr), np.full(n, n), k, np.full(n, 2))
    assert principal.tolist() == [0.0] * 5 + [6000.0]
    assert interest.tolist() == [60.0] * 6


def test_due_dates_keep_day_of_month_capped_at_28() -> None:
    from datetime import date

    booked = (
        np.array([day_micros(date(2024, 1, 31)), day_micros(date(2024, 3, 15))])
        + 10 * 3_600_000_000
    )
    due = _due_days(np.repeat(booked, 2), np.array([1, 2, 1, 2]))
    got = pl.Series(due * US_PER_DAY).cast(pl.Datetime("us")).dt.date().to_list()
    assert got == [date(2024, 2, 28), date(2024, 3, 28), date(2024, 4, 15), date(2024, 5, 15)]
