"""The reminders' effect on first-payment default: the world's response by hand, and the
holdout comparison on the demo's book recounted from its parts."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from typer.testing import CliRunner

from zhudai.collections.cli import app
from zhudai.collections.reminder_evaluation import FPD_DAYS, NEVER_PAID, evaluate_reminders
from zhudai.settings import Settings
from zhudai.world.reminders import CURE, cure_probability, paid_late_days


def test_cure_probability_by_hand() -> None:
    assert cure_probability({}) == 0.0
    assert cure_probability({1: "sms"}) == pytest.approx(CURE[("sms", 1)])
    two = 1 - (1 - CURE[("sms", 3)]) * (1 - CURE[("auto_call", 0)])
    assert cure_probability({3: "sms", 0: "auto_call"}) == pytest.approx(two)


def test_only_minor_lateness_responds() -> None:
    late = np.array([-2, 0, 3, 12, 29, 30, 45, NEVER_PAID] * 200)
    keys = np.arange(len(late))
    strong = [{3: "sms", 1: "auto_call", 0: "auto_call"}] * len(late)
    after = paid_late_days(late, strong, keys)
    fixed = (late <= 0) | (late >= 30)
    assert (after[fixed] == late[fixed]).all()  # early, on time, serious and unpaid: as they were
    minor = ~fixed
    cured = after[minor] == 0
    assert cured.mean() == pytest.approx(cure_probability(strong[0]), abs=0.05)
    assert ((after[minor] == 0) | (after[minor] == late[minor])).all()
    assert (paid_late_days(late, strong, keys) == after).all()  # the same answer every time
    assert (paid_late_days(late, [{}] * len(late), keys) == late).all()  # no reminder, no change


def test_holdout_comparison_on_the_book(home: Settings) -> None:
    r = evaluate_reminders(date(2024, 3, 1), 365)
    assert r["holdout"] + r["reminded"] == r["installments"] > 100
    assert r["effect"] == pytest.approx(r["fpd_reminded"] - r["fpd_holdout"], abs=1e-4)
    lo, hi = r["ci95"]
    assert lo <= r["effect"] <= hi
    assert sum(b["holdout"] + b["reminded"] for b in r["by_band"].values()) == r["installments"]
    assert r["fpd_reminded"] <= r["fpd_holdout"] + 0.05  # reminders never make paying later
    assert FPD_DAYS == 7
    line = CliRunner().invoke(app, ["reminder-effect", "--start", "2024-03-01", "--days", "365"])
    assert line.exit_code == 0, line.output
    assert json.loads(line.output.strip().splitlines()[-1]) == r
