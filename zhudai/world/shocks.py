"""Drift planted in the world: a macro-shock month and a channel-mix shift (both off by default).

A **macro shock** hits legitimate customers of exposed occupations whose first application
falls in the chosen month: their income drops (so declared income and the historical score
follow), their spending in that month drops, some who would have applied later apply in the
month instead (stress brings demand forward) and the odds of their loans turning bad rise.
A **channel shift** moves, from a date on, a share of legitimate first applications to one
channel (a marketing campaign), and product mix, risk and retries follow the new channel.

Each draws from its own random stream, so with both off no other stream moves and the world is
byte-identical to one generated without this module.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from zhudai.times import US_PER_DAY, day_micros
from zhudai.world.population import Population, Role
from zhudai.world.shock_params import CHANNEL_KINDS, OCCUPATION_NAMES, ChannelShift, MacroShock
from zhudai.world.timeutil import add_months_us


def month_bounds(start: date, month: int) -> tuple[int, int]:
    """[start, end) in microseconds of month ``month`` (1-based) of a window starting ``start``."""
    return add_months_us(start, month - 1), add_months_us(start, month)


def exposed(pop: Population, shock: MacroShock) -> np.ndarray:
    """Legitimate customers of the shock's occupations."""
    codes = [OCCUPATION_NAMES.index(o) for o in shock.occupations]
    return (pop.role == Role.LEGIT) & np.isin(pop.occupation, codes)


def shock_population(
    rng: np.random.Generator,
    pop: Population,
    window_start: date,
    shock: MacroShock | None,
    shift: ChannelShift | None,
) -> None:
    """Move first applications and channels, and cut incomes, in place (nothing when both off).

    The shock moves applications first, so the channel shift sees every first application at
    its final time.
    """
    if shock is not None:
        _stress(rng, pop, window_start, shock)
    if shift is not None:
        moved = (
            (pop.role == Role.LEGIT)
            & (pop.applied_at >= day_micros(shift.start))
            & (rng.random(pop.n) < shift.share)
        )
        pop.channel[moved] = CHANNEL_KINDS.index(shift.channel)


def _stress(
    rng: np.random.Generator, pop: Population, window_start: date, shock: MacroShock
) -> None:
    """Bring exposed later applicants into the shock month and cut the month's incomes."""
    lo, hi = month_bounds(window_start, shock.month)
    hit = exposed(pop, shock)
    later = hit & (pop.applied_at >= hi) & (rng.random(pop.n) < shock.pulled_forward)
    day = rng.integers(0, (hi - lo) // US_PER_DAY, pop.n)
    pop.applied_at[later] = lo + day[later] * US_PER_DAY + pop.applied_at[later] % US_PER_DAY
    in_month = hit & (pop.applied_at >= lo) & (pop.applied_at < hi)
    keep = 1.0 - shock.income_drop
    pop.income[in_month] = np.round(pop.income[in_month] * keep, -1)
    pop.income_declared[in_month] = np.round(pop.income_declared[in_month] * keep, -2)


def shocked_pd(
    true_pd: np.ndarray,
    cust: np.ndarray,
    applied_at: np.ndarray,
    pop: Population,
    window_start: date,
    shock: MacroShock | None,
) -> np.ndarray:
    """``true_pd`` with the odds of shocked applications multiplied by ``bad_odds``."""
    if shock is None:
        return true_pd
    lo, hi = month_bounds(window_start, shock.month)
    hit = exposed(pop, shock)[cust] & (applied_at >= lo) & (applied_at < hi)
    odds = true_pd / (1.0 - true_pd) * np.where(hit, shock.bad_odds, 1.0)
    return odds / (1.0 + odds)


def damp_spending(
    block: pl.DataFrame, pop: Population, window_start: date, shock: MacroShock | None
) -> pl.DataFrame:
    """Orders or card transactions with exposed customers' amounts cut in the shock month."""
    if shock is None or block.height == 0:
        return block
    lo, hi = month_bounds(window_start, shock.month)
    ids = pl.Series(np.flatnonzero(exposed(pop, shock)) + 1, dtype=pl.Int64)
    ts = pl.col("ts").dt.epoch("us")
    cut = pl.col("customer_id").is_in(ids.implode()) & (ts >= lo) & (ts < hi)
    return block.with_columns(
        pl.when(cut)
        .then((pl.col("amount") * (1.0 - shock.spending_drop)).round(2))
        .otherwise(pl.col("amount"))
        .alias("amount")
    )
