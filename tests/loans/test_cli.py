"""``zhudai loans schedule``: the CSV contract, through the real command line."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date
from decimal import Decimal
from typing import Any


def _schedule(cli: Any, **options: str) -> subprocess.CompletedProcess[str]:
    """``zhudai loans schedule --principal ... --day-count ...`` from keyword options."""
    args = [part for k, v in options.items() for part in (f"--{k.replace('_', '-')}", v)]
    return cli("loans", "schedule", *args, timeout=60)


def test_schedule_prints_the_contract_csv(zhudai_cli: Any) -> None:
    done = _schedule(
        zhudai_cli,
        principal="10000",
        apr="0.12",
        term="12",
        method="equal_installment",
        start="2024-01-31",
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == ["period", "due_date", "principal", "interest", "payment", "balance"]
    assert [r["due_date"] for r in rows[:3]] == ["2024-02-29", "2024-03-31", "2024-04-30"]
    assert rows[0]["payment"] == "888.49" and rows[0]["interest"] == "100.00"
    assert sum(Decimal(r["principal"]) for r in rows) == Decimal("10000.00")
    assert rows[-1]["balance"] == "0.00"


def test_schedule_daily_interest_and_default_start(zhudai_cli: Any) -> None:
    done = _schedule(
        zhudai_cli,
        principal="10000",
        apr="0.12",
        term="1",
        method="interest_first",
        day_count="ACT/360",
        start="2024-01-15",
    )
    assert done.stdout.splitlines()[1] == "1,2024-02-15,10000.00,103.33,10103.33,0.00"
    today = _schedule(zhudai_cli, principal="100", apr="0", term="1", method="equal_principal")
    due = date.fromisoformat(today.stdout.splitlines()[1].split(",")[1])
    assert 27 <= (due - date.today()).days <= 32  # Shanghai today vs the machine's


def test_bad_arguments_are_one_line_naming_the_field(zhudai_cli: Any) -> None:
    good = {"principal": "10", "apr": "0.1", "term": "3", "method": "equal_principal"}
    for bad, field in (
        ({"principal": "ten"}, "principal"),
        ({"method": "balloon"}, "method"),
        ({"day_count": "30/360"}, "day-count"),
        ({"start": "2024-13-01"}, "start"),
    ):
        done = _schedule(zhudai_cli, **(good | bad))
        assert done.returncode == 2 and done.stderr.startswith(f"error: {field}:"), done.stderr
        assert "Traceback" not in done.stderr
