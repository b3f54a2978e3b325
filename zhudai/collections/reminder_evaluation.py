"""The measured effect of reminders on first-payment default, as a randomised holdout on the
book's first installments (evaluation code: the borrowers' answers come from the world's
response model, ``zhudai.world.reminders``).

Each first installment due in the window is assigned by a hash of its loan to the reminded arm
(the plan of its B-card band in ``reminders.yaml``) or to the holdout (no reminder); the book's
own repayment, made without reminders, is the holdout's outcome, and the world says which of
the reminded arm's late payments the reminders would have made on time. FPD7 (first
installment more than 7 days late, or unpaid) is compared arm by arm, by band and overall, with
a 95% interval, beside what the reminders cost.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import select

from zhudai.collections.allocation import load_allocation
from zhudai.collections.reminders import ReminderSettings, load_reminders
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.loans.analytics import last_month_end
from zhudai.loans.bcard import score_book
from zhudai.store.db import get_engine
from zhudai.store.models import Installment, Loan
from zhudai.world.reminders import SERIOUS_DPD, paid_late_days

#: First-payment default: the first installment more than this many days late, or unpaid.
FPD_DAYS = 7
#: Days late recorded for a first installment never paid (serious by any measure).
NEVER_PAID = 10**6
#: Share of installments in the reminded arm.
REMINDED_SHARE = 0.5


def _reminded(loan_id: int, seed: int) -> bool:
    digest = hashlib.sha256(f"remind:{seed}:{loan_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < REMINDED_SHARE


def first_installments(start: date, days: int, url: str | None = None) -> pl.DataFrame:
    """``loan_id, due_date, days_late`` (negative: paid early; ``NEVER_PAID``) of the first
    installments due in
    ``[start, start + days)`` whose lateness the book can already judge (due 30+ days before
    its last close)."""
    with get_engine(url).connect() as conn:
        as_of = conn.scalar(select(Loan.as_of).order_by(Loan.as_of.desc()).limit(1))
        if as_of is None:
            raise NotFoundError("as_of", "the loan book has no daily close")
        rows = conn.execute(
            select(Installment.loan_id, Installment.due_date, Installment.paid_date).where(
                Installment.installment_no == 1,
                Installment.due_date >= start,
                Installment.due_date < start + timedelta(days=days),
                Installment.due_date <= as_of - timedelta(days=SERIOUS_DPD),
            )
        ).all()
    return pl.DataFrame(
        [(loan, due, (paid - due).days if paid is not None else -1) for loan, due, paid in rows],
        schema={"loan_id": pl.Int64, "due_date": pl.Date, "days_late": pl.Int64},
        orient="row",
    )


def _bands(
    frame: pl.DataFrame, settings: ReminderSettings, url: str | None, model_dir: Any
) -> list[str]:
    """Each installment's B-card band at the month-end before its D-3 reminder."""
    pd_by_month: dict[date, dict[int, float]] = {}
    out = []
    for loan, due in zip(frame["loan_id"], frame["due_date"], strict=True):
        month_end = last_month_end(due - timedelta(days=4))
        if month_end not in pd_by_month:
            try:
                scored = score_book(url, month_end, model_dir)
                pd_by_month[month_end] = dict(
                    zip(scored["loan_id"].to_list(), scored["bpd"].to_list(), strict=True)
                )
            except NotFoundError:
                pd_by_month[month_end] = {}
        out.append(settings.bands.band(pd_by_month[month_end].get(loan)))
    return out


def _rate(bad: np.ndarray) -> float | None:
    return float(bad.mean()) if len(bad) else None


def _effect(control: np.ndarray, treated: np.ndarray) -> dict[str, Any]:
    """FPD rates of the two arms, the difference (treated - holdout) and its 95% interval."""
    out: dict[str, Any] = {
        "holdout": int(len(control)),
        "reminded": int(len(treated)),
        "fpd_holdout": _rate(control),
        "fpd_reminded": _rate(treated),
    }
    if len(control) and len(treated):
        p0, p1 = control.mean(), treated.mean()
        se = math.sqrt(p0 * (1 - p0) / len(control) + p1 * (1 - p1) / len(treated))
        d = float(p1 - p0)
        out |= {"effect": round(d, 4), "ci95": [round(d - 1.96 * se, 4), round(d + 1.96 * se, 4)]}
    return out


def evaluate_reminders(
    start: date,
    days: int = 90,
    url: str | None = None,
    *,
    settings: ReminderSettings | None = None,
    model_dir: str | Path | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """The holdout comparison of FPD7 over the first installments due in the window."""
    if days < 1:
        raise InvalidInputError("days", f"must be at least 1; got {days}")
    settings = settings or load_reminders()
    frame = first_installments(start, days, url)
    if frame.height == 0:
        raise InvalidInputError(
            "start", f"no judged first installment due from {start} in {days} days"
        )
    bands = _bands(frame, settings, url, model_dir)
    plans = [{d: k.value for d, k in settings.plans[b].items()} for b in bands]
    loans = frame["loan_id"].to_numpy()
    reminded = np.array([_reminded(int(k), seed) for k in loans])
    late = frame["days_late"].to_numpy()
    after = np.where(reminded, paid_late_days(late, plans, loans, seed), late)
    fpd = after > FPD_DAYS
    costs = {t.action.value: t.cost_per_action for t in load_allocation().treatments.values()}
    sent = sum(len(p) for p, r in zip(plans, reminded, strict=True) if r)
    cost = sum(
        costs.get(k, 0.0) for p, r in zip(plans, reminded, strict=True) if r for k in p.values()
    )
    band_arr = np.array(bands)
    return {
        "window": [start.isoformat(), (start + timedelta(days=days - 1)).isoformat()],
        "installments": int(frame.height),
        **_effect(fpd[~reminded], fpd[reminded]),
        "reminders_sent": sent,
        "reminder_cost": round(cost, 2),
        "by_band": {
            b: _effect(fpd[(band_arr == b) & ~reminded], fpd[(band_arr == b) & reminded])
            for b in sorted(set(bands))
        },
    }
