"""Loans after booking: schedules, monthly repayment behaviour, repayments and collections.

Whether a loan turns bad (ever 30+ days past due in its first six installments) is drawn from
its ``true_pd``; a bad loan's serious episode starts at one of those installments (fraud at
the first: first-payment default). Good loans may still default later (a vintage tail) and
miss single installments now and then, more around the Spring Festival (seasonal effect).
Every miss is worked by :mod:`zhudai.world.collection`, whose outcome sets the payment date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhudai.times import US_PER_DAY, US_PER_HOUR, US_PER_MINUTE
from zhudai.world.applications import Applications
from zhudai.world.catalog import FUNDERS, PRODUCTS
from zhudai.world.collection import Episodes, Worked, work_episodes
from zhudai.world.population import Population, Role

REPAYMENT_METHODS = ("equal_installment", "equal_principal", "interest_first")
_SEASON = np.zeros(13)
_SEASON[[1, 2, 10]] = [0.3, 0.7, 0.2]  # January, February (Spring Festival), October holiday


@dataclass
class Book:
    """Loans, installments and collection results as column arrays."""

    loan_app: np.ndarray  # application row of each loan
    funder: np.ndarray
    booked_at: np.ndarray
    principal: np.ndarray
    apr: np.ndarray
    term: np.ndarray
    method: np.ndarray
    inst_loan: np.ndarray
    inst_no: np.ndarray
    due_day: np.ndarray
    principal_due: np.ndarray
    interest_due: np.ndarray
    paid_day: np.ndarray  # -1 when unpaid at observation
    paid_amount: np.ndarray
    dpd: np.ndarray
    episodes: Episodes
    worked: Worked
    episode_paid_amount: np.ndarray


def book_loans(rng: np.random.Generator, pop: Population, apps: Applications, obs_us: int) -> Book:
    """Book the first approved application of each customer and simulate it to ``obs_us``."""
    approved = np.flatnonzero(apps.approved)
    _, first = np.unique(apps.cust[approved], return_index=True)
    loan_app = np.sort(approved[first])
    n_loans = len(loan_app)
    product = apps.product[loan_app]
    score = apps.score[loan_app]
    base_apr = np.array([p[5] for p in PRODUCTS])[product]
    apr = np.clip(
        np.round(base_apr + 0.0006 * (700 - score) + rng.normal(0, 0.01, n_loans), 4), 0.06, 0.24
    )
    funder = _funders(rng, score, apr)
    apr = np.minimum(apr, np.array([f[2] for f in FUNDERS])[funder])
    method_of_product = np.array([REPAYMENT_METHODS.index(p[7]) for p in PRODUCTS])
    method = method_of_product[product]
    method = np.where((method == 0) & (rng.random(n_loans) < 0.15), 1, method)
    booked_at = apps.applied_at[loan_app] + (rng.uniform(0.1, 48.0, n_loans) * US_PER_HOUR).astype(
        np.int64
    )
    principal = apps.amount[loan_app]
    term = apps.term[loan_app]

    inst_loan = np.repeat(np.arange(n_loans), term)
    inst_no = np.arange(len(inst_loan)) - np.repeat(np.r_[0, np.cumsum(term)[:-1]], term) + 1
    due_day = _due_days(booked_at[inst_loan], inst_no)
    principal_due, interest_due = _schedule(
        principal[inst_loan], apr[inst_loan], term[inst_loan], inst_no, method[inst_loan]
    )

    cust = apps.cust[loan_app]
    role = pop.role[cust]
    bad = rng.random(n_loans) < apps.true_pd[loan_app]
    horizon = np.minimum(term, 6)
    serious_at = np.where(
        role != Role.LEGIT,
        np.where(rng.random(n_loans) < 0.85, 1, 2),
        1 + (rng.random(n_loans) ** 1.3 * horizon).astype(np.int64),
    )
    serious_at = np.where(bad, np.minimum(serious_at, horizon), 0)
    late = 7 + rng.geometric(np.clip(0.5 * apps.true_pd[loan_app] / 6.0, 1e-4, 1.0)) - 1
    serious_at = np.where(~bad & (late <= term), late, serious_at)

    season = _SEASON[
        (due_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12) + 1
    ]
    c = cust[inst_loan]
    miss_logit = (
        -3.1
        + 0.5 * pop.impulsivity[c]
        - 1.2 * (pop.stability[c] - 0.5)
        + 0.3 * pop.over[c]
        + season
    )
    s_at = serious_at[inst_loan]
    minor = (rng.random(len(c)) < 1 / (1 + np.exp(-miss_logit))) & ((s_at == 0) | (inst_no < s_at))
    serious_row = (s_at > 0) & (inst_no == s_at)
    obs_day = obs_us // US_PER_DAY
    ep_rows = np.flatnonzero((minor | serious_row) & (due_day < obs_day))
    ep_loan = inst_loan[ep_rows]
    reach, ability = debtor_response(role[ep_loan] == Role.LEGIT, pop.stability[cust[ep_loan]])
    episodes = Episodes(
        loan=ep_loan,
        due_day=due_day[ep_rows],
        serious=serious_row[ep_rows],
        reach=reach,
        ability=ability,
    )
    worked = work_episodes(rng, episodes, obs_us)

    paid_day = due_day - rng.integers(0, 4, len(due_day))  # on time, a few days early
    paid_day[ep_rows] = np.where(worked.cure_dpd >= 0, due_day[ep_rows] + worked.cure_dpd, -1)
    # From a serious installment on, nothing is paid until the episode is cured; then everything
    # due by the cure date is paid together and later installments are paid on time.
    serious_ep = np.flatnonzero(episodes.serious)
    cure_day = np.full(n_loans, -1, np.int64)
    cure_day[episodes.loan[serious_ep]] = np.where(
        worked.cure_dpd[serious_ep] >= 0,
        episodes.due_day[serious_ep] + worked.cure_dpd[serious_ep],
        np.iinfo(np.int64).max,
    )
    after = (s_at > 0) & (inst_no > s_at)
    cd = cure_day[inst_loan]
    held = after & (cd >= 0) & (due_day <= cd)
    paid_day = np.where(held, np.where(cd == np.iinfo(np.int64).max, -1, cd), paid_day)
    paid_day = np.where(paid_day >= obs_day, -1, paid_day)
    paid_day = np.where(due_day >= obs_day, -1, paid_day)
    unpaid = paid_day < 0
    dpd = np.where(unpaid, np.maximum(obs_day - due_day, 0), np.maximum(paid_day - due_day, 0))
    owed = principal_due + interest_due
    paid_amount = np.where(unpaid, 0.0, np.round(owed * (1 + 0.0005 * dpd), 2))

    episode_paid = _episode_paid(inst_loan, paid_day, paid_amount, episodes, worked)
    return Book(
        loan_app=loan_app,
        funder=funder,
        booked_at=booked_at,
        principal=principal,
        apr=apr,
        term=term,
        method=method,
        inst_loan=inst_loan,
        inst_no=inst_no,
        due_day=due_day,
        principal_due=principal_due,
        interest_due=interest_due,
        paid_day=paid_day,
        paid_amount=paid_amount,
        dpd=dpd,
        episodes=episodes,
        worked=worked,
        episode_paid_amount=episode_paid,
    )


def debtor_response(legit: np.ndarray, stability: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How reachable a debtor is (multiplies the contact probability) and how able to pay once
    30+ days past due: fraudsters are hard to reach and almost never pay."""
    reach = np.where(legit, 1.0, 0.35)
    ability = np.where(legit, np.clip(0.9 * stability + 0.2, 0.1, 1.0), 0.05)
    return reach, ability


