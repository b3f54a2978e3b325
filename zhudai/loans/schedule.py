"""Repayment schedules: equal installment (等额本息), equal principal (等额本金) and interest first
(先息后本), with interest per month (APR/12) or per day under a stated day count.

Rounding rule (one, everywhere): each period's interest is the exact amount rounded half up
to the cent; an equal installment's payment is rounded half up to the cent and its principal
is payment minus interest; equal principal is principal / term rounded half up. The last
installment takes whatever principal remains, so the principal column sums to the loan
exactly and the rounding lands there.

With daily interest a long period can cost more interest than the equal payment (a first
period of 31 days on a long, dear loan): that period's principal is then zero, never
negative, and its payment is the interest alone.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from zhudai.exceptions import InvalidInputError
from zhudai.money import ZERO, money

#: Longest term a schedule is built for (30 years).
MAX_TERM_MONTHS = 360


class Method(StrEnum):
    EQUAL_INSTALLMENT = "equal_installment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_FIRST = "interest_first"  # 先息后本: principal at maturity


class DayCount(StrEnum):
    """How a period's interest is computed: ``MONTHLY`` is APR/12 per period whatever its
    length; ``ACT/360`` (the usual 日利率 = 年利率/360) and ``ACT/365`` charge the period's
    actual days at APR/360 or APR/365."""

    MONTHLY = "monthly"
    ACT_360 = "ACT/360"
    ACT_365 = "ACT/365"

    def period_rate(self, apr: Decimal, start: date, end: date) -> Decimal:
        if self is DayCount.MONTHLY:
            return apr / 12
        return apr * (end - start).days / (360 if self is DayCount.ACT_360 else 365)

    def daily_rate(self, apr: Decimal) -> Decimal:
        """The rate of one day (MONTHLY counts a day as 1/360 of a year, like 日利率)."""
        return apr / (365 if self is DayCount.ACT_365 else 360)


@dataclass(frozen=True, slots=True)
class Installment:
    period: int
    due_date: date
    principal: Decimal
    interest: Decimal
    balance: Decimal  # principal outstanding after this installment is paid

    @property
    def payment(self) -> Decimal:
        return self.principal + self.interest


def due_dates(start: date, term_months: int) -> list[date]:
    """The start's day of month in each of the ``term_months`` following months, clamped to
    the month's last day (Jan 31 -> Feb 28/29 -> Mar 31).

    Examples
    --------
    >>> [d.isoformat() for d in due_dates(date(2024, 1, 31), 3)]
    ['2024-02-29', '2024-03-31', '2024-04-30']
    """
    out = []
    for k in range(1, term_months + 1):
        year, month = divmod(start.month - 1 + k, 12)
        year, month = start.year + year, month + 1
        out.append(date(year, month, min(start.day, calendar.monthrange(year, month)[1])))
    return out


def _check(principal: Decimal, apr: Decimal, term_months: int) -> None:
    if principal <= 0:
        raise InvalidInputError("principal", f"must be positive; got {principal}")
    if apr < 0 or apr >= 1:
        raise InvalidInputError("apr", f"must be a yearly rate in [0, 1), e.g. 0.18; got {apr}")
    if not 1 <= term_months <= MAX_TERM_MONTHS:
        raise InvalidInputError("term", f"must be 1..{MAX_TERM_MONTHS} months; got {term_months}")


def build_schedule(
    principal: Decimal,
    apr: Decimal,
    term_months: int,
    method: Method,
    start: date,
    day_count: DayCount = DayCount.MONTHLY,
) -> list[Installment]:
    """The loan's installments, one per month after ``start``.

    Examples
    --------
    >>> rows = build_schedule(Decimal("10000"), Decimal("0.12"), 12,
    ...                       Method.EQUAL_INSTALLMENT, date(2024, 1, 15))
    >>> rows[0].payment, rows[0].interest, rows[0].principal
    (Decimal('888.49'), Decimal('100.00'), Decimal('788.49'))
    >>> sum(r.principal for r in rows), rows[-1].balance
    (Decimal('10000.00'), Decimal('0.00'))
    """
    principal, apr = money(principal), Decimal(str(apr))
    _check(principal, apr, term_months)
    dates = due_dates(start, term_months)
    payment = _equal_payment(principal, apr / 12, term_months)
    even_principal = money(principal / term_months)
    balance, previous, rows = principal, start, []
    for k, due in enumerate(dates, start=1):
        interest = money(balance * day_count.period_rate(apr, previous, due))
        if k == term_months:
            part = balance
        elif method is Method.EQUAL_INSTALLMENT:
            part = min(max(payment - interest, ZERO), balance)
        elif method is Method.EQUAL_PRINCIPAL:
            part = min(even_principal, balance)
        else:
            part = ZERO
        balance -= part
        rows.append(Installment(k, due, part, interest, balance))
        previous = due
    return rows


def _equal_payment(principal: Decimal, rate: Decimal, n: int) -> Decimal:
    """P r (1+r)^n / ((1+r)^n - 1), rounded half up (P / n at a zero rate)."""
    if rate == 0:
        return money(principal / n)
    growth = (1 + rate) ** n
    return money(principal * rate * growth / (growth - 1))


SCHEDULE_HEADER = ("period", "due_date", "principal", "interest", "payment", "balance")


def schedule_csv(rows: Sequence[Installment]) -> str:
    """The schedule as CSV with the contract header (amounts with two decimals)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SCHEDULE_HEADER)
    for r in rows:
        writer.writerow(
            [r.period, r.due_date.isoformat(), r.principal, r.interest, r.payment, r.balance]
        )
    return out.getvalue()
