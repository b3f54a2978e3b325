"""The ledger: hand-computed penalty, allocation and settlement; properties over random
products and payment streams (money conserved, nothing negative, backdating = posting on the
value date, replay cost bounded by what follows)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhudai.exceptions import InvalidInputError
from zhudai.loans import Component, DayCount, Ledger, LoanStatus, LoanTerms, Method, Waterfall

D = Decimal
START = date(2024, 1, 10)  # dues on Feb 10, Mar 10, Apr 10


def _flat(**kw: object) -> LoanTerms:
    """1,200 over 3 months at 0%: 400 due each month; penalty 36%/360 = 0.1% a day."""
    args: dict[str, object] = dict(
        principal=D("1200"),
        apr=D("0"),
        term_months=3,
        method=Method.EQUAL_PRINCIPAL,
        start=START,
        day_count=DayCount.ACT_360,
        penalty_apr=D("0.36"),
    )
    return LoanTerms(**(args | kw))  # type: ignore[arg-type]


def test_penalty_accrues_daily_on_overdue_principal() -> None:
    ledger = Ledger(_flat())
    alloc = ledger.post("r1", date(2024, 2, 20), D("404"))  # 10 days late: 400 * 0.001 * 10
    assert alloc.total(Component.PENALTY) == D("4.00")
    assert alloc.total(Component.PRINCIPAL) == D("400.00")
    assert ledger.state.dpd(0) == 0 and ledger.state.principal_outstanding == D("800.00")


def test_grace_days_waive_penalty_and_past_due() -> None:
    within = Ledger(_flat(grace_days=3))
    assert within.state_at(date(2024, 2, 13)).dpd(3) == 0
    within.post("r1", date(2024, 2, 13), D("400"))
    assert within.state.lines[0].owed(Component.PENALTY) == 0
    beyond = Ledger(_flat(grace_days=3))
    assert beyond.state_at(date(2024, 2, 14)).dpd(3) == 4  # counted from the due date
    alloc = beyond.post("r1", date(2024, 2, 14), D("401.60"))
    assert alloc.total(Component.PENALTY) == D("1.60")  # 4 days: 400 * 0.001 * 4


def test_allocation_order_and_waterfall_are_configurable() -> None:
    terms = dict(
        apr=D("0.12"),
        method=Method.INTEREST_FIRST,
        term_months=3,
        day_count=DayCount.MONTHLY,
        penalty_apr=D("0"),
    )
    late = date(2024, 3, 10)  # two installments due: interest 12.00 each
    first = Ledger(
        _flat(
            **terms,
            order=(Component.INTEREST, Component.PRINCIPAL, Component.FEE, Component.PENALTY),
        )
    )
    assert first.post("r", late, D("20")).parts == (
        (1, Component.INTEREST, D("12.00")),
        (2, Component.INTEREST, D("8.00")),
    )
    principal_first = Ledger(
        _flat(
            apr=D("0.12"),
            day_count=DayCount.MONTHLY,
            penalty_apr=D("0"),
            order=(Component.PRINCIPAL, Component.INTEREST, Component.FEE, Component.PENALTY),
            waterfall=Waterfall.COMPONENT_FIRST,
        )
    )
    # equal principal at 12%: due Feb 400 + 12.00, Mar 400 + 8.00
    assert principal_first.post("r", late, D("810")).parts == (
        (1, Component.PRINCIPAL, D("400.00")),
        (2, Component.PRINCIPAL, D("400.00")),
        (1, Component.INTEREST, D("10.00")),
    )
    with pytest.raises(InvalidInputError) as err:
        _flat(order=(Component.PRINCIPAL,))
    assert err.value.field == "order"


def test_early_settlement_charges_interest_to_the_day_and_cancels_the_rest() -> None:
    ledger = Ledger(_flat(apr=D("0.12"), day_count=DayCount.MONTHLY))
    alloc = ledger.post("r1", date(2024, 1, 25), D("2000"))
    # 15 of 31 days of the first period's 12.00: 5.806 -> 5.81; principal 1200 in full
    assert alloc.total(Component.INTEREST) == D("5.81")
    assert alloc.total(Component.PRINCIPAL) == D("1200.00")
    assert alloc.credit == D("794.19")
    assert dict(((p, c), a) for p, c, a in alloc.cancelled) == {
        (1, Component.INTEREST): D("6.19"),
        (2, Component.INTEREST): D("8.00"),
        (3, Component.INTEREST): D("4.00"),
    }
    assert ledger.state.status is LoanStatus.CLOSED and ledger.state.closed_on == date(2024, 1, 25)


def test_partial_payment_ahead_and_overpayment_credit() -> None:
    ledger = Ledger(_flat())
    ledger.post("a", date(2024, 1, 20), D("500"))  # nothing due: pays Feb's 400 and 100 of Mar
    assert [ln.paid[Component.PRINCIPAL] for ln in ledger.state.lines] == [D("400"), D("100"), 0]
    assert ledger.state_at(date(2024, 3, 20)).dpd(0) == 10  # March's remaining 300 is late
    ledger.post("b", date(2024, 4, 10), D("1000"))  # 300 + penalty + 400, the rest held
    state = ledger.state
    assert state.status is LoanStatus.CLOSED and state.principal_outstanding == 0
    assert state.credit == D("1000") - D("700") - ledger.allocation("b").total(Component.PENALTY)


def test_idempotency_and_reversal() -> None:
    ledger = Ledger(_flat())
    first = ledger.post("k", date(2024, 2, 10), D("400"))
    assert ledger.post("k", date(2024, 2, 10), D("400")) == first
    assert len(ledger.timeline) == 1
    with pytest.raises(InvalidInputError) as err:
        ledger.post("k", date(2024, 2, 10), D("401"))
    assert err.value.field == "idempotency_key"
    ledger.post("m", date(2024, 3, 10), D("400"))
    ledger.reverse("k")  # the February payment bounced: March's money now pays February,
    assert ledger.replayed == 1  # penalty first (29 days: 400 * 0.001 * 29 = 11.60)
    february, march = ledger.state.lines[:2]
    assert february.paid[Component.PENALTY] == D("11.60")
    assert february.paid[Component.PRINCIPAL] == D("388.40")
    assert march.paid[Component.PRINCIPAL] == 0
    assert ledger.state_at(date(2024, 3, 11)).dpd(0) == 30  # February is still short
    assert ledger.allocation("k").parts == ()
    assert ledger.dpd_history(date(2024, 4, 15)) == [
        (START, 0, "M0"),
        (date(2024, 2, 11), 1, "M1"),
        (date(2024, 3, 12), 31, "M2"),
        (date(2024, 4, 11), 61, "M3"),
    ]


def _terms(draw: st.DrawFn) -> LoanTerms:
    return LoanTerms(
        principal=draw(st.decimals(min_value=100, max_value=200_000, places=2)),
        apr=draw(st.decimals(min_value=0, max_value=D("0.24"), places=4)),
        term_months=draw(st.integers(1, 36)),
        method=draw(st.sampled_from(Method)),
        start=draw(st.dates(date(2022, 1, 1), date(2026, 1, 1))),
        day_count=draw(st.sampled_from(DayCount)),
        fee_per_period=draw(st.decimals(min_value=0, max_value=50, places=2)),
        grace_days=draw(st.integers(0, 5)),
        waterfall=draw(st.sampled_from(Waterfall)),
        order=tuple(draw(st.permutations(list(Component)))),
    )


@st.composite
def _loan_and_payments(draw: st.DrawFn) -> tuple[LoanTerms, list[tuple[str, date, Decimal]]]:
    terms = _terms(draw)
    n = draw(st.integers(1, 25))
    days = draw(
        st.lists(st.integers(0, 31 * terms.term_months + 60), min_size=n, max_size=n, unique=True)
    )
    scale = terms.principal / terms.term_months
    amounts = draw(
        st.lists(
            st.decimals(min_value=D("0.01"), max_value=scale * 2, places=2), min_size=n, max_size=n
        )
    )
    return terms, [
        (f"p{k}", terms.start + timedelta(days=d), a)
        for k, (d, a) in enumerate(zip(days, amounts, strict=True))
    ]


def _snapshot(ledger: Ledger) -> object:
    s = ledger.state
    return (
        s.credit,
        s.status,
        s.closed_on,
        [(ln.paid, ln.interest, ln.fee, ln.owed(Component.PENALTY)) for ln in s.lines],
    )


@settings(max_examples=150, deadline=None)
@given(case=_loan_and_payments(), order_seed=st.integers(0, 2**32))
def test_money_is_conserved_and_backdating_equals_posting_on_the_value_date(
    case: tuple[LoanTerms, list[tuple[str, date, Decimal]]], order_seed: int
) -> None:
    terms, payments = case
    in_time = Ledger(terms)
    for key, day, amount in sorted(payments, key=lambda p: p[1]):
        in_time.post(key, day, amount)
    shuffled = payments[:]
    random.Random(order_seed).shuffle(shuffled)
    late = Ledger(terms)
    for key, day, amount in shuffled:
        later = sum(1 for p in late.timeline if p.value_date > day)
        late.post(key, day, amount)
        assert late.replayed == later + 1  # only what follows the value date is replayed
        state = late.state
        assert state.principal_paid + state.principal_outstanding == terms.principal
        for line in state.lines:
            assert line.principal >= 0 and line.interest >= 0 and line.fee >= 0
            for c in Component:
                assert line.paid[c] >= 0 and line.owed(c) >= 0
        paid = sum(sum(ln.paid.values()) for ln in state.lines) + state.credit
        assert paid == sum(p.amount for p in late.timeline)  # every cent is somewhere
    assert _snapshot(late) == _snapshot(in_time)
    for key, _, _ in shuffled[: len(shuffled) // 2]:
        late.reverse(key)
    kept = [p for p in payments if p[0] not in late.reversed]
    fresh = Ledger(terms)
    for key, day, amount in sorted(kept, key=lambda p: p[1]):
        fresh.post(key, day, amount)
    assert _snapshot(late) == _snapshot(fresh)


@settings(max_examples=100, deadline=None)
@given(case=_loan_and_payments(), offset=st.integers(0, 40 * 31))
def test_the_payoff_amount_settles_the_loan_exactly(
    case: tuple[LoanTerms, list[tuple[str, date, Decimal]]], offset: int
) -> None:
    terms, payments = case
    ledger = Ledger(terms)
    for key, day, amount in sorted(payments, key=lambda p: p[1]):
        ledger.post(key, day, amount)
    day = max([terms.start, *(p[1] for p in payments)]) + timedelta(days=offset % 400)
    if ledger.state.status is LoanStatus.CLOSED:
        assert ledger.payoff(day) == 0
        return
    credit_before = ledger.state.credit
    amount = ledger.payoff(day)
    assert amount > 0
    ledger.post("payoff", day, amount)
    after = ledger.state
    assert after.status is LoanStatus.CLOSED and after.closed_on == day
    assert after.credit == credit_before  # not a cent too much
    assert after.principal_outstanding == 0


def test_payoff_mid_period_is_principal_plus_interest_to_the_day() -> None:
    # 1,200 at 12% (ACT/360) equal principal from Jan 10. On Feb 25 period 1 is due and unpaid:
    # 400 + 1,200 x 0.12/360 x 31 days = 412.40, and 15 days of penalty on its 400 principal at
    # 0.1% a day = 6.00. Ahead: 800 of principal and period 2's interest (800 x 0.12/360 x 29
    # days = 7.73) earned for 15 of its 29 days: 4.00.
    ledger = Ledger(_flat(apr=D("0.12")))
    assert [r.interest for r in ledger.schedule[:2]] == [D("12.40"), D("7.73")]
    assert ledger.payoff(date(2024, 2, 25)) == D("412.40") + D("6.00") + D("800.00") + D("4.00")
