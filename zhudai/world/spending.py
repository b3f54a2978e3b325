"""Weak financial data: e-commerce orders and card transactions before the first application.

No single field carries the risk. Traits shift several patterns a little each:
impulsivity -> night-time (0-6h) activity, virtual goods, luxury beyond one's income, bursts of
top-ups; over-indebtedness -> cash withdrawals, installment checkouts, bursts of small card
payments, cheap price bands; stability -> weekend rather than weekday shopping, household
categories; income level -> price bands and frequency.

Customers are processed in fixed-size blocks (:data:`BLOCK`), each with its own random stream,
so memory stays bounded and output does not depend on how many blocks there are.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhudai.times import US_PER_DAY, US_PER_HOUR, US_PER_MINUTE
from zhudai.world.catalog import MCC_CATEGORIES, ORDER_CATEGORIES
from zhudai.world.population import Population, Role
from zhudai.world.sampling import categorical, sort_order
from zhudai.world.timeutil import as_datetime
from zhudai.world.writer import label_column

BLOCK = 50_000
CARD_CHANNELS = ("pos", "online", "atm")
_DAYS_PER_MONTH = 30.44
_ORDER_NAMES = np.array([c[0] for c in ORDER_CATEGORIES])
_ORDER_MEDIAN = np.array([c[1] for c in ORDER_CATEGORIES])
_ORDER_IMP = np.array([c[2] for c in ORDER_CATEGORIES])
_ORDER_STAB = np.array([c[3] for c in ORDER_CATEGORIES])
_MCC_NAMES = np.array([c[0] for c in MCC_CATEGORIES])
_MCC_MEDIAN = np.array([c[1] for c in MCC_CATEGORIES])
_MCC_OVER = np.array([c[2] for c in MCC_CATEGORIES])
_MCC_IMP = np.array([c[3] for c in MCC_CATEGORIES])
_VIRTUAL = np.flatnonzero(np.isin(_ORDER_NAMES, ["game_topup", "virtual_goods"]))
_SMALL_MCC = np.flatnonzero(np.isin(_MCC_NAMES, ["online_shopping", "gaming", "transport"]))
_CASH = int(np.flatnonzero(_MCC_NAMES == "cash")[0])
_ONLINE_MCC = np.isin(_MCC_NAMES, ["online_shopping", "gaming"])


class Traits:
    """The traits of one block of customers, as the spending model reads them.

    Besides the latent risk traits each person has their own tastes (category preferences,
    night-owl habits, burstiness) that have nothing to do with risk, drawn from ``rng``; they
    keep any single spending field a weak signal.
    """

    def __init__(
        self, pop: Population, idx: np.ndarray, months: int, rng: np.random.Generator
    ) -> None:
        self.idx = idx
        # days of history before the application: one number, or one per customer of the
        # block when some built theirs up shortly before applying (zhudai.world.hidden)
        self.days: float | np.ndarray = months * _DAYS_PER_MONTH
        self.years = months / 12.0
        self.applied_at = pop.applied_at[idx]
        self.income_z = pop.income_z[idx]
        self.stability = pop.stability[idx]
        self.over = pop.over[idx]
        self.imp = pop.impulsivity[idx]
        self.fraud = (pop.role[idx] != Role.LEGIT).astype(float)
        self.activity = np.where(pop.role[idx] == Role.PROBING, 0.3, 1.0)  # bought IDs: thin files
        k = len(idx)
        night_owl = rng.normal(0.0, 0.6, k)
        self.p_night = 1.0 / (
            1.0
            + np.exp(-(-2.6 + 0.45 * self.imp + 0.25 * self.over + 0.8 * self.fraud + night_owl))
        )
        self.p_weekend = np.clip(
            0.45 * self.stability - 0.08 * self.imp + rng.normal(0.0, 0.12, k), 0.0, 0.9
        )
        self.order_taste = rng.normal(0.0, 0.7, (k, len(_ORDER_NAMES)))
        self.mcc_taste = rng.normal(0.0, 0.7, (k, len(_MCC_NAMES)))
        self.burstiness = np.exp(rng.normal(0.0, 0.5, k))


def _times(rng: np.random.Generator, t: Traits, who: np.ndarray) -> np.ndarray:
    """Timestamps before each person's application: weekend preference and night share."""
    m = len(who)
    days = t.days[who] if isinstance(t.days, np.ndarray) else t.days
    day = t.applied_at[who] // US_PER_DAY - 1 - (rng.random(m) * days).astype(np.int64)
    wd = (day + 3) % 7
    to_weekend = rng.random(m) < t.p_weekend[who]
    weekend_day = day - (wd - 5) % 7 + rng.integers(0, 2, m)
    weekend_day = np.where(
        weekend_day >= t.applied_at[who] // US_PER_DAY, weekend_day - 7, weekend_day
    )
    day = np.where(to_weekend, weekend_day, day)
    night = rng.random(m) < t.p_night[who]
    hour = np.where(night, rng.uniform(0, 6, m), np.clip(rng.normal(15.0, 3.8, m), 7, 23.99))
    ts = day * US_PER_DAY + (hour * US_PER_HOUR).astype(np.int64)
    return ts - ts % 1_000_000


