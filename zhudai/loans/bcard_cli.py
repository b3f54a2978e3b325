"""``zhudai loans bcard-train | bcard-score | strategies``: the B-card and the in-loan
strategies from the command line.

Mounted by ``zhudai/loans/cli.py``::

    from zhudai.loans.bcard_cli import bcard_score_cmd, bcard_train_cmd, strategies_run_cmd

    app.command("bcard-train")(bcard_train_cmd)
    app.command("bcard-score")(bcard_score_cmd)
    app.command("strategies")(strategies_run_cmd)

Only typer is imported here; polars, the scorecard toolkit and the decision engine load when a
command runs.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from zhudai.exceptions import InvalidInputError


def _day(field: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(field, f"must be a date YYYY-MM-DD; got {text!r}") from None


def bcard_train_cmd(
    as_of: str | None = typer.Option(
        None, "--as-of", help="Day the book is observed to (default: its last projection)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Artefact folder (default <home>/models/bcard, the installed card)."
    ),
    oot_share: float = typer.Option(0.2, "--oot-share", help="Latest share kept out of time."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Train the B-card (WOE + LR, points 600 @ 50:1, PDO 20) on the book's behaviour at every
    observed month-end (bad: 30+ DPD in the next 6 months); print AUC/KS per sample."""
    from zhudai.loans.bcard import train_bcard
    from zhudai.scorecard.training import write_artifacts
    from zhudai.settings import get_settings

    training = train_bcard(None, _day("as-of", as_of), oot_share=oot_share, seed=seed)
    folder = out or get_settings().home / "models" / "bcard"
    paths = write_artifacts(training.result, folder)
    m = training.result.metrics
    first, last = training.month_ends
    typer.echo(
        f"B-card: {training.rows:,} observation points (loan x month-end, {first} to {last}), "
        f"bad rate {training.bad_rate:.4f}, out of time from {training.oot_from}"
    )
    typer.echo(
        f"  {m['n_features']} features; "
        + "; ".join(
            f"{p} n {m[p]['n']:,} AUC {m[p]['auc']:.3f} KS {m[p]['ks']:.3f}"
            for p in ("train", "test", "oot")
            if p in m
        )
        + f"; PSI train->oot {m['psi'].get('train_oot', float('nan')):.3f}"
    )
    typer.echo(f"  model: {paths['model']}")
    typer.echo(f"  report: {paths['report']}")


def bcard_score_cmd(
    month_end: str = typer.Option(..., "--month-end", help="A month's last day, YYYY-MM-DD."),
    out: Path | None = typer.Option(None, "--out", help="CSV of every scored loan."),
    model: Path | None = typer.Option(None, "--model", help="Artefact folder (default installed)."),
) -> None:
    """Score the active, not-overdue loans at a month-end with the B-card: B-score and PD."""
    import numpy as np

    from zhudai.loans.bcard import score_book

    day = _day("month-end", month_end)
    assert day is not None
    scored = score_book(None, day, model)
    if scored.height == 0:
        typer.echo(f"B-card scores at {day}: no active loan without arrears")
        return
    bpd, points = scored["bpd"].to_numpy(), scored["bscore"].to_numpy()
    q = [float(v) for v in np.quantile(bpd, (0.1, 0.5, 0.9))]
    typer.echo(
        f"B-card scores at {day}: {scored.height:,} loans, mean PD {float(bpd.mean()):.4f} "
        f"(p10 {q[0]:.4f}, p50 {q[1]:.4f}, p90 {q[2]:.4f}), score "
        f"{float(points.min()):.0f}-{float(points.max()):.0f}"
    )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        scored.write_csv(out)
        typer.echo(f"  {out}")


def strategies_run_cmd(
    month_end: str = typer.Option(..., "--month-end", help="A month's last day, YYYY-MM-DD."),
    actor: str = typer.Option("risk", "--actor", help="Who the audit chain records."),
    model: Path | None = typer.Option(None, "--model", help="Artefact folder (default installed)."),
) -> None:
    """Run the in-loan strategies for a month-end: freeze, limit up/down, price down/up on the
    lines, the early-warning list for loans off a line; a re-run applies nothing twice."""
    from zhudai.decision.service import installed_decisions
    from zhudai.loans.strategies import POLICY, install_policy, run_strategies

    day = _day("month-end", month_end)
    assert day is not None
    decisions = installed_decisions()
    version = install_policy(decisions.store)
    report = run_strategies(day, decisions, model_dir=model, actor=actor)
    typer.echo(
        f"in-loan strategies {day} ({POLICY} v{version}): {report.scored_loans:,} loans scored, "
        f"{report.units:,} decided (lines and loans off a line), "
        f"{report.skipped_past_due:,} lines past due and {report.skipped_new:,} with nothing "
        "due yet left out"
    )
    typer.echo("  outcomes: " + json.dumps(dict(sorted(report.outcomes.items()))))
    typer.echo("  reasons: " + json.dumps(dict(sorted(report.reasons.items()))))
    typer.echo("  applied: " + json.dumps(dict(sorted(report.applied.items()))))
    typer.echo("  already applied: " + json.dumps(dict(sorted(report.already_applied.items()))))
