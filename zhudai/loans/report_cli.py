"""``zhudai loans report``: the portfolio report (vintage, roll and flow rates, FPD) from the
store, as CSV tables and an offline HTML page.

Mounted by ``zhudai/loans/cli.py`` with ``app.command("report")(report_cmd)``; the heavy
imports (polars, plotly) happen only when the command runs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from zhudai.exceptions import InvalidInputError


def report_cmd(
    out: Path = typer.Option(..., "--out", file_okay=False, help="Folder for the report."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Day YYYY-MM-DD (default today): payments after it are unmade."
    ),
) -> None:
    """Write the portfolio report: vintage curves (DPD30+ ever and current, by count and by
    amount), roll-rate and flow-rate matrices, FPD7/FPD30 by channel and product, as
    report.html (opens offline) and CSV tables."""
    import time

    from zhudai.loans.analytics import read_book
    from zhudai.loans.report import TABLES, write_report
    from zhudai.times import to_local, utc_now

    if as_of is None:
        day = to_local(utc_now()).date()
    else:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise InvalidInputError("as-of", f"must be a date YYYY-MM-DD; got {as_of!r}") from None
    started = time.perf_counter()
    book = read_book()
    folder = write_report(book, day, out)
    typer.echo(
        f"portfolio report as of {day}: {book.loans.height:,} loans read "
        f"({time.perf_counter() - started:.1f}s)"
    )
    typer.echo(f"  {folder / 'report.html'}")
    typer.echo(f"  {', '.join(f'{t}.csv' for t in TABLES)} in {folder}")
