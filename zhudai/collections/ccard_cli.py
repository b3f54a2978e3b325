"""``zhudai collections ccard-train | ccard-score``: the C-card from the command line.

Only typer is imported here; polars and the scorecard toolkit load when a command runs.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer


def ccard_train_cmd(
    as_of: datetime | None = typer.Option(
        None, formats=["%Y-%m-%d"], help="Day the book is observed to (default: its last close)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Artefact folder (default <home>/models/ccard, the installed card)."
    ),
    oot_share: float = typer.Option(0.2, "--oot-share", help="Latest share kept out of time."),
    seed: int = typer.Option(0, "--seed"),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL of the store."),
) -> None:
    """Train the C-card (WOE + LR, points 600 @ 50:1, PDO 20) on the book's overdue episodes,
    one point per 30-day review (label: overdue amount cleared within 30 days); print AUC/KS
    per sample, the out-of-time one last in time."""
    from zhudai.collections.ccard import train_ccard
    from zhudai.scorecard.training import write_artifacts
    from zhudai.settings import get_settings

    training = train_ccard(url, as_of.date() if as_of else None, oot_share=oot_share, seed=seed)
    folder = out or get_settings().home / "models" / "ccard"
    paths = write_artifacts(training.result, folder)
    typer.echo(training_summary(training))
    typer.echo(f"  model: {paths['model']}")
    typer.echo(f"  report: {paths['report']}")


def training_summary(training: object) -> str:
    """Two lines on a :class:`~zhudai.collections.ccard.CcardTraining` (CLI and demo)."""
    from zhudai.collections.ccard import CcardTraining

    assert isinstance(training, CcardTraining)
    m = training.result.metrics
    first, last = training.review_days
    return (
        f"C-card: {training.rows:,} review points (overdue episode x 30-day review, {first} to "
        f"{last}), repaid within 30 days {training.repaid_rate:.2%}, out of time from "
        f"{training.oot_from}\n  {m['n_features']} features; "
        + "; ".join(
            f"{p} n {m[p]['n']:,} AUC {m[p]['auc']:.3f} KS {m[p]['ks']:.3f}"
            for p in ("train", "test", "oot")
        )
    )


def ccard_score_cmd(
    day: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="The day YYYY-MM-DD (closed)."),
    out: Path | None = typer.Option(None, "--out", help="CSV of every scored loan."),
    model: Path | None = typer.Option(None, "--model", help="Artefact folder (default installed)."),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL of the store."),
) -> None:
    """Score every loan past due at the end of DAY with the C-card and keep the score on its
    live case (run after process-cases of DAY)."""
    from zhudai.collections.case_book import CaseBook
    from zhudai.collections.ccard import score_overdue

    scored = score_overdue(url, day.date(), model)
    if scored.height == 0:
        typer.echo(f"C-card scores at {day.date()}: no loan past due")
        return
    cases = CaseBook(url).record_scores(dict(zip(scored["loan_id"], scored["cscore"], strict=True)))
    p, points = scored["p_repay"].to_numpy(), scored["cscore"].to_numpy()
    typer.echo(
        f"C-card scores at {day.date()}: {scored.height:,} loans past due, mean P(repaid within "
        f"30 days) {float(p.mean()):.4f}, score {float(points.min()):.0f}-"
        f"{float(points.max()):.0f}; {cases:,} live cases scored"
    )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        scored.write_csv(out)
        typer.echo(f"  {out}")
