"""``zhudai loans ...``: repayment schedules and the loan book."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer

from zhudai.exceptions import InvalidInputError
from zhudai.json_lines import Handler
from zhudai.loans.bcard_cli import bcard_score_cmd, bcard_train_cmd, strategies_run_cmd
from zhudai.loans.report_cli import report_cmd

app = typer.Typer(help="Loans: repayment schedules and the loan book.", no_args_is_help=True)
app.command("report")(report_cmd)  # imports only typer; polars and plotly load when it runs
app.command("bcard-train")(bcard_train_cmd)
app.command("bcard-score")(bcard_score_cmd)
app.command("strategies")(strategies_run_cmd)


def _decimal(field: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInputError(field, f"must be a number; got {text!r}") from None
    if not value.is_finite():
        raise InvalidInputError(field, f"must be a finite number; got {text!r}")
    return value


def _date(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(field, f"must be a date YYYY-MM-DD; got {text!r}") from None


@app.command()
def schedule(
    principal: str = typer.Option(..., help="Amount lent, e.g. 10000."),
    apr: str = typer.Option(..., help="Yearly rate, e.g. 0.18."),
    term: int = typer.Option(..., help="Months."),
    method: str = typer.Option(..., help="equal_installment | equal_principal | interest_first"),
    start: str | None = typer.Option(None, help="Disbursement date YYYY-MM-DD (default today)."),
    day_count: str | None = typer.Option(
        None, "--day-count", help="ACT/360 | ACT/365: daily interest (default APR/12 a month)."
    ),
) -> None:
    """Print a repayment schedule as CSV: period,due_date,principal,interest,payment,balance."""
    from zhudai.loans.schedule import DayCount, Method, build_schedule, schedule_csv
    from zhudai.times import to_local, utc_now

    methods = {m.value: m for m in Method}
    if method not in methods:
        raise InvalidInputError("method", f"must be one of {sorted(methods)}; got {method!r}")
    counts = {DayCount.ACT_360.value: DayCount.ACT_360, DayCount.ACT_365.value: DayCount.ACT_365}
    if day_count is not None and day_count not in counts:
        raise InvalidInputError("day-count", f"must be ACT/360 or ACT/365; got {day_count!r}")
    rows = build_schedule(
        _decimal("principal", principal),
        _decimal("apr", apr),
        term,
        methods[method],
        _date("start", start) if start else to_local(utc_now()).date(),
        counts[day_count] if day_count else DayCount.MONTHLY,
    )
    typer.echo(schedule_csv(rows), nl=False)


def _lines(file: Path, out: Path | None, handle: Handler, id_field: str) -> Counter[str]:
    from zhudai.json_lines import run_json_lines

    with file.open(encoding="utf-8") as lines:
        if out is None:
            return run_json_lines(lines, sys.stdout, handle, id_field, id_field)
        with out.open("w", encoding="utf-8") as sink:
            return run_json_lines(lines, sink, handle, id_field, id_field)


def _summary(verb: str, counts: Counter[str]) -> None:
    parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    typer.echo(f"{verb} {sum(counts.values())} lines: {parts}", err=True)


@app.command("book")
def book_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON Lines: bookings."),
    out: Path | None = typer.Option(None, "--out", help="Write answers here (default: stdout)."),
) -> None:
    """Book one loan per line (booking_key, application_id, principal, apr, term_months,
    method, start_date, booked_at ...); one answer per line, in order."""
    from zhudai.loans.book import LoanBook

    book = LoanBook()

    def handle(raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
        return book.book(raw).model_dump(mode="json"), "booked"

    _summary("booked", _lines(file, out, handle, "booking_key"))


@app.command("book-accepted")
def book_accepted_cmd(
    application_id: str = typer.Argument(..., help="The partner's application id."),
    start: str | None = typer.Option(None, help="Disbursement date YYYY-MM-DD (default today)."),
    method: str = typer.Option("equal_installment", help="The repayment method."),
) -> None:
    """Book the loan of an application its funder accepted (amount, APR and term from it)."""
    from zhudai.loans.book import LoanBook
    from zhudai.times import to_local, utc_now

    now = utc_now()
    day = _date("start", start) if start else to_local(now).date()
    loan = LoanBook().book_accepted(application_id, day, now, method=method)
    typer.echo(json.dumps(loan.model_dump(mode="json"), ensure_ascii=False, indent=2))


@app.command("post")
def post_cmd(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON Lines: repayments, or reversals."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write answers here (default: stdout)."),
) -> None:
    """Post one money movement per line: a repayment (idempotency_key, loan_id, value_date,
    amount, posted_at) or a reversal (idempotency_key, reverses, posted_at)."""
    from zhudai.loans.book import LoanBook

    book = LoanBook()

    def handle(raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
        answer = book.reverse(raw) if "reverses" in raw else book.post(raw)
        return answer.model_dump(mode="json"), answer.kind

    _summary("posted", _lines(file, out, handle, "idempotency_key"))


@app.command("show")
def show_cmd(
    loan_id: int = typer.Argument(..., help="The loan's id."),
    as_of: str | None = typer.Option(None, "--as-of", help="Day YYYY-MM-DD (default today)."),
) -> None:
    """Print a loan on a day: outstanding principal, DPD, bucket, class and its installments."""
    from zhudai.loans.book import LoanBook
    from zhudai.times import to_local, utc_now

    day = _date("as-of", as_of) if as_of else to_local(utc_now()).date()
    typer.echo(json.dumps(LoanBook().loan(loan_id, day).model_dump(mode="json"), indent=2))


@app.command("close")
def close_cmd(
    day: str | None = typer.Option(None, help="The day to close YYYY-MM-DD (default today)."),
) -> None:
    """Run the daily close: DPD, bucket and class of every active loan; prints the book by
    bucket."""
    import time

    from zhudai.loans.close import close_day
    from zhudai.times import to_local, utc_now

    started = time.perf_counter()
    report = close_day(_date("day", day) if day else to_local(utc_now()).date())
    typer.echo(
        f"closed {report.day}: {report.loans:,} active loans, DPD moved on "
        f"{report.dpd_changed:,}, bucket on {report.bucket_changed:,} "
        f"({time.perf_counter() - started:.1f}s)"
    )
    typer.echo(" ".join(f"{b} {n:,}" for b, n in report.by_bucket.items()))
