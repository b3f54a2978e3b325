"""The credit label, derived from observable repayment data only.

A booked loan is **bad** when any of its first six installments reached 30 or more days past
due ("ever 30+ at MOB6"). Loans too young for that to be observable are left out.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from zhudai.exceptions import NotFoundError

BAD_DPD = 30
HORIZON = 6


def credit_labels(world_dir: str | Path, observation: date | None = None) -> pl.DataFrame:
    """``application_id, bad`` (Int8, 1 = bad) for every booked loan old enough to judge.

    A loan is old enough when its sixth installment (or its last, if shorter) fell due at
    least ``BAD_DPD`` days before the observation date: the last due date in the data unless
    ``observation`` is given.
    """
    d = Path(world_dir)
    for table in ("loans", "installments"):
        if not (d / f"{table}.parquet").exists():
            raise NotFoundError("world_dir", f"{d} (no {table}.parquet)")
    loans = pl.read_parquet(d / "loans.parquet", columns=["loan_id", "application_id"])
    inst = pl.read_parquet(
        d / "installments.parquet",
        columns=["loan_id", "installment_no", "due_date", "paid_date", "dpd"],
    )
    if observation is None:
        observation = inst.select(
            pl.max_horizontal(
                pl.col("paid_date").max(), pl.col("due_date").filter(pl.col("dpd") > 0).max()
            )
        ).item()
    first = inst.filter(pl.col("installment_no") <= HORIZON)
    per_loan = first.group_by("loan_id").agg(
        bad=(pl.col("dpd") >= BAD_DPD).any().cast(pl.Int8),
        last_due=pl.col("due_date").max(),
    )
    cutoff = pl.lit(observation) - pl.duration(days=BAD_DPD)
    judged = per_loan.filter((pl.col("last_due") <= cutoff) | (pl.col("bad") == 1))
    return (
        loans.join(judged, on="loan_id", how="inner")
        .select("application_id", "bad")
        .sort("application_id")
    )
