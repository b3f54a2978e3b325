"""Reminders: the plan by B-card band and days before the due date, the settings' checks, and
the day's reminders on the demo's book judged by the guard (a send time in quiet hours
blocks every one)."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import polars as pl
import pytest
import yaml

from zhudai.collections.actions import ActionKind
from zhudai.collections.reminders import SHIPPED, load_reminders, plan_reminders, process_reminders
from zhudai.exceptions import InvalidInputError
from zhudai.loans.bcard import book_day
from zhudai.settings import Settings

DAY = date(2025, 10, 1)


def _due(*rows: tuple[int, int]) -> pl.DataFrame:
    """(loan id, days until due) per installment; the customer is the loan."""
    return pl.DataFrame(
        {
            "loan_id": [r[0] for r in rows],
            "customer_id": [r[0] for r in rows],
            "due_date": [DAY + timedelta(days=r[1]) for r in rows],
        }
    )


def test_plan_by_band_and_days_before_due() -> None:
    settings = load_reminders()  # bands low < 0.02 <= mid < 0.08 <= high
    due = _due((1, 1), (2, 3), (3, 0), (4, 1), (5, 0), (6, 2), (7, 1))
    bpd = {1: 0.0199, 2: 0.02, 3: 0.05, 4: 0.08, 5: 0.2, 6: 0.2}  # loan 7: unscored
    got = [
        (r.loan_id, r.days_before, r.band, r.kind) for r in plan_reminders(due, bpd, DAY, settings)
    ]
    assert got == [
        (3, 0, "mid", ActionKind.SMS),
        (5, 0, "high", ActionKind.AUTO_CALL),
        (1, 1, "low", ActionKind.SMS),
        (4, 1, "high", ActionKind.AUTO_CALL),
        (7, 1, "unscored", ActionKind.SMS),
        (2, 3, "mid", ActionKind.SMS),
    ]  # loan 6 (high, D-2) has no reminder in its plan


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bands": {"low": 0.1, "high": 0.05}}, "low must be below high"),
        ({"plans": {"low": {1: "sms"}}}, "must have a plan for each"),
        ({"plans": {b: {9: "sms"} for b in ("low", "mid", "high", "unscored")}}, "0-7"),
        ({"plans": {b: {1: "visit"} for b in ("low", "mid", "high", "unscored")}}, "sms or an auto_call"),
        ({"send_at": "25:00"}, "send_at"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_field(tmp_path: Path, change: dict, message: str) -> None:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8")) | change
    path = tmp_path / "reminders.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message):
        load_reminders(path)


def test_the_days_reminders_go_through_the_guard(home: Settings) -> None:
    day = book_day(home.database_url) + timedelta(days=1)
    report = process_reminders(day, home.database_url)
    planned = sum(report.planned.values())
    assert planned > 0 and sum(report.bands.values()) == planned
    assert report.allowed == planned and report.blocked == {}  # 10:00, one each
    night = load_reminders().model_copy(update={"send_at": time(22, 30)})
    blocked = process_reminders(day, home.database_url, settings=night)
    assert blocked.allowed == 0 and blocked.blocked == {"quiet_hours": planned}
