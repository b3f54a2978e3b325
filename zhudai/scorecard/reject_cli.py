"""``zhudai card reject-inference --world DIR [--method M ...] [--seed S] [--features FILE]``.

Prints the table of :mod:`zhudai.scorecard.reject_evaluation` and, last, one JSON line
``{known_good_bad_auc, methods: {name: auc}, default, gain}`` (through-the-door AUC against the
world's true PD).
"""

from __future__ import annotations

from pathlib import Path

import typer


def reject_inference(
    world: Path = typer.Option(..., "--world", help="A generated world folder (with truth/)."),
    method: list[str] = typer.Option(
        [], "--method", help="parcelling, fuzzy or reweighting (repeatable; default: all)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the customer split and of parcelling."),
    features: Path | None = typer.Option(
        None, "--features", help="Parquet of application features (default: computed)."
    ),
) -> None:
    """Known-good/bad card vs reject inference, judged against the world's true PD."""
    from zhudai.scorecard.reject_evaluation import evaluate_reject_inference
    from zhudai.scorecard.reject_inference import METHODS

    report = evaluate_reject_inference(world, method or tuple(METHODS), seed, features)
    for line in report.lines():
        typer.echo(line)
    typer.echo(report.json_line())
