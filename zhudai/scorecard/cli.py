"""``zhudai card``: train a credit model on a table and score a table with a saved model.

``zhudai card train --data FILE --target COL [--time-col COL --oot-from DATE] [--kind A|B|C]
[--model lr|xgb|lgbm|mlp] [--test-size 0.3 | --test-data FILE] --out DIR`` prints ONE JSON
line of train/test (and oot) metrics (``"test": null`` with ``--test-size 0``) and writes the
artefact, ``report.html``, ``scorecard.xlsx`` and (scorecards) ``scorecard.sql``
into DIR. ``zhudai card score --model DIR --data FILE --out FILE`` writes the input's id
columns (or row numbers) with ``score`` and ``pd``. FILE is CSV or Parquet.
``zhudai card reject-inference --world DIR``: see :mod:`zhudai.scorecard.reject_cli`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from zhudai.scorecard.reject_cli import reject_inference

app = typer.Typer(help="Scorecards and credit models: train, score.", no_args_is_help=True)
app.command("reject-inference")(reject_inference)


@app.command()
def train(
    data: Path = typer.Option(..., "--data", help="Training table (.csv or .parquet)."),
    target: str = typer.Option(..., "--target", help="Target column: 1 = bad, 0 = good."),
    out: Path = typer.Option(..., "--out", help="Directory for the model artefact and reports."),
    time_col: str | None = typer.Option(
        None, "--time-col", help="Date column for the out-of-time split."
    ),
    oot_from: str | None = typer.Option(
        None, "--oot-from", help="Rows on/after this date are out-of-time."
    ),
    kind: str = typer.Option(
        "A", "--kind", help="Card kind: A (application), B (behaviour), C (collection)."
    ),
    model: str = typer.Option("lr", "--model", help="lr (WOE scorecard), xgb, lgbm or mlp."),
    calibration: str | None = typer.Option(
        None, "--calibration", help="platt or isotonic on a 25% train holdout."
    ),
    exclude: list[str] = typer.Option(
        [], "--exclude", help="Columns not to use as features (repeatable)."
    ),
    test_size: float | None = typer.Option(
        None,
        "--test-size",
        help="Share of development rows held out for test (default 0.3); 0 fits every row.",
    ),
    test_data: Path | None = typer.Option(
        None,
        "--test-data",
        help="Table to test on (.csv or .parquet); every development row is then fitted.",
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed of the split and the model."),
    name: str | None = typer.Option(None, "--name", help="Model name in the artefact."),
    base_score: float = typer.Option(
        600.0, "--base-score", help="Scorecard points at the base odds."
    ),
    base_odds: float = typer.Option(50.0, "--base-odds", help="Good:bad odds at the base score."),
    pdo: float = typer.Option(20.0, "--pdo", help="Points to double the odds."),
) -> None:
    """Train, evaluate and save a model; print one JSON line of metrics."""
    from zhudai.scorecard.points import Scaling
    from zhudai.scorecard.training import metrics_line, write_artifacts
    from zhudai.scorecard.training import train as run_training
    from zhudai.table_files import read_pandas_table

    frame = read_pandas_table(data)
    test_frame = read_pandas_table(test_data, "test_data") if test_data is not None else None
    result = run_training(
        frame,
        target,
        model=model,
        kind=kind,
        time_col=time_col,
        oot_from=oot_from,
        exclude=exclude,
        test_size=test_size,
        test_data=test_frame,
        seed=seed,
        calibration=calibration,
        name=name,
        scaling=Scaling(base_score, base_odds, pdo),
    )
    write_artifacts(result, out)
    typer.echo(metrics_line(result, out))


@app.command()
def score(
    model: Path = typer.Option(..., "--model", help="Model artefact directory."),
    data: Path = typer.Option(..., "--data", help="Table to score (.csv or .parquet)."),
    out: Path = typer.Option(..., "--out", help="Output file (.csv or .parquet)."),
) -> None:
    """Score a table: write its ids with ``score`` and ``pd``."""
    from zhudai.scorecard.training import score_table
    from zhudai.table_files import read_pandas_table, table_kind, write_table

    table_kind(out, "out")
    scored = score_table(model, read_pandas_table(data))
    write_table(scored, out)
    typer.echo(f"scored {len(scored)} rows -> {out}")
