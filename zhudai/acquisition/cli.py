"""``zhudai acquisition ...``: funder allocation on a simulated day."""

from __future__ import annotations

import json
from datetime import date

import typer

from zhudai.exceptions import InvalidInputError

app = typer.Typer(
    help="Acquisition: funder allocation and channel economics.", no_args_is_help=True
)


@app.callback()
def _acquisition() -> None:
    """Acquisition: channels, partner banks and the allocation of applicants to them."""


@app.command()
def simulate(
    customers: int = typer.Option(5000, help="Customers in the generated world."),
    seed: int = typer.Option(7, help="Seed of the world and of the simulated banks."),
    tightness: float = typer.Option(
        0.6, help="Share of the day's demand the banks' capacities cover (0-1]."
    ),
) -> None:
    """Allocate one simulated day's approved applicants to the partner banks three ways
    (random, the real-time greedy rule, the batch optimum) and print, last, one JSON line:
    {random_profit, greedy_profit, batch_profit, quota_violations, push_rejection_rate}."""
    from rich.console import Console
    from rich.table import Table

    from zhudai.acquisition.evaluation import simulate as run

    if customers < 200:
        raise InvalidInputError("customers", f"must be at least 200; got {customers}")
    if not 0 < tightness <= 1:
        raise InvalidInputError("tightness", f"must be in (0, 1]; got {tightness}")
    out = run(customers, seed, tightness)
    table = Table(title=f"funder allocation: world of {customers} customers, seed {seed}")
    for col in ("strategy", "pushed", "expected profit", "realised profit", "push refused"):
        table.add_column(col, justify="left" if col == "strategy" else "right")
    for name, s in out["strategies"].items():
        table.add_row(
            name,
            str(s["pushed"]),
            f"{s['expected_profit']:,.0f}",
            f"{s['realised_profit']:,.0f}",
            f"{s['push_rejection_rate']:.1%}",
        )
    Console(stderr=False).print(table)
    typer.echo(json.dumps(out, ensure_ascii=False, sort_keys=True))


@app.command()
def report(
    by: str = typer.Option("channel", help="channel | product | funder | all"),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Day YYYY-MM-DD (default: the loan book's last close)."
    ),
    out: str | None = typer.Option(None, help="Also write the HTML page here."),
    shift: float = typer.Option(0.2, help="Share of a below-median channel's spend to move."),
) -> None:
    """Channel economics from the store: approval, funding, FPD7/FPD30, cost per funded loan,
    expected loss, profit and ROI by channel, product or funder, and a budget recommendation;
    prints the tables and, last, one JSON line {as_of, tables, budget}."""
    from dataclasses import asdict
    from pathlib import Path

    from zhudai.acquisition.channel_economics import (
        GROUPS,
        book_as_of,
        budget_recommendation,
        economics_tables,
    )
    from zhudai.acquisition.report import write_report

    groups = GROUPS if by == "all" else (by,)
    if by != "all" and by not in GROUPS:
        raise InvalidInputError("by", f"must be one of channel, product, funder, all; got {by!r}")
    day = book_as_of() if as_of is None else _day(as_of)
    if day is None:
        raise InvalidInputError("as_of", "the loan book has no daily close yet; give --as-of")
    tables = economics_tables(groups, as_of=day)
    channel = tables.get("channel")
    moves = budget_recommendation(channel, shift) if channel is not None else []
    for g, t in tables.items():
        typer.echo(f"by {g}")
        typer.echo(t.write_csv())
    if out:
        typer.echo(f"report written to {write_report(tables, moves, day, Path(out))}")
    typer.echo(
        json.dumps(
            {
                "as_of": day.isoformat(),
                "tables": {g: t.to_dicts() for g, t in tables.items()},
                "budget": [asdict(m) for m in moves],
            },
            ensure_ascii=False,
        )
    )


@app.command("cross-sell")
def cross_sell(
    world: str = typer.Option(..., help="The generated world whose people answer the offers."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Day of the offers YYYY-MM-DD (default: the book's last close)."
    ),
) -> None:
    """Offer cash installment to the store's good air-ticket installment customers and measure
    take-up and risk against the directly acquired cash loans; prints, last, one JSON line."""
    from pathlib import Path

    from zhudai.acquisition.channel_economics import book_as_of
    from zhudai.acquisition.evaluation import evaluate_cross_sell
    from zhudai.exceptions import MissingFileError

    if not (Path(world) / "world.json").is_file():
        raise MissingFileError("world", world)
    day = book_as_of() if as_of is None else _day(as_of)
    if day is None:
        raise InvalidInputError("as_of", "the loan book has no daily close yet; give --as-of")
    typer.echo(json.dumps(evaluate_cross_sell(world, day), sort_keys=True))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError("as_of", f"must be a date YYYY-MM-DD; got {text!r}") from None