def _funders(rng: np.random.Generator, score: np.ndarray, apr: np.ndarray) -> np.ndarray:
    """A funder whose minimum score and maximum APR admit the loan (the laxest if none does)."""
    min_score = np.array([f[1] for f in FUNDERS])
    max_apr = np.array([f[2] for f in FUNDERS])
    ok = (score[:, None] >= min_score[None, :]) & (apr[:, None] <= max_apr[None, :] + 1e-9)
    ok[~ok.any(axis=1), int(np.argmin(min_score))] = True
    u = rng.random((len(score), len(FUNDERS))) * ok
    return np.argmax(u, axis=1)


def _due_days(booked_at: np.ndarray, inst_no: np.ndarray) -> np.ndarray:
    """Day number of each due date: the booking day of month (at most 28), ``inst_no`` months on."""
    day = booked_at // US_PER_DAY
    month = day.astype("datetime64[D]").astype("datetime64[M]")
    dom = np.minimum((day.astype("datetime64[D]") - month).astype(np.int64), 27)
    due_month = month + inst_no.astype("timedelta64[M]")
    return due_month.astype("datetime64[D]").astype(np.int64) + dom


def _schedule(
    p: np.ndarray, apr: np.ndarray, n: np.ndarray, k: np.ndarray, method: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Principal and interest due at installment ``k`` of ``n`` for each repayment method."""
    r = apr / 12.0
    growth = (1 + r) ** (k - 1)
    pay = p * r / (1 - (1 + r) ** -n)
    balance = p * growth - pay * (growth - 1) / r
    annuity_interest = balance * r
    annuity = (pay - annuity_interest, annuity_interest)
    linear = (p / n, (p - (k - 1) * p / n) * r)
    bullet = (np.where(k == n, p, 0.0), p * r)
    principal = np.select([method == 0, method == 1], [annuity[0], linear[0]], bullet[0])
    interest = np.select([method == 0, method == 1], [annuity[1], linear[1]], bullet[1])
    return np.round(principal, 2), np.round(interest, 2)


def _episode_paid(
    inst_loan: np.ndarray,
    paid_day: np.ndarray,
    paid_amount: np.ndarray,
    episodes: Episodes,
    worked: Worked,
) -> np.ndarray:
    """Amount paid on each episode's cure day (all of the loan's installments paid that day)."""
    cure_day = np.where(worked.cure_dpd >= 0, episodes.due_day + worked.cure_dpd, -1)
    paid = paid_day >= 0
    key_paid = inst_loan[paid] * 1_000_000 + paid_day[paid]
    keys, inv = np.unique(key_paid, return_inverse=True)
    sums = np.bincount(inv, weights=paid_amount[paid])
    key_ep = episodes.loan * 1_000_000 + cure_day
    pos = np.clip(np.searchsorted(keys, key_ep), 0, max(len(keys) - 1, 0))
    found = (
        (cure_day >= 0) & (len(keys) > 0) & (keys[pos] == key_ep)
        if len(keys)
        else np.zeros(len(key_ep), bool)
    )
    return np.where(found, sums[pos] if len(keys) else 0.0, 0.0)


def repayment_rows(
    rng: np.random.Generator, book: Book
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repayments: one per loan and paying day, summing the installments paid that day."""
    paid = book.paid_day >= 0
    key = book.inst_loan[paid] * 1_000_000 + book.paid_day[paid]
    keys, inv = np.unique(key, return_inverse=True)
    amount = np.round(np.bincount(inv, weights=book.paid_amount[paid]), 2)
    loan = keys // 1_000_000
    day = keys % 1_000_000
    paid_at = day * US_PER_DAY + (rng.uniform(7, 23.5, len(keys)) * US_PER_HOUR).astype(np.int64)
    paid_at -= paid_at % US_PER_MINUTE
    return loan, paid_at, amount
