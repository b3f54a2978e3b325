"""One loan's money, exactly: its schedule, the postings against it, and its state on any day.

The state is a pure function of the loan's terms and its *timeline*: the live postings sorted
by value date (ties by posting order). The ledger keeps the state after every posting, so a
backdated posting (value date before the last one) replays only the postings that follow its
value date, from the state just before it: its cost grows with what follows the value date,
not with the loan's whole history. A reversal takes a posting out of the timeline and replays
from its value date the same way. Because the timeline is sorted by value date, a posting made
late gives exactly the state it would have given on its value date.

Conventions (stated once, here):

- Penalty interest (罚息) accrues daily on an installment's unpaid principal from the day after
  its due date, at ``penalty_apr`` over the day count's year (default 1.5 x the APR). Within
  ``grace_days`` of the due date nothing is charged and the installment is not past due; paid
  in full within grace, its accrued penalty is waived. Accrual is exact and rounded half up to
  the cent when charged.
- Days past due count from the oldest installment whose principal, interest or fee is unpaid
  (an unpaid penalty alone does not make a loan past due).
- A repayment pays what is due on its value date in the configured order (default penalty,
  fee, interest, principal), oldest installment first (``INSTALLMENT_FIRST``) or each component
  across every due installment before the next component (``COMPONENT_FIRST``). What is left
  settles the loan if it covers the remaining principal plus the current period's interest
  pro rata to the day (future interest and fees are then cancelled, 提前结清); otherwise it
  pays the next installments ahead, in the same order. Money beyond everything owed is held as
  an overpayment credit.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.loans.delinquency import bucket_of
from zhudai.loans.schedule import DayCount, Installment, Method, build_schedule
from zhudai.money import ZERO, money

#: Default penalty rate as a multiple of the contract APR (罚息: 合同利率上浮 50%).
PENALTY_MULTIPLE = Decimal("1.5")


class Component(StrEnum):
    PENALTY = "penalty"
    FEE = "fee"
    INTEREST = "interest"
    PRINCIPAL = "principal"


DEFAULT_ORDER = (Component.PENALTY, Component.FEE, Component.INTEREST, Component.PRINCIPAL)


class Waterfall(StrEnum):
    INSTALLMENT_FIRST = "installment_first"  # oldest installment in full, then the next
    COMPONENT_FIRST = "component_first"  # one component over every installment, then the next


class LoanStatus(StrEnum):
    """The one loan status (the store's ``loans.status`` column uses it too)."""

    ACTIVE = "active"
    CLOSED = "closed"
    WRITTEN_OFF = "written_off"


@dataclass(frozen=True)
class LoanTerms:
    """What the contract says; everything the ledger computes follows from it and the
    postings."""

    principal: Decimal
    apr: Decimal
    term_months: int
    method: Method
    start: date
    day_count: DayCount = DayCount.MONTHLY
    fee_per_period: Decimal = ZERO
    penalty_apr: Decimal | None = None
    grace_days: int = 0
    order: tuple[Component, ...] = DEFAULT_ORDER
    waterfall: Waterfall = Waterfall.INSTALLMENT_FIRST

    def __post_init__(self) -> None:
        if sorted(self.order) != sorted(Component):
            raise InvalidInputError(
                "order",
                f"must name each of {[c.value for c in Component]} once; got "
                f"{[str(c) for c in self.order]}",
            )
        if self.grace_days < 0:
            raise InvalidInputError("grace_days", f"must be 0 or more; got {self.grace_days}")
        if self.fee_per_period < 0:
            raise InvalidInputError(
                "fee_per_period", f"must be 0 or more; got {self.fee_per_period}"
            )
        if self.penalty_apr is not None and self.penalty_apr < 0:
            raise InvalidInputError("penalty_apr", f"must be 0 or more; got {self.penalty_apr}")

    @property
    def penalty_daily_rate(self) -> Decimal:
        apr = self.penalty_apr if self.penalty_apr is not None else self.apr * PENALTY_MULTIPLE
        return self.day_count.daily_rate(Decimal(str(apr)))


@dataclass(slots=True)
class Line:
    """One installment's dues and what has been paid of them."""

    period: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    paid: dict[Component, Decimal] = field(default_factory=lambda: dict.fromkeys(Component, ZERO))
    penalty_accrued: Decimal = Decimal(0)  # exact; charged rounded, once past grace
    penalty_charged: bool = False
    accrued_to: date | None = None  # penalty accrued for the days before this date

    def due(self, component: Component) -> Decimal:
        if component is Component.PENALTY:
            return money(self.penalty_accrued) if self.penalty_charged else ZERO
        return {
            Component.PRINCIPAL: self.principal,
            Component.INTEREST: self.interest,
            Component.FEE: self.fee,
        }[component]

    def owed(self, component: Component) -> Decimal:
        return self.due(component) - self.paid[component]

    @property
    def contractual_unpaid(self) -> Decimal:
        """Unpaid principal, interest and fee (what makes an installment past due)."""
        return sum(
            (self.owed(c) for c in (Component.PRINCIPAL, Component.INTEREST, Component.FEE)),
            ZERO,
        )

    @property
    def settled(self) -> bool:
        return self.contractual_unpaid == 0 and self.owed(Component.PENALTY) == 0


@dataclass(frozen=True, slots=True)
class Posting:
    """A repayment as posted: ``key`` is its idempotency key; ``seq`` orders postings of the
    same value date by arrival."""

    key: str
    value_date: date
    amount: Decimal
    seq: int


@dataclass(frozen=True, slots=True)
class Allocation:
    """Where one posting's money went."""

    key: str
    parts: tuple[tuple[int, Component, Decimal], ...]  # (period, component, amount)
    cancelled: tuple[tuple[int, Component, Decimal], ...] = ()  # waived at settlement
    credit: Decimal = ZERO  # overpayment held

    def total(self, component: Component | None = None) -> Decimal:
        return sum((a for _, c, a in self.parts if component in (None, c)), ZERO)


@dataclass(slots=True)
class LoanState:
    """The loan after the postings up to ``as_of`` (penalty accrued for the days before it)."""

    as_of: date
    lines: list[Line]
    credit: Decimal = ZERO
    status: LoanStatus = LoanStatus.ACTIVE
    closed_on: date | None = None

    @property
    def principal_paid(self) -> Decimal:
        return sum((ln.paid[Component.PRINCIPAL] for ln in self.lines), ZERO)

    @property
    def principal_outstanding(self) -> Decimal:
        return sum((ln.owed(Component.PRINCIPAL) for ln in self.lines), ZERO)

    def oldest_unpaid_due(self) -> date | None:
        """Due date of the oldest installment with principal, interest or fee unpaid."""
        return next((ln.due_date for ln in self.lines if ln.contractual_unpaid > 0), None)

    def dpd(self, grace_days: int) -> int:
        """Days past due on ``as_of`` (0 within grace)."""
        return _days_past_due(self.as_of, self.oldest_unpaid_due(), grace_days)

    def copy(self) -> LoanState:
        """An independent copy (amounts are immutable Decimals: only the containers are new;
        ``copy.deepcopy`` cost 20x more and dominated a backdated replay)."""
        return LoanState(
            self.as_of,
            [replace(ln, paid=dict(ln.paid)) for ln in self.lines],
            self.credit,
            self.status,
            self.closed_on,
        )


class Ledger:
    """One loan: its terms, its timeline of postings and the state after each.

    Examples
    --------
    >>> terms = LoanTerms(Decimal("1200"), Decimal("0"), 3, Method.EQUAL_PRINCIPAL,
    ...                   date(2024, 1, 10))
    >>> ledger = Ledger(terms)
    >>> ledger.post("r1", date(2024, 2, 10), Decimal("400")).total()
    Decimal('400.00')
    >>> ledger.state_at(date(2024, 4, 20)).dpd(terms.grace_days)
    41
    """

    def __init__(self, terms: LoanTerms, schedule: Sequence[Installment] | None = None) -> None:
        self.terms = terms
        fee = money(terms.fee_per_period)
        # the contract's schedule: as the terms give it, or as agreed elsewhere (a bank's
        # book taken over keeps the bank's rounding and due dates)
        self.schedule = (
            list(schedule)
            if schedule is not None
            else build_schedule(
                terms.principal,
                terms.apr,
                terms.term_months,
                terms.method,
                terms.start,
                terms.day_count,
            )
        )
        self._initial = LoanState(
            as_of=terms.start,
            lines=[Line(r.period, r.due_date, r.principal, r.interest, fee) for r in self.schedule],
        )
        self.timeline: list[Posting] = []
        self._after: list[LoanState] = []  # state after timeline[i]
        self._allocations: list[Allocation] = []  # where timeline[i]'s money went
        self._by_key: dict[str, Posting] = {}
        self.reversed: dict[str, Posting] = {}
        self._seq = 0
        self.replayed = 0  # postings re-applied by the last post or reversal

    def fork(self) -> Ledger:
        """An independent copy to post into. A state is never changed once made (each posting
        makes a new one), so only the lists and maps are copied: O(postings), no replay."""
        twin = copy.copy(self)
        twin.timeline = list(self.timeline)
        twin._after = list(self._after)
        twin._allocations = list(self._allocations)
        twin._by_key = dict(self._by_key)
        twin.reversed = dict(self.reversed)
        return twin

    # -- postings -------------------------------------------------------------------------
    def post(self, key: str, value_date: date, amount: Decimal) -> Allocation:
        """Apply a repayment; the same key again (same date and amount) is a no-op that
        returns the first allocation."""
        amount = money(amount)
        if amount <= 0:
            raise InvalidInputError("amount", f"must be positive; got {amount}")
        if value_date < self.terms.start:
            raise InvalidInputError(
                "value_date", f"{value_date} is before the loan's start {self.terms.start}"
            )
        known = self._by_key.get(key) or self.reversed.get(key)
        if known is not None:
            if (known.value_date, known.amount) != (value_date, amount):
                raise InvalidInputError(
                    "idempotency_key",
                    f"{key!r} was used for {known.amount} on {known.value_date}; "
                    f"got {amount} on {value_date}",
                )
            return self.allocation(key)
        self._seq += 1
        posting = Posting(key, value_date, amount, self._seq)
        at = self._end_of(value_date)  # after the postings of its value date: it came last
        self.timeline.insert(at, posting)
        self._by_key[key] = posting
        self._replay_from(at)
        return self.allocation(key)

    def reverse(self, key: str) -> None:
        """Take a posting out of the timeline (its money is returned to the payer) and
        replay from its value date. Reversing twice is a no-op."""
        if key in self.reversed:
            return
        posting = self._by_key.pop(key, None)
        if posting is None:
            raise NotFoundError("reverses", key)
        at = self.timeline.index(posting)
        del self.timeline[at]
        self.reversed[key] = posting
        self._replay_from(at)

    def allocation(self, key: str) -> Allocation:
        """Where the posting ``key`` went (empty if it was reversed)."""
        if key in self.reversed:
            return Allocation(key, ())
        return self._allocations[self.timeline.index(self._by_key[key])]

    # -- states ---------------------------------------------------------------------------
    @property
    def state(self) -> LoanState:
        """The state after the last posting."""
        return self._after[-1] if self._after else self._initial

    def state_at(self, day: date) -> LoanState:
        """The loan on ``day``: postings with a value date up to ``day``, penalty accrued for
        the days before it."""
        at = self._end_of(day)
        state = (self._after[at - 1] if at else self._initial).copy()
        _advance(state, max(day, state.as_of), self.terms)
        return state

    def payoff(self, day: date) -> Decimal:
        """What one payment valued on ``day`` must be to settle the loan (提前结清): every
        due amount (penalty included) plus the principal not yet due and the current period's
        interest earned to the day (an overpayment credit held is refunded apart)."""
        state = self.state_at(day)
        owed = sum(
            (ln.owed(c) for ln in state.lines if ln.due_date <= day for c in Component), ZERO
        )
        future = [ln for ln in state.lines if ln.due_date > day and not ln.settled]
        ahead = _settlement(state, future, day, self.terms)[1] if future else ZERO
        return owed + ahead

    def dpd_history(self, through: date) -> list[tuple[date, int, str]]:
        """(day, DPD, bucket) on each day the bucket changed, from the start to ``through``."""
        out: list[tuple[date, int, str]] = []
        bounds = [p.value_date for p in self.timeline] + [through + timedelta(days=1)]
        state = self._initial
        day = self.terms.start
        for k, end in enumerate(bounds):
            oldest = state.oldest_unpaid_due()
            while day < min(end, through + timedelta(days=1)):
                dpd = _days_past_due(day, oldest, self.terms.grace_days)
                bucket = bucket_of(dpd)
                if not out or out[-1][2] != bucket:
                    out.append((day, dpd, bucket))
                day += timedelta(days=1)
            if k < len(self._after):
                state = self._after[k]
        return out

    def _end_of(self, day: date) -> int:
        """Timeline index just after the last posting with a value date up to ``day``."""
        return bisect.bisect_right([p.value_date for p in self.timeline], day)

    def _replay_from(self, at: int) -> None:
        """Recompute the states after ``timeline[at:]`` from the state before it."""
        del self._after[at:], self._allocations[at:]
        state = self._after[at - 1] if at else self._initial
        for posting in self.timeline[at:]:
            state, allocation = _apply(state, posting, self.terms)
            self._after.append(state)
            self._allocations.append(allocation)
        self.replayed = len(self.timeline) - at


def _days_past_due(day: date, oldest_unpaid_due: date | None, grace_days: int) -> int:
    """Days since the oldest unpaid due date; 0 when nothing is unpaid or within grace."""
    if oldest_unpaid_due is None:
        return 0
    days = (day - oldest_unpaid_due).days
    return days if days > grace_days else 0


def _advance(state: LoanState, day: date, terms: LoanTerms) -> None:
    """Accrue penalty up to ``day`` and charge it on installments past grace."""
    rate = terms.penalty_daily_rate
    for line in state.lines:
        if line.due_date >= day:
            break
        start = line.accrued_to or line.due_date
        unpaid = line.owed(Component.PRINCIPAL)
        if unpaid > 0 and day > start:
            line.penalty_accrued += unpaid * rate * (day - start).days
        line.accrued_to = max(start, day)
        if line.contractual_unpaid > 0 and (day - line.due_date).days > terms.grace_days:
            line.penalty_charged = True
    state.as_of = day


def _settlement(
    state: LoanState, future: Sequence[Line], day: date, terms: LoanTerms
) -> tuple[Decimal, Decimal]:
    """(interest earned so far on the current period, what settles the not-yet-due
    installments on ``day``): their principal plus the current period's interest pro rata to
    the day, less what was already paid of it."""
    current = future[0]
    period_start = state.lines[current.period - 2].due_date if current.period > 1 else terms.start
    days = max((current.due_date - period_start).days, 1)
    interest_now = min(money(current.interest * (day - period_start).days / days), current.interest)
    principal = sum((ln.owed(Component.PRINCIPAL) for ln in future), ZERO)
    return interest_now, principal + max(interest_now - current.paid[Component.INTEREST], ZERO)


def _apply(before: LoanState, posting: Posting, terms: LoanTerms) -> tuple[LoanState, Allocation]:
    """The state after ``posting`` (a new object: ``before`` stays the snapshot it is)."""
    state = before.copy()
    day = posting.value_date
    _advance(state, day, terms)
    left = posting.amount
    parts: list[tuple[int, Component, Decimal]] = []

    def pay(lines: Iterable[Line], order: Sequence[Component]) -> None:
        nonlocal left
        pairs = (
            [(ln, c) for ln in lines for c in order]
            if terms.waterfall is Waterfall.INSTALLMENT_FIRST
            else [(ln, c) for c in order for ln in lines]
        )
        for line, component in pairs:
            if left <= 0:
                return
            part = min(left, line.owed(component))
            if part > 0:
                line.paid[component] += part
                left -= part
                parts.append((line.period, component, part))

    due = [ln for ln in state.lines if ln.due_date <= day]
    pay(due, terms.order)
    for line in due:  # paid in full within grace: its penalty is waived
        if line.contractual_unpaid == 0 and not line.penalty_charged:
            line.penalty_accrued = Decimal(0)
    cancelled: list[tuple[int, Component, Decimal]] = []
    future = [ln for ln in state.lines if ln.due_date > day and not ln.settled]
    if left > 0 and future:
        current = future[0]
        interest_now, settlement = _settlement(state, future, day, terms)
        if left >= settlement:
            for line in future:  # 提前结清: only the interest earned so far is owed
                kept = interest_now if line is current else line.paid[Component.INTEREST]
                kept = max(kept, line.paid[Component.INTEREST])
                for component, now in (
                    (Component.INTEREST, kept),
                    (Component.FEE, line.paid[Component.FEE]),
                ):
                    waived = line.due(component) - now
                    if waived > 0:
                        cancelled.append((line.period, component, waived))
                line.interest = kept
                line.fee = line.paid[Component.FEE]
            pay(future, (Component.INTEREST, Component.PRINCIPAL))
        else:
            pay(future, [c for c in terms.order if c is not Component.PENALTY])
    credit = left if left > 0 else ZERO
    state.credit += credit
    if state.status is LoanStatus.ACTIVE and all(ln.settled for ln in state.lines):
        state.status, state.closed_on = LoanStatus.CLOSED, day
    return state, Allocation(posting.key, tuple(parts), tuple(cancelled), credit)
