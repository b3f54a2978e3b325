"""``zhudai loans ...``: the schedule CSV contract and the book, through the real command line."""

from __future__ import annotations

import csv
import io
import json
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


def test_book_post_show_close_through_the_command_line(
    zhudai_cli: Any, book_url: str, tmp_path: Any
) -> None:
    env = {"ZHUDAI_DB_URL": book_url}
    bookings = tmp_path / "book.jsonl"
    booking = {
        "booking_key": "B1",
        "application_id": "APP-1",
        "principal": "1200.00",
        "apr": "0",
        "term_months": 3,
        "method": "equal_principal",
        "start_date": "2024-01-10",
        "booked_at": "2024-01-10T10:00:00+08:00",
    }
    bookings.write_text(
        json.dumps(booking) + "\n" + json.dumps({**booking, "booking_key": "B2", "apr": "x"}) + "\n"
    )
    done = zhudai_cli("loans", "book", str(bookings), env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["principal_outstanding"] == "1200.00" and first["dpd"] == 0
    assert second == {
        "booking_key": "B2",
        "error": {"field": "apr", "message": second["error"]["message"]},
    }
    assert "booked 2 lines: booked 1, error 1" in done.stderr
    loan = first["loan_id"]
    postings = tmp_path / "post.jsonl"
    pay = {"loan_id": loan, "value_date": "2024-02-10", "amount": "400.00"}
    lines = [
        {"idempotency_key": "r1", **pay, "posted_at": "2024-02-10T09:00:00+08:00"},
        {"idempotency_key": "r1", **pay, "posted_at": "2024-02-10T09:00:00+08:00"},  # retried
        {"idempotency_key": "x1", "reverses": "r1", "posted_at": "2024-02-11T09:00:00+08:00"},
    ]
    postings.write_text("".join(json.dumps(x) + "\n" for x in lines))
    done = zhudai_cli("loans", "post", str(postings), env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["kind"] for a in answers] == ["repayment", "repayment", "reversal"]
    assert answers[0]["allocation"]["parts"] == [
        {"period": 1, "component": "principal", "amount": "400.00"}
    ]
    shown = zhudai_cli("loans", "show", str(loan), "--as-of", "2024-03-01", env=env, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["dpd"] == 20  # the reversal took period 1's payment back
    closed = zhudai_cli("loans", "close", "--day", "2024-03-01", env=env, timeout=60)
    assert closed.returncode == 0, closed.stderr
    assert "1 active loans" in closed.stdout and "M1 1" in closed.stdout
    bad = zhudai_cli("loans", "show", "999", env=env, timeout=60)
    assert bad.returncode != 0 and "loan_id" in bad.stderr and "Traceback" not in bad.stderr
