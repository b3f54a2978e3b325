"""Allocating a day's approved applicants to partner banks, three ways on one problem.

- ``greedy``: the real-time rule: each applicant, as it arrives, goes to the bank with the
  highest expected profit among those whose appetite takes it and whose capacity still fits
  it (no push expected to lose money).
- ``cheapest``: the origination pipeline's routing today (``zhudai.origination.routing``):
  the cheapest bank that takes it and has room, whatever the push is worth.
- ``random``: a random bank among those that take it and still have room (a baseline).
- ``batch``: the day's applicants at once, as a mixed-integer programme (scipy ``milp``,
  HiGHS) maximising the facilitator's expected profit within every bank's capacity, its cap
  on expected refusals after push, each joint-lending cap and the facilitator's own
  joint-lending budget.

All three see the same eligibility and the same constraints, so the optimum is never below
the others; :func:`violations` recounts every constraint independently of the strategies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import csr_array

from zhudai.acquisition.acceptance import AcceptanceModel
from zhudai.acquisition.economics import expected_profit
from zhudai.acquisition.eligibility import eligible
from zhudai.acquisition.terms import JOINT_SHARE_OF_INTERNET_LOANS, Candidate, Market

#: Slack in CNY allowed when recounting a capacity (float sums of amounts).
TOLERANCE = 1e-6
#: Cost added to every push in the batch objective (CNY), so that a push that adds nothing is
#: not made.
PUSH_TIE_BREAK = 1e-9
#: Longest the batch solver may run (seconds); past it the best solution found is used.
SOLVER_SECONDS = 120.0


@dataclass(frozen=True)
class Problem:
    """One day: candidates in arrival order, the market, and each pair's expected profit
    and acceptance probability (``-inf`` profit where the bank's appetite refuses)."""

    candidates: tuple[Candidate, ...]
    market: Market
    accept: np.ndarray  # (n, f) P(bank approves)
    value: np.ndarray  # (n, f) expected profit of the push
    allowed: np.ndarray  # (n, f) bool, appetite fits
    joint: np.ndarray  # (n, f) bool, a joint loan at that bank

    @classmethod
    def build(
        cls, candidates: Sequence[Candidate], market: Market, acceptance: AcceptanceModel
    ) -> Problem:
        f = market.funders
        n = len(candidates)
        accept = np.zeros((n, len(f)))
        value = np.zeros((n, len(f)))
        allowed = np.zeros((n, len(f)), dtype=bool)
        joint = np.zeros((n, len(f)), dtype=bool)
        for i, c in enumerate(candidates):
            for j, bank in enumerate(f):
                joint[i, j] = c.product in bank.joint_products
                allowed[i, j] = eligible(bank, c) and not (joint[i, j] and bank.joint_room < 0)
                accept[i, j] = acceptance.predict(bank.code, c.pd)
                value[i, j] = expected_profit(market, bank, c, accept[i, j])
        return cls(tuple(candidates), market, accept, value, allowed, joint)

    @property
    def amounts(self) -> np.ndarray:
        return np.array([c.amount for c in self.candidates])


@dataclass
class Allocation:
    """A strategy's answer: the bank index of each candidate (-1: not pushed)."""

    strategy: str
    choice: np.ndarray
    problem: Problem = field(repr=False)

    @property
    def pushed(self) -> np.ndarray:
        return self.choice >= 0

    def _picked(self, m: np.ndarray) -> np.ndarray:
        rows = np.flatnonzero(self.pushed)
        return m[rows, self.choice[rows]]

    @property
    def expected_profit(self) -> float:
        return float(self._picked(self.problem.value).sum())

    @property
    def expected_push_rejection(self) -> float:
        """Expected share of pushed applicants the banks refuse."""
        if not self.pushed.any():
            return 0.0
        return float((1 - self._picked(self.problem.accept)).mean())

    def funder_of(self, i: int) -> str | None:
        j = int(self.choice[i])
        return self.problem.market.funders[j].code if j >= 0 else None

    def amount_by_funder(self) -> dict[str, float]:
        a = self.problem.amounts
        return {
            bank.code: float(a[self.choice == j].sum())
            for j, bank in enumerate(self.problem.market.funders)
        }


class _Ledger:
    """Running use of every capacity, for the arrival-order strategies."""

    def __init__(self, p: Problem) -> None:
        self.p = p
        self.amount = p.amounts
        self.used = np.zeros(len(p.market.funders))
        self.joint_excess = np.zeros(len(p.market.funders))  # joint - 50% of all, new loans
        self.refusal_excess = np.zeros(len(p.market.funders))  # sum of (1 - p - cap)
        self.budget_used = 0.0

    def fits(self, i: int, j: int) -> bool:
        bank, a = self.p.market.funders[j], self.amount[i]
        if self.used[j] + a > bank.capacity + TOLERANCE:
            return False
        if self.refusal_excess[j] + _refusal_weight(self.p, i, j) > TOLERANCE:
            return False
        if self.p.joint[i, j]:
            own = self.p.market.joint_share * a
            if self.budget_used + own > self.p.market.joint_budget + TOLERANCE:
                return False
            if (
                self.joint_excess[j] + _joint_weight(True) * a
                > self.p.market.funders[j].joint_room + TOLERANCE
            ):
                return False
        return True

    def take(self, i: int, j: int) -> None:
        a = self.amount[i]
        self.used[j] += a
        self.refusal_excess[j] += _refusal_weight(self.p, i, j)
        self.joint_excess[j] += _joint_weight(bool(self.p.joint[i, j])) * a
        if self.p.joint[i, j]:
            self.budget_used += self.p.market.joint_share * a


def _refusal_weight(p: Problem, i: int, j: int) -> float:
    """A push's coefficient in ``sum(1 - p_accept - cap) <= 0``: the bank's expected refusal
    rate over its pushes stays within its cap (0 for a bank without one)."""
    cap = p.market.funders[j].max_push_rejection
    return 0.0 if cap is None else 1.0 - float(p.accept[i, j]) - cap


def _joint_weight(is_joint: bool) -> float:
    """A loan's coefficient in ``joint - 50% * all <= room``."""
    return (1.0 if is_joint else 0.0) - JOINT_SHARE_OF_INTERNET_LOANS


def _in_order(
    p: Problem, strategy: str, order: Sequence[Sequence[int]] | None = None
) -> Allocation:
    """Each candidate in arrival order to the first bank of its order (cheapest first by
    default) that takes it and still has room."""
    ledger = _Ledger(p)
    choice = np.full(len(p.candidates), -1, dtype=np.int64)
    default = [int(j) for j in np.argsort([b.price for b in p.market.funders], kind="stable")]
    for i in range(len(p.candidates)):
        banks = default if order is None else order[i]
        for j in banks:
            if p.allowed[i, j] and ledger.fits(i, j):
                ledger.take(i, j)
                choice[i] = j
                break
    return Allocation(strategy, choice, p)


def greedy_allocate(p: Problem) -> Allocation:
    """Arrival order, the most valuable bank that takes it and has room; no losing push."""
    order = [
        [int(j) for j in np.argsort(-p.value[i], kind="stable") if p.value[i, j] > 0]
        for i in range(len(p.candidates))
    ]
    return _in_order(p, "greedy", order)


def cheapest_allocate(p: Problem) -> Allocation:
    """Arrival order, cheapest bank first, first that takes it and has room."""
    return _in_order(p, "cheapest")


def random_allocate(p: Problem, seed: int = 0) -> Allocation:
    """Arrival order, a random bank among those that take it and have room."""
    rng = np.random.default_rng(seed)
    f = len(p.market.funders)
    return _in_order(p, "random", [[int(j) for j in rng.permutation(f)] for _ in p.candidates])


def batch_allocate(p: Problem) -> Allocation:
    """The day's optimum: maximise expected profit subject to every constraint."""
    # every allowed pair is a variable: a push worth nothing on its own can still make room
    # under a bank's refusal cap for a more valuable one
    rows, cols = np.nonzero(p.allowed)
    k = len(rows)
    choice = np.full(len(p.candidates), -1, dtype=np.int64)
    if k == 0:
        return Allocation("batch", choice, p)
    a = p.amounts[rows]
    nf = len(p.market.funders)
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (row ids, cols, coeffs)
    ub: list[float] = []
    var = np.arange(k)
    # each applicant at most once
    blocks.append((rows, var, np.ones(k)))
    ub.extend([1.0] * len(p.candidates))
    base = len(p.candidates)
    # each bank's capacity
    blocks.append((base + cols, var, a))
    ub.extend(b.capacity for b in p.market.funders)
    base += nf
    # each bank's joint-loan cap
    is_joint = p.joint[rows, cols]
    weight = np.where(is_joint, 1.0, 0.0) - JOINT_SHARE_OF_INTERNET_LOANS
    blocks.append((base + cols, var, weight * a))
    ub.extend(b.joint_room if b.joint_products else np.inf for b in p.market.funders)
    base += nf
    # each bank's cap on expected refusals after push
    caps = np.array(
        [
            b.max_push_rejection if b.max_push_rejection is not None else np.nan
            for b in p.market.funders
        ]
    )
    capped = ~np.isnan(caps[cols])
    blocks.append(
        (base + cols[capped], var[capped], 1.0 - p.accept[rows, cols][capped] - caps[cols][capped])
    )
    ub.extend([0.0] * nf)
    base += nf
    # the facilitator's own joint budget
    jv = np.flatnonzero(is_joint)
    blocks.append((np.full(len(jv), base), jv, p.market.joint_share * a[jv]))
    ub.append(p.market.joint_budget)
    r = np.concatenate([b[0] for b in blocks])
    c = np.concatenate([b[1] for b in blocks])
    v = np.concatenate([b[2] for b in blocks])
    A = csr_array((v, (r, c)), shape=(len(ub), k))
    res = milp(
        PUSH_TIE_BREAK - p.value[rows, cols],  # of equal optima, the one with fewer pushes
        integrality=np.ones(k),
        bounds=(0, 1),
        constraints=LinearConstraint(A, -np.inf, np.array(ub)),
        options={"mip_rel_gap": 0.0, "time_limit": SOLVER_SECONDS},
    )
    if res.x is None:  # no feasible point found: push nobody rather than break a cap
        return Allocation("batch", choice, p)
    picked = np.flatnonzero(res.x > 0.5)
    choice[rows[picked]] = cols[picked]
    return Allocation("batch", choice, p)


def violations(alloc: Allocation) -> list[str]:
    """Every constraint the allocation breaks, recounted from its choices alone."""
    p, out = alloc.problem, []
    a = p.amounts
    for i in np.flatnonzero(alloc.pushed):
        j = int(alloc.choice[i])
        if not p.allowed[i, j] or not eligible(p.market.funders[j], p.candidates[i]):
            out.append(
                f"{p.candidates[i].application_id}: outside {p.market.funders[j].code}'s appetite"
            )
    joint_own = 0.0
    for j, bank in enumerate(p.market.funders):
        mine = alloc.choice == j
        if a[mine].sum() > bank.capacity + TOLERANCE:
            out.append(f"{bank.code}: {a[mine].sum():.2f} over capacity {bank.capacity:.2f}")
        js = mine & p.joint[:, j]
        new_joint, new_all = a[js].sum(), a[mine].sum()
        total_joint = bank.joint_outstanding + new_joint
        if (
            new_joint > 0
            and total_joint
            > JOINT_SHARE_OF_INTERNET_LOANS * (bank.internet_loans + new_all) + TOLERANCE
        ):
            out.append(f"{bank.code}: joint loans above half of internet loans")
        joint_own += p.market.joint_share * new_joint
        if bank.max_push_rejection is not None and mine.any():
            refused = float((1 - p.accept[mine, j]).mean())
            if refused > bank.max_push_rejection + TOLERANCE:
                out.append(
                    f"{bank.code}: expected refusals {refused:.4f} over {bank.max_push_rejection}"
                )
    if joint_own > p.market.joint_budget + TOLERANCE:
        out.append(f"joint budget: {joint_own:.2f} over {p.market.joint_budget:.2f}")
    return out
