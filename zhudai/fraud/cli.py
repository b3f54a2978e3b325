"""``zhudai fraud``: evaluate the fraud layer, train its model, run it over a world, trends."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import typer

from zhudai.exceptions import InvalidInputError
from zhudai.monitoring.seasonal import COUNT_FLOOR, K_SPREADS

app = typer.Typer(
    name="fraud",
    help="Real-time anti-fraud: velocity, device/IP/geo, lists, probing, rings, model, trends.",
    no_args_is_help=True,
)


def _log(message: str) -> None:
    typer.echo(message, err=True)


@app.command()
def evaluate(
    seed: int = typer.Option(..., help="Seed of the evaluated world."),
    customers: int = typer.Option(5000, min=100, help="Customers in each generated world."),
    months: int = typer.Option(12, min=1, max=60, help="Months of history per application."),
    train_seed: int | None = typer.Option(
        None, help="Seed of the training world (default: seed + 1000003; never the evaluated one)."
    ),
    difficulty: str = typer.Option(
        "realistic", help="How well the worlds' fraud hides: easy, realistic or hard."
    ),
) -> None:
    """Generate a world, run the whole fraud layer live over it, print metrics as JSON (last line)."""
    from zhudai.fraud.evaluation import evaluate_seed
    from zhudai.fraud.rings import default_ring_scorer_factory

    result = evaluate_seed(
        seed,
        customers,
        months=months,
        train_seed=train_seed,
        ring_scorer_factory=default_ring_scorer_factory(),
        difficulty=difficulty,
        log=_log,
    )
    typer.echo(json.dumps(result, ensure_ascii=False))


@app.command()
def train(
    world: Path = typer.Option(..., help="Labelled world folder (uses truth/ fraud labels)."),
    out: Path = typer.Option(..., help="Folder for the model (model.json + trees.npz)."),
) -> None:
    """Train the fraud model on a labelled world and save it."""
    from zhudai.fraud.evaluation import train_fraud_model
    from zhudai.fraud.rings import default_ring_scorer_factory

    model = train_fraud_model(world, default_ring_scorer_factory())
    model.save(out)
    typer.echo(json.dumps({"model": str(out), "threshold": model.threshold_}))


@app.command()
def run(
    out: Path = typer.Option(..., help="Output folder: results.parquet and trends.html."),
    world: Path | None = typer.Option(
        None, help="World folder (observable tables only are read); default: the store."
    ),
    db: str | None = typer.Option(
        None, "--db", help="SQLAlchemy URL of the store (default: settings)."
    ),
    model: Path | None = typer.Option(None, help="Model folder written by `zhudai fraud train`."),
) -> None:
    """Run the fraud layer over a world's (or the store's) applications in time order; write
    results and trends."""
    from zhudai.fraud.pipeline import run_fraud_layer

    if world is None:
        from zhudai.store.export import export_tables

        world = out / "store-tables"
        export_tables(world, db)
    paths = run_fraud_layer(world, out, model_dir=model)
    typer.echo(json.dumps({k: str(v) for k, v in paths.items()}))


@app.command()
def trends(
    out: Path = typer.Option(..., help="Output folder for trends.html (and alerts.csv)."),
    world: Path | None = typer.Option(None, help="World folder to replay (no model)."),
    results: Path | None = typer.Option(None, help="Stored results.parquet of an earlier run."),
    k: float = typer.Option(
        K_SPREADS, min=0.5, help="Alert band half-width in spreads of the weekday baseline."
    ),
    floor: int = typer.Option(
        COUNT_FLOOR, min=0, help="Hits (or identities) a day must be above its expectation."
    ),
) -> None:
    """Daily rule hit rates, velocity spikes, new/fast-growing clusters and weekday-aware alerts."""
    import polars as pl

    from zhudai.fraud.pipeline import replay_world
    from zhudai.fraud.trends import TrendSettings, build_trends, write_html

    if (world is None) == (results is None):
        raise InvalidInputError("--world/--results", "give exactly one of them")
    frame = pl.read_parquet(results) if results is not None else replay_world(world)  # type: ignore[arg-type]
    settings = replace(TrendSettings(), k=k, hit_floor=floor, velocity_floor=floor)
    report = build_trends(frame, settings)
    out.mkdir(parents=True, exist_ok=True)
    report.alerts.write_csv(out / "alerts.csv")
    path = write_html(report, out / "trends.html")
    typer.echo(json.dumps({"report": str(path), "alerts": report.alerts.height}))
