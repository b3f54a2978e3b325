"""``zhudai loans ...``: repayment schedules and the loan book."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import typer

from zhudai.exceptions import InvalidInputError

app = typer.Typer(help="Loans: repayment schedules and the loan book.", no_args_is_help=True)


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
