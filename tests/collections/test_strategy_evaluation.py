"""The strategy simulation: the world's rules hold in it (a minor episode always clears before
30 days, a serious one never does, a debtor unable to pay never pays), cost is actions times
the treatment's price plus commission on what is recovered, both strategies see the same
random numbers, and the summary's arithmetic; the command end to end on a small world."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from zhudai.collections.allocation import load_allocation
from zhudai.collections.strategy_evaluation import (
    Worked,
    challenger_arm,
    recovery_curve,
    summary,
    work_cases,
)

CONFIG = load_allocation()


def _cases(rows: list[tuple[int, float, float, bool, float]]) -> pl.DataFrame:
    """(dpd, reach, ability, serious, amount overdue) per case, reviewed on 2025-03-01."""
    return pl.DataFrame(
        {
            "case_key": [f"L{k}" for k in range(len(rows))],
            "dpd": [r[0] for r in rows],
            "reach": [r[1] for r in rows],
            "ability": [r[2] for r in rows],
            "serious": [r[3] for r in rows],
            "amount_overdue": [r[4] for r in rows],
            "review_day": [date(2025, 3, 1)] * len(rows),
        }
    )


@pytest.mark.parametrize("queue", ["sms", "auto-dialler", "agent-01", "agency-east"])
def test_world_rules_hold_whatever_the_treatment(queue: str) -> None:
    cases = _cases([(1, 1.0, 1.0, False, 500.0), (1, 1.0, 1.0, True, 500.0),
                    (31, 0.35, 0.0, True, 800.0)])  # fmt: skip
    for seed in range(10):
        w = work_cases(cases, [queue] * 3, CONFIG, seed)
        assert 0 <= w.paid_day[0] <= 29  # minor: always clears before 30 days past due
        assert w.paid_day[1] == -1  # serious: never before 30 days past due
        assert w.paid_day[2] == -1  # no ability to pay
        # M1 from dpd 1: the world's slots 1, 3, 5, 8, 12, 16, 21, 26 (until it clears)
        assert w.actions[1] == 8 and w.actions[2] == 3  # dpd 31: slots 32, 40, 50
        treatment = CONFIG.treatments[CONFIG.treatment_of_queue(queue)]
        expected = w.actions * treatment.cost_per_action + treatment.commission * w.recovered
        assert w.cost == pytest.approx(expected)
        assert w.recovered.tolist() == [500.0, 0.0, 0.0]
        assert w.blocked.sum() == 0  # one action a slot: within every rule


def test_both_strategies_see_the_same_random_numbers() -> None:
    cases = _cases([(1, 1.0, 1.0, False, 100.0 * k) for k in range(1, 9)]
                   + [(40, 1.0, 0.9, True, 900.0)] * 4)  # fmt: skip
    queues = ["agent-01"] * cases.height
    a, b = work_cases(cases, queues, CONFIG, 3), work_cases(cases, queues, CONFIG, 3)
    assert a.paid_day.tolist() == b.paid_day.tolist() and a.cost.tolist() == b.cost.tolist()
    other = list(queues)
    other[0] = "sms"  # only case 0 changes treatment: every other case's outcome is the same
    c = work_cases(cases, other, CONFIG, 3)
    assert c.paid_day[1:].tolist() == a.paid_day[1:].tolist()
    assert c.cost[1:].tolist() == a.cost[1:].tolist()


def test_agents_clear_more_serious_cases_than_sms() -> None:
    cases = _cases([(31, 1.0, 1.0, True, 1000.0)] * 200)
    sms = work_cases(cases, ["sms"] * 200, CONFIG, 1)
    agent = work_cases(cases, ["agent-01"] * 200, CONFIG, 1)
    # per slot the world pays 0.0925 (SMS) vs 0.326 (human call) at reach and ability 1;
    # three slots in the period: 1 - 0.9075^3 = 0.253 vs 1 - 0.674^3 = 0.694
    assert (sms.paid_day >= 0).mean() == pytest.approx(0.253, abs=0.07)
    assert (agent.paid_day >= 0).mean() == pytest.approx(0.694, abs=0.07)


def test_summary_and_curve_arithmetic() -> None:
    w = Worked(
        queue=["sms"] * 4,
        treatment=["sms"] * 4,
        paid_day=np.array([0, -1, 10, 29]),  # two runs of two cases
        recovered=np.array([100.0, 0.0, 300.0, 300.0]),
        cost=np.array([1.0, 2.0, 3.0, 4.0]),
        actions=np.array([1, 2, 3, 4]),
        blocked=np.array([0, 1, 0, 0]),
    )
    amount = np.array([100.0, 300.0])
    got = summary(w, amount)
    assert got["cases"] == 2 and got["recovered"] == 350.0 and got["cost"] == 5.0
    assert got["recovery_per_cost"] == pytest.approx(70.0)
    assert got["recovered_share"] == pytest.approx(700.0 / 800.0)
    assert got["roll_forward"] == 0.25 and got["actions"] == 5.0 and got["blocked"] == 0.5
    second = summary(w, amount, np.array([False, True]))
    assert (second["cases"], second["recovered"], second["roll_forward"]) == (1, 150.0, 0.5)
    curve = recovery_curve(w, amount)
    assert curve[0] == pytest.approx(100 / 800) and curve[10] == pytest.approx(400 / 800)
    assert curve[29] == pytest.approx(700 / 800) and len(curve) == 30


def test_challenger_arm_is_a_stable_hash_split() -> None:
    keys = [f"{k}:2025-03-01" for k in range(4000)]
    arm = challenger_arm(keys)
    assert 0.47 < arm.mean() < 0.53
    assert challenger_arm(keys[::-1]).tolist() == arm[::-1].tolist()  # per key, not per position
    assert challenger_arm(keys, 0.0).sum() == 0 and challenger_arm(keys, 1.0).all()


def test_simulate_command_prints_the_comparison_and_its_json() -> None:
    from zhudai.collections.cli import app

    result = CliRunner().invoke(
        app, ["simulate", "--customers", "800", "--seed", "5", "--runs", "2"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert any(line.lstrip().startswith("ccard ") for line in lines)
    headline = json.loads(lines[-1])
    for side in ("ccard", "bucket"):
        assert headline[f"{side}_recovery_per_cost"] == pytest.approx(
            headline[f"{side}_recovered"] / headline[f"{side}_cost"], rel=1e-3
        )
    assert headline["cases"] > 0
