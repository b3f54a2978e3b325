"""Credit labels from the loan book's own history (not from a data provider's files).

A booked loan is **bad** when any of its first ``HORIZON`` installments reached ``BAD_DPD`` or
more days past due ("ever 30+ at MOB6"): a settled installment reached the days between its
due date and the value date that settled it, an unsettled one its DPD on the book's last
projection. Loans too young for that to be observable (their sixth installment, or last if
shorter, fell due less than ``BAD_DPD`` days before the observation day) are left out unless
already bad.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from sqlalchemy import select

from zhudai.store.db import get_engine
from zhudai.store.models import Installment, Loan

BAD_DPD = 30
HORIZON = 6


def book_labels(observation: date, url: str | None = None) -> pl.DataFrame:
    """``application_id`` (the store's) and ``bad`` (Int8, 1 = bad) per judged loan."""
    query = (
        select(
            Loan.application_id,
            Installment.loan_id,
            Installment.installment_no,
            Installment.due_date,
            Installment.paid_date,
            Installment.dpd,
        )
        .join(Loan, Loan.id == Installment.loan_id)
        .where(Loan.as_of.is_not(None), Installment.installment_no <= HORIZON)
    )
    with get_engine(url).connect() as conn:
        rows = conn.execute(query).all()
    schema = {
        "application_id": pl.Int64,
        "loan_id": pl.Int64,
        "installment_no": pl.Int64,
        "due_date": pl.Date,
        "paid_date": pl.Date,
        "dpd": pl.Int64,
    }
    lines = pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
    reached = (
        pl.when(pl.col("paid_date").is_not_null())
        .then((pl.col("paid_date") - pl.col("due_date")).dt.total_days())
        .otherwise(pl.col("dpd"))
    )
    per_loan = lines.group_by("application_id").agg(
        bad=(reached >= BAD_DPD).any().cast(pl.Int8), last_due=pl.col("due_date").max()
    )
    cutoff = observation - timedelta(days=BAD_DPD)
    return (
        per_loan.filter((pl.col("last_due") <= cutoff) | (pl.col("bad") == 1))
        .select("application_id", "bad")
        .sort("application_id")
    )
