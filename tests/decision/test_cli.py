"""``zhudai policy`` and ``zhudai decision`` commands: exit codes and what they print."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from zhudai.decision.cli import decision_app, policy_app
from zhudai.decision.service import DecisionService
from zhudai.decision.versions import PolicyStore
from zhudai.exceptions import DefinitionError

from .conftest import FIXTURES

runner = CliRunner()
CUTOFF = FIXTURES / "cutoff.yaml"


def test_policy_test_every_shipped_policy_passes() -> None:
    result = runner.invoke(policy_app, ["test"])
    assert result.exit_code == 0, result.output
    assert "acard_default: 29/29 cases pass, coverage 100%" in result.output
    assert "fraud_checks: 5/5 cases pass, coverage 100% (7/7 rules/rows)" in result.output


def test_policy_test_fails_on_a_failing_case(tmp_path: Path) -> None:
    wrong = tmp_path / "cutoff.yaml"
    wrong.write_text(
        CUTOFF.read_text().replace("expect: {outcome: reject}", "expect: {outcome: approve}")
    )
    result = runner.invoke(policy_app, ["test", str(CUTOFF), str(wrong)])
    assert result.exit_code == 1
    assert "FAIL cutoff: low score rejected -- outcome reject, expected approve" in result.output
    assert "1 of 2 policies fail" in result.output


def test_policy_test_fails_without_cases(tmp_path: Path) -> None:
    bare = tmp_path / "bare.yaml"
    bare.write_text(CUTOFF.read_text().split("tests:")[0])
    result = runner.invoke(policy_app, ["test", str(bare)])
    assert result.exit_code == 1
    assert "carries no test cases" in result.output


def test_validate_reports_errors_with_line(tmp_path: Path) -> None:
    assert runner.invoke(policy_app, ["validate", str(CUTOFF)]).exit_code == 0
    result = runner.invoke(policy_app, ["validate", str(FIXTURES / "error-gap.yaml")])
    assert isinstance(result.exception, DefinitionError)
    assert str(result.exception).startswith("error-gap.yaml:7: cutoffs: gap")


def test_publish_activate_list_rollback(db_url: str, tmp_path: Path) -> None:
    v2 = tmp_path / "cutoff.yaml"
    v2.write_text(CUTOFF.read_text().replace("[0.10, 0.09]", "[0.11, 0.09]"))
    assert (
        runner.invoke(policy_app, ["publish", str(CUTOFF), "--activate", "--db", db_url]).exit_code
        == 0
    )
    result = runner.invoke(policy_app, ["publish", str(v2), "--db", db_url])
    assert "published cutoff@2" in result.output
    assert (
        "active: cutoff@2"
        in runner.invoke(policy_app, ["activate", "cutoff", "--db", db_url]).output
    )
    listing = runner.invoke(policy_app, ["list", "--db", db_url]).output
    assert "cutoff@1\tretired" in listing and "cutoff@2\tactive" in listing
    assert (
        "cutoff@1 is active"
        in runner.invoke(policy_app, ["rollback", "cutoff", "--db", db_url]).output
    )


def _history(n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    score = rng.normal(620, 40, n)
    pd_ = 1 / (1 + np.exp((score - 560) / 28.85))
    bad = np.where(
        rng.random(n) < 0.6, (rng.random(n) < pd_).astype(float), np.nan
    )  # unbooked: unknown
    return pd.DataFrame(
        {"score": score, "pd": pd_, "income": rng.choice([3000.0, 8000.0], n), "bad": bad}
    )


def test_backtest_reports_rates_swaps_and_profit(tmp_path: Path) -> None:
    data = tmp_path / "history.csv"
    frame = _history()
    frame.to_csv(data, index=False)
    stricter = tmp_path / "strict.yaml"
    stricter.write_text(
        CUTOFF.read_text()
        .replace("name: cutoff", "name: strict")
        .replace(
            'score: "[600, 650)"}, then: {grade: B, decision: approve}',
            'score: "[600, 650)"}, then: {grade: B, decision: reject}',
        )
    )
    result = runner.invoke(
        policy_app,
        ["backtest", "--policy", str(CUTOFF), "--against", str(stricter), "--data", str(data)],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    approved = frame[frame.score >= 600]
    assert lines[0].startswith("cutoff (")
    assert f"approval rate {len(approved) / len(frame):.3f}" in lines[0]
    assert f"expected bad rate {approved.pd.mean():.4f}" in lines[0]
    assert f"observed bad rate {approved.bad.mean():.4f}" in lines[0]
    swap_in = frame[(frame.score >= 600) & (frame.score < 650)]
    assert lines[2].startswith(f"swap-in (A approves, B does not): {len(swap_in)} applications")
    assert lines[3].startswith("swap-out (B approves, A does not): 0 applications")
    assert "expected profit" in lines[1]


def test_replay_and_show(db_url: str) -> None:
    store = PolicyStore(db_url, apr_cap=0.24)
    store.publish(CUTOFF.read_text(), "cutoff.yaml")
    service = DecisionService(store)
    service.activate("cutoff", 1)
    ids = [
        service.decide("cutoff", r).decision_id
        for r in _history(30).drop(columns="bad").to_dict("records")
    ]
    result = runner.invoke(decision_app, ["replay", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "replayed 30 decisions: 30 reproduced exactly, 0 differ" in result.output
    shown = runner.invoke(decision_app, ["show", ids[0], "--db", db_url]).output
    assert ids[0] in shown and "grading: row" in shown


@pytest.mark.parametrize("args", [["backtest", "--policy", "x.yaml", "--data", "missing.csv"]])
def test_bad_arguments_name_the_option(args: list[str]) -> None:
    result = runner.invoke(policy_app, args)
    assert "--data" in str(result.exception)


def test_policy_test_reports_a_policy_that_does_not_load() -> None:
    result = runner.invoke(policy_app, ["test", str(CUTOFF), str(FIXTURES / "error-apr-cap.yaml")])
    assert result.exit_code == 1
    assert "FAIL error-apr-cap.yaml: error-apr-cap.yaml:21: apr_cap: all-in APR" in result.output


def test_decide_prints_the_record_without_personal_data(tmp_path: Path) -> None:
    import json

    app = tmp_path / "app.json"
    app.write_text(json.dumps({"score": 620, "pd": 0.06, "income": 3000}))
    result = runner.invoke(decision_app, ["decide", "--policy", str(CUTOFF), "--input", str(app)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert (record["outcome"], record["credit_limit"], record["term_months"]) == (
        "approve",
        3000.0,
        6,
    )
    assert record["trace"][0]["why"] == "row 1 failed: score 620 < 650"
