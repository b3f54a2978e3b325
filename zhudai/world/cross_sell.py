"""How the world's people answer a cash-installment offer: the scenario path from an
air-ticket installment (identity verified by the ticket purchase) to cash credit usable
anywhere.

Who takes the offer is driven by the same latent traits as the rest of the world: the
impulsive and the over-indebted say yes more, the well-off less (they need it less), so the
take-up pulls risk towards the worse end of a good population. The loan they would take is
priced by the world's own risk model (:func:`zhudai.world.risk.true_pd`) as a cash
installment through their original channel, booked when the offer is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from zhudai.world.catalog import PRODUCT_CODES
from zhudai.world.generator import population_of
from zhudai.world.params import WorldParams
from zhudai.world.population import Population
from zhudai.world.risk import true_pd

#: Take-up log-odds: intercept and the weights of impulsivity, over-indebtedness, income.
TAKE_UP = (-1.0, 0.9, 0.7, -0.4)
#: The cash amount asked for, in months of income, and its bounds (CNY).
AMOUNT_MONTHS, MIN_AMOUNT, MAX_AMOUNT = 2.0, 1000.0, 50000.0
OFFER_TERM = 12
_CASH = PRODUCT_CODES.index("cash_installment")


@dataclass
class CashOfferResponses:
    """The answers of a generated world's people to cash-installment offers."""

    pop: Population
    params: WorldParams
    seed: int

    @classmethod
    def of_world(cls, world_dir: str | Path) -> CashOfferResponses:
        return cls(*population_of(world_dir))

    def respond(self, customer_ids: list[int], offered_on: list[date]) -> pl.DataFrame:
        """``customer_id, took_up, amount, term_months, true_pd, bad`` for each offer (the
        same customer and day always answer the same)."""
        cust = np.asarray(customer_ids, dtype=np.int64) - 1
        pop = self.pop
        a, w_imp, w_over, w_inc = TAKE_UP
        z = a + w_imp * pop.impulsivity[cust] + w_over * pop.over[cust] + w_inc * pop.income_z[cust]
        days = np.array(offered_on, dtype="datetime64[D]")
        rng = np.random.default_rng([self.seed, 4242])
        draws = rng.random((len(cust), 2))
        took = draws[:, 0] < 1.0 / (1.0 + np.exp(-z))
        amount = np.clip(np.round(AMOUNT_MONTHS * pop.income[cust], -2), MIN_AMOUNT, MAX_AMOUNT)
        month = days.astype("datetime64[M]").astype(np.int64) - np.datetime64(
            self.params.start, "M"
        ).astype(np.int64)
        pd_ = true_pd(
            pop,
            cust,
            pop.channel[cust],
            np.full(len(cust), _CASH),
            amount,
            np.full(len(cust), OFFER_TERM),
            month,
            self.params.default_rate_scale,
        )
        return pl.DataFrame(
            {
                "customer_id": cust + 1,
                "took_up": took,
                "amount": amount,
                "term_months": np.full(len(cust), OFFER_TERM),
                "true_pd": pd_,
                "bad": took & (draws[:, 1] < pd_),
            }
        )
