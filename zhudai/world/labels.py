"""The credit label, derived from observable repayment data only.

A booked loan is **bad** when any of its first six installments reached 30 or more days past
due ("ever 30+ at MOB6"). Loans too young for that to be observable are left out.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl

from zhudai.exceptions import NotFoundError

BAD_DPD = 30
HORIZON = 6


def credit_labels(world_dir: str | Path, observation: date | None = None) -> pl.DataFrame:
    """``application_id, bad`` (Int8, 1 = bad) for every booked loan old enough to judge.

    A loan is old enough when its sixth installment (or its last, if shorter) fell due at
    least ``BAD_DPD`` days before the observation date (by default the world's own, from its
    manifest or, failing that, from the installments themselves).
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
        observation = _observation_date(d, inst)
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


def _observation_date(world_dir: Path, inst: pl.DataFrame) -> date:
    """The manifest's observation date; else the latest of payments and of ``due + dpd`` of
    unpaid overdue installments (their dpd is counted up to the observation date)."""
    manifest = world_dir / "world.json"
    if manifest.exists():
        return date.fromisoformat(json.loads(manifest.read_text())["observation_date"])
    unpaid = inst.filter(pl.col("paid_date").is_null() & (pl.col("dpd") > 0))
    latest = [inst["paid_date"].max()]
    if unpaid.height:
        latest.append(
            unpaid.select((pl.col("due_date") + pl.duration(days=pl.col("dpd"))).max()).item()
        )
    found = [d for d in latest if isinstance(d, date)]
    if not found:
        raise NotFoundError("world_dir", f"{world_dir} (no repayment history to date it)")
    return max(found)
