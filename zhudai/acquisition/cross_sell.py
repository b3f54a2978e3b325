"""The scenario path from an air-ticket installment to cash installment: who to offer.

An air-ticket purchase verifies the identity (fraud is low there); a customer who then repays
that installment well is the cheapest cash-installment customer to acquire. The offer list is
every customer whose air-ticket loan has been on the book ``MIN_MONTHS_ON_BOOK`` months,
judged good by the book (never 30+ in its first six installments), who has no cash loan yet.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from sqlalchemy import select

from zhudai.loans.labels import book_labels
from zhudai.store.db import get_engine
from zhudai.store.models import Loan

SCENARIO_PRODUCT = "air_ticket_installment"
OFFERED_PRODUCT = "cash_installment"
#: Months an air-ticket loan must have been on book before its customer is offered cash.
MIN_MONTHS_ON_BOOK = 6


def cash_offer_list(as_of: date, url: str | None = None) -> pl.DataFrame:
    """``customer_id, application_id, booked_on`` of the customers to offer cash to on
    ``as_of`` (one row per customer, their earliest qualifying air-ticket loan)."""
    cutoff = as_of - timedelta(days=round(MIN_MONTHS_ON_BOOK * 30.4))
    q = select(Loan.customer_id, Loan.application_id, Loan.product_code, Loan.booked_at)
    with get_engine(url).connect() as conn:
        rows = [(c, a, p, b.date()) for c, a, p, b in conn.execute(q)]
    loans = pl.DataFrame(
        rows,
        schema={
            "customer_id": pl.Int64,
            "application_id": pl.Int64,
            "product": pl.Utf8,
            "booked_on": pl.Date,
        },
        orient="row",
    )
    has_cash = loans.filter(pl.col("product") == OFFERED_PRODUCT)["customer_id"].unique()
    good = book_labels(as_of, url).filter(pl.col("bad") == 0).select("application_id")
    return (
        loans.filter(
            (pl.col("product") == SCENARIO_PRODUCT)
            & (pl.col("booked_on") <= cutoff)
            & ~pl.col("customer_id").is_in(has_cash.implode())
        )
        .join(good, on="application_id")
        .sort("customer_id", "booked_on")
        .unique("customer_id", keep="first", maintain_order=True)
        .select("customer_id", "application_id", "booked_on")
    )
