"""What pre-screening saved and what it cost: the data bought for none of the applications it
rejected, and the applicants it turned away who turned out good (where an outcome is known).

Read from the decision records the pipeline wrote (the pre-screen's own rejections carry no
provider answers), so it reports on live traffic, not on a simulation of it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select

from zhudai.store.db import session_scope
from zhudai.store.models import DecisionRecord

PRESCREEN = "prescreen"


@dataclass(frozen=True)
class PrescreenReport:
    applications: int
    prescreen_rejected: int
    data_cost_paid: float
    data_cost_saved: float  # rejected before buying x the mean cost of a bought application
    with_outcome: int  # pre-screen rejections whose outcome is known (booked elsewhere)
    good_turned_away: int

    def lines(self) -> list[str]:
        share = self.prescreen_rejected / self.applications if self.applications else 0.0
        out = [
            f"pre-screen rejected {self.prescreen_rejected:,} of {self.applications:,} "
            f"applications ({share:.1%}) before any paid call: data cost paid "
            f"{self.data_cost_paid:,.2f}, saved {self.data_cost_saved:,.2f} CNY"
        ]
        if self.with_outcome:
            out.append(
                f"  of those with a known outcome ({self.with_outcome:,}), "
                f"{self.good_turned_away:,} were good ({self.good_turned_away / self.with_outcome:.1%})"
            )
        return out


def prescreen_report(url: str, labels: pd.DataFrame | None = None) -> PrescreenReport:
    """The report over every live decision in the store at ``url``; ``labels`` (columns
    ``application_id`` as the partner sent it, ``bad``) adds the turned-away good count."""
    with session_scope(url) as s:
        rows = s.execute(
            select(DecisionRecord.policy_name, DecisionRecord.outcome, DecisionRecord.record)
        )
        live = [
            (policy, outcome.value, r["origination"])
            for policy, outcome, r in rows
            if "origination" in r
        ]
    rejected = [o["application_id"] for p, v, o in live if p == PRESCREEN and v == "reject"]
    bought = [o["provider_cost"] for p, _, o in live if p != PRESCREEN]
    paid = float(sum(bought))
    mean_cost = paid / len(bought) if bought else 0.0
    with_outcome = good = 0
    if labels is not None and rejected:
        known = labels[labels["application_id"].isin(rejected)]
        with_outcome, good = len(known), int((known["bad"] == 0).sum())
    return PrescreenReport(
        applications=len(live),
        prescreen_rejected=len(rejected),
        data_cost_paid=round(paid, 2),
        data_cost_saved=round(mean_cost * len(rejected), 2),
        with_outcome=with_outcome,
        good_turned_away=good,
    )
