"""Reminders before and on the due date (电动提醒: D-3, D-1, D0 by SMS or automated call),
chosen by the loan's B-card band, each judged by the compliance guard before it is sent.

``reminders.yaml`` (shipped) declares the send time (debtor's local time), the bands on the
B-card's PD and, per band, which days before the due date get which kind. A day's reminders
are for the installments due that many days later and unpaid by the end of the day before
(``day`` - 1: a reminder goes out in the morning). The B-score is the installed B-card's at
the last month-end before ``day``.

Their effect on first-payment default is measured by a randomised holdout in
:mod:`zhudai.collections.reminder_evaluation` (the world answers for the reminded arm).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select

from zhudai.collections.actions import ActionKind
from zhudai.collections.guard import ComplianceGuard
from zhudai.exceptions import NotFoundError
from zhudai.store.db import get_engine
from zhudai.store.models import Customer, Installment, Loan
from zhudai.times import from_local

SHIPPED = Path(__file__).with_name("reminders.yaml")
BANDS = ("low", "mid", "high", "unscored")
#: The kinds a reminder may take.
REMINDER_KINDS = (ActionKind.SMS, ActionKind.AUTO_CALL)
DEBTOR_TZ = "Asia/Shanghai"


class BandCuts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    low: float = Field(gt=0, lt=1)
    high: float = Field(gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> BandCuts:
        if self.low >= self.high:
            raise ValueError(f"low must be below high; got {self.low} and {self.high}")
        return self

    def band(self, pd_bad: float | None) -> str:
        if pd_bad is None:
            return "unscored"
        return "low" if pd_bad < self.low else "high" if pd_bad >= self.high else "mid"


class ReminderSettings(BaseModel):
    """``reminders.yaml``: send time, bands, and per band {days before due: kind}."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    send_at: time
    bands: BandCuts
    plans: dict[str, dict[int, ActionKind]]

    @field_validator("plans")
    @classmethod
    def _plans(cls, plans: dict[str, dict[int, ActionKind]]) -> dict[str, dict[int, ActionKind]]:
        if set(plans) != set(BANDS):
            raise ValueError(f"must have a plan for each of {list(BANDS)}; got {sorted(plans)}")
        for band, plan in plans.items():
            for days, kind in plan.items():
                if not 0 <= days <= 7:
                    raise ValueError(f"{band}: days before the due date must be 0-7; got {days}")
                if kind not in REMINDER_KINDS:
                    raise ValueError(f"{band}: a reminder is an sms or an auto_call; got {kind}")
        return plans


def load_reminders(path: Path | None = None) -> ReminderSettings:
    """The reminder settings of a YAML file (default: the shipped ``reminders.yaml``)."""
    from zhudai.parsing import parse_input, read_yaml_mapping

    return parse_input(ReminderSettings, read_yaml_mapping(path or SHIPPED, "reminders"))


@dataclass(frozen=True)
class Reminder:
    loan_id: int
    customer_id: int
    due_date: date
    days_before: int
    band: str
    kind: ActionKind


def plan_reminders(
    due: pl.DataFrame, bpd: dict[int, float], day: date, settings: ReminderSettings
) -> list[Reminder]:
    """The reminders to send on ``day``: ``due`` holds ``loan_id``, ``customer_id``,
    ``due_date`` of installments unpaid at the end of the day before; ``bpd`` the B-card PD
    per loan (absent: unscored)."""
    out = []
    for r in due.sort("due_date", "loan_id").iter_rows(named=True):
        days = (r["due_date"] - day).days
        band = settings.bands.band(bpd.get(r["loan_id"]))
        kind = settings.plans[band].get(days)
        if kind is not None:
            out.append(Reminder(r["loan_id"], r["customer_id"], r["due_date"], days, band, kind))
    return out


def unpaid_due(url: str | None, day: date, horizon: int = 7) -> pl.DataFrame:
    """Installments due from ``day`` to ``day + horizon`` and unpaid at the end of ``day`` - 1,
    of loans not past due then (a past-due loan is collections' already)."""
    before = day - timedelta(days=1)
    with get_engine(url).connect() as conn:
        rows = conn.execute(
            select(Installment.loan_id, Loan.customer_id, Installment.due_date)
            .join(Loan, Loan.id == Installment.loan_id)
            .where(
                Installment.due_date.between(day, day + timedelta(days=horizon)),
                (Installment.paid_date.is_(None)) | (Installment.paid_date > before),
            )
        ).all()
        late = set(
            conn.scalars(
                select(Installment.loan_id).where(
                    Installment.due_date < day,
                    (Installment.paid_date.is_(None)) | (Installment.paid_date > before),
                )
            )
        )
    schema = {"loan_id": pl.Int64, "customer_id": pl.Int64, "due_date": pl.Date}
    frame = pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
    return frame.filter(~pl.col("loan_id").is_in(list(late)))


def _offset(days_before: int) -> str:
    return f"D-{days_before}" if days_before else "D0"


@dataclass(frozen=True)
class ReminderReport:
    day: date
    planned: dict[str, int]
    bands: dict[str, int]
    allowed: int
    blocked: dict[str, int]


def process_reminders(
    day: date,
    url: str | None = None,
    *,
    settings: ReminderSettings | None = None,
    guard: ComplianceGuard | None = None,
    model_dir: str | Path | None = None,
) -> ReminderReport:
    """Plan the day's reminders by B-card band and judge each with the guard (at the send
    time, debtor's local time, to the customer's own phone); the counts of what would go."""
    from zhudai.loans.analytics import last_month_end
    from zhudai.loans.bcard import score_book
    from zhudai.privacy import cipher

    settings = settings or load_reminders()
    guard = guard or ComplianceGuard()
    month_end = last_month_end(day - timedelta(days=1))
    try:
        scored = score_book(url, month_end, model_dir)
        bpd = dict(zip(scored["loan_id"].to_list(), scored["bpd"].to_list(), strict=True))
    except NotFoundError:  # no installed B-card: every loan unscored (the report says so)
        bpd = {}
    reminders = plan_reminders(unpaid_due(url, day), bpd, day, settings)
    with get_engine(url).connect() as conn:
        phones = dict(conn.execute(select(Customer.id, Customer.phone_enc)).all())
    at = from_local(datetime.combine(day, settings.send_at))
    enc = cipher()
    blocked: Counter[str] = Counter()
    for r in reminders:
        action: dict[str, Any] = {
            "action_id": f"remind-{r.loan_id}-{r.due_date}-d{r.days_before}",
            "debtor_id": f"customer-{r.customer_id}",
            "phone": enc.decrypt(phones[r.customer_id], "phone_enc"),
            "kind": r.kind.value, "at": at.isoformat(), "debtor_tz": DEBTOR_TZ,
            "party": "debtor",
        }  # fmt: skip
        if r.kind is not ActionKind.SMS:  # not known before; counted as an unanswered attempt
            action |= {"answered": False, "effective": False}
        decision = guard.propose(action)
        if decision.rule is not None:
            blocked[decision.rule.value] += 1
    return ReminderReport(
        day,
        dict(
            sorted(Counter(f"{_offset(r.days_before)} {r.kind.value}" for r in reminders).items())
        ),
        dict(sorted(Counter(r.band for r in reminders).items())),
        len(reminders) - sum(blocked.values()),
        dict(blocked),
    )
