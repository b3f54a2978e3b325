"""``zhudai acquisition ...``: funder allocation on a simulated day."""

from __future__ import annotations

import json

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
