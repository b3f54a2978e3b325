"""``zhudai acquisition simulate``: the contract's JSON line, and batch >= greedy >= random with
no constraint broken, on generated worlds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhudai.acquisition.cli import app


@pytest.mark.parametrize("seed", [5, 23])
def test_simulate_orders_the_strategies(seed: int) -> None:
    result = CliRunner().invoke(app, ["simulate", "--customers", "1500", "--seed", str(seed)])
    assert result.exit_code == 0, result.output
    line = json.loads(result.output.strip().splitlines()[-1])
    assert {"random_profit", "greedy_profit", "batch_profit", "quota_violations"} <= line.keys()
    assert line["quota_violations"] == 0
    assert line["batch_profit"] >= line["greedy_profit"] >= line["random_profit"]
    assert 0 <= line["push_rejection_rate"] <= 1
    shares = line["strategies"]["batch"]["funder_share"]
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)


def test_bad_option_is_one_line() -> None:
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("zhudai")),
            "acquisition",
            "simulate",
            "--tightness",
            "0",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "tightness: must be in (0, 1]" in done.stderr and "Traceback" not in done.stderr