def _bursts(
    rng: np.random.Generator, t: Traits, rate: np.ndarray, mean_size: float, gap_minutes: float
) -> tuple[np.ndarray, np.ndarray]:
    """Bursts: several events minutes apart. Returns (person within block, timestamp)."""
    n_bursts = rng.poisson(rate * t.burstiness * t.years)
    who = np.repeat(np.arange(len(rate)), n_bursts)
    centre = _times(rng, t, who)
    size = 3 + rng.poisson(mean_size - 3, len(who))
    member = np.repeat(np.arange(len(who)), size)
    gaps = (rng.exponential(gap_minutes, len(member)) * US_PER_MINUTE).astype(np.int64)
    cum = np.cumsum(gaps)
    starts = np.cumsum(size) - size
    offset = cum - np.repeat(cum[starts] - gaps[starts], size)
    ts = np.minimum(centre[member] + offset, t.applied_at[who][member] - US_PER_MINUTE)
    return who[member], ts - ts % 1_000_000


def _burst_events(
    rng: np.random.Generator,
    t: Traits,
    rate: np.ndarray,
    mean_size: float,
    gap_minutes: float,
    kinds: np.ndarray,
    median_amount: float,
    amount_sigma: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bursts of small purchases: (person, timestamp, category code, amount) per event."""
    who, ts = _bursts(rng, t, rate, mean_size, gap_minutes)
    kind = rng.choice(kinds, len(who))
    amount = np.exp(rng.normal(np.log(median_amount), amount_sigma, len(who)))
    return who, ts, kind, amount


def _appended(
    columns: tuple[np.ndarray, ...], extra: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, ...]:
    """Each column with the matching extra column appended."""
    return tuple(np.concatenate([a, b]) for a, b in zip(columns, extra, strict=True))


def orders_block(
    rng: np.random.Generator, t: Traits, params_rate: float, first_id: int
) -> pl.DataFrame:
    """E-commerce orders of one block of customers, ids from ``first_id``."""
    k = len(t.idx)
    lam = params_rate * t.years * t.activity * np.exp(0.3 * t.imp + 0.2 * t.income_z - 0.1)
    who = np.repeat(np.arange(k), rng.poisson(lam))
    ts = _times(rng, t, who)
    logits = (
        _ORDER_IMP[None, :] * t.imp[:, None] * 0.8
        + _ORDER_STAB[None, :] * (t.stability[:, None] - 0.5) * 3.0
        + t.order_taste
    )
    cat = categorical(rng, np.exp(logits), who)  # one weight row per person
    amount = _ORDER_MEDIAN[cat] * np.exp(
        0.45 * t.income_z[who]
        - 0.2 * t.over[who]
        + 0.15 * t.imp[who] * (cat == 7)
        + rng.normal(0, 0.6, len(who))
    )
    bursts = _burst_events(
        rng, t, 1.5 * np.exp(0.6 * t.imp + 0.25 * t.over - 0.4) * t.activity, 5.0, 4.0,
        _VIRTUAL, 12.0, 0.5,
    )  # fmt: skip
    who, ts, cat, amount = _appended((who, ts, cat, amount), bursts)
    amount = amount.round(2)
    m = len(who)
    n_items = 1 + rng.poisson(np.where(cat == 0, 1.5, 0.4))
    inst_p = 1.0 / (
        1.0 + np.exp(-(-2.6 + 0.55 * t.over[who] + 0.2 * t.imp[who] + 0.8 * (amount > 1000)))
    )
    is_inst = rng.random(m) < inst_p
    order = sort_order(who, ts // 1_000_000)
    return pl.DataFrame(
        {
            "order_id": np.arange(first_id, first_id + m, dtype=np.int64),
            "customer_id": (t.idx[who] + 1)[order].astype(np.int64),
            "ts": as_datetime(ts[order]),
            "category": label_column(_ORDER_NAMES, cat[order]),
            "amount": amount[order],
            "n_items": n_items[order].astype(np.int64),
            "is_installment": is_inst[order],
        }
    )


def card_txns_block(
    rng: np.random.Generator, t: Traits, params_rate: float, first_id: int
) -> pl.DataFrame:
    """Card transactions of one block of customers, ids from ``first_id``."""
    k = len(t.idx)
    lam = params_rate * t.years * t.activity * np.exp(0.25 * t.income_z + 0.1 * t.imp)
    who = np.repeat(np.arange(k), rng.poisson(lam))
    ts = _times(rng, t, who)
    logits = _MCC_OVER[None, :] * t.over[:, None] + _MCC_IMP[None, :] * t.imp[:, None] + t.mcc_taste
    logits[:, _CASH] -= 1.0
    mcc = categorical(rng, np.exp(logits), who)
    amount = _MCC_MEDIAN[mcc] * np.exp(0.4 * t.income_z[who] + rng.normal(0, 0.55, len(who)))
    bursts = _burst_events(
        rng, t, 2.0 * np.exp(0.65 * t.over + 0.2 * t.imp - 0.6) * t.activity, 6.0, 8.0,
        _SMALL_MCC, 15.0, 0.6,
    )  # fmt: skip
    who, ts, mcc, amount = _appended((who, ts, mcc, amount), bursts)
    amount = amount.round(2)
    m = len(who)
    is_cash = mcc == _CASH
    u = rng.random(m)
    channel = np.where(
        is_cash, np.where(u < 0.85, 2, 0), np.where(_ONLINE_MCC[mcc] | (u < 0.1), 1, 0)
    )
    order = sort_order(who, ts // 1_000_000)
    return pl.DataFrame(
        {
            "txn_id": np.arange(first_id, first_id + m, dtype=np.int64),
            "customer_id": (t.idx[who] + 1)[order].astype(np.int64),
            "ts": as_datetime(ts[order]),
            "mcc_category": label_column(_MCC_NAMES, mcc[order]),
            "amount": amount[order],
            "channel": label_column(CARD_CHANNELS, channel[order]),
            "is_cash_withdrawal": is_cash[order],
        }
    )
