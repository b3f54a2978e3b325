"""The true probability that a loan turns bad (ever 30+ days past due within 6 months).

Legitimate borrowers' log-odds are a sum of causal terms; fraud roles have a high fixed
probability. The same function gives ``truth/applications.true_pd`` and drives repayment, so
the label's rate matches ``true_pd`` by construction.
"""

from __future__ import annotations

import numpy as np

from zhudai.world.catalog import CHANNELS, PRODUCTS
from zhudai.world.population import Population, Role

_INTERCEPT = -3.1
_FRAUD_PD = np.array([0.0, 0.78, 0.72, 0.88])  # by Role
_CHANNEL_SHIFT = np.array([c[3] for c in CHANNELS])
_PRODUCT_SHIFT = np.array([p[6] for p in PRODUCTS])


def vintage_shift(month_offset: np.ndarray) -> np.ndarray:
    """Log-odds shift of the month a loan was booked (months since the window start).

    A seasonal wave plus one weak vintage (month 5), so vintage curves differ visibly.
    """
    return 0.25 * np.sin(2 * np.pi * (month_offset + 2) / 12) + 0.35 * (month_offset % 12 == 5)


def true_pd(
    pop: Population,
    cust: np.ndarray,
    channel: np.ndarray,
    product: np.ndarray,
    amount: np.ndarray,
    term: np.ndarray,
    month_offset: np.ndarray,
    scale: float,
) -> np.ndarray:
    """Probability that the loan of each application would be bad if booked."""
    log_odds = (
        _INTERCEPT
        + 0.95 * pop.over[cust]
        + 0.55 * pop.impulsivity[cust]
        - 0.45 * pop.income_z[cust]
        - 2.2 * (pop.stability[cust] - 0.5)
        + 0.02 * np.clip(28 - pop.age[cust], 0, None)
        + 4.0 * pop.fraud_intent[cust]
        + _CHANNEL_SHIFT[channel]
        + _PRODUCT_SHIFT[product]
        + 0.2 * np.log(term / 6.0)
        + 0.25 * np.log(np.maximum(amount, 1.0) / (3.0 * pop.income[cust]))
        + vintage_shift(month_offset)
    )
    legit = 1.0 / (1.0 + np.exp(-log_odds))
    role = pop.role[cust]
    fraud = _FRAUD_PD[role]
    p = np.where(role == Role.LEGIT, legit, fraud)
    odds = p / (1.0 - p) * scale
    return odds / (1.0 + odds)
