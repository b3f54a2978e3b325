"""Demo stage ``bcard`` (after ``loans``): the B-card trained on the book's behaviour histories,
installed as ``<home>/models/bcard``, the book scored at the observation day's month-end and
the in-loan strategies run for it (twice: the second run applies nothing)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

from zhudai.decision.service import installed_decisions
from zhudai.exceptions import InvalidInputError
from zhudai.loans.analytics import last_month_end
from zhudai.loans.bcard import train_bcard
from zhudai.loans.strategies import install_policy, run_strategies
from zhudai.scorecard.training import write_artifacts


def run_stage(ctx: Any) -> list[str]:
    day: date | None = ctx.artifacts.get("observation_date")
    if day is None:
        return ["bcard skipped: no observation date (run the world stage first)"]
    url = ctx.settings.database_url
    try:
        training = train_bcard(url, day, seed=ctx.seed)
    except InvalidInputError as exc:
        return [f"bcard skipped: {exc}"]
    paths = write_artifacts(training.result, Path(ctx.out_dir) / "cards" / "bcard")
    target = Path(ctx.settings.home) / "models" / "bcard"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(paths["model"], target)
    ctx.artifacts["bcard_model_dir"] = target
    m = training.result.metrics
    month_end = last_month_end(day)
    decisions = installed_decisions(ctx.settings)
    version = install_policy(decisions.store)
    first = run_strategies(month_end, decisions, url, model_dir=target, actor="demo")
    again = run_strategies(month_end, decisions, url, model_dir=target, actor="demo")
    return [
        f"B-card: {training.rows:,} loan x month-end points ({training.month_ends[0]} to "
        f"{training.month_ends[1]}), bad (30+ DPD in the next 6 months) "
        f"{training.bad_rate:.2%}; {m['n_features']} features; "
        + "; ".join(
            f"{p} AUC {m[p]['auc']:.3f} KS {m[p]['ks']:.3f}" for p in ("train", "test", "oot")
        ),
        f"  report: {paths['report']}",
        f"in-loan strategies {month_end} (inloan v{version}): {first.scored_loans:,} loans "
        f"scored, {first.units:,} decided, outcomes {dict(sorted(first.outcomes.items()))}, "
        f"applied {dict(sorted(first.applied.items()))}",
        f"  run again: applied {dict(sorted(again.applied.items()))}, already applied "
        f"{sum(again.already_applied.values()):,}",
    ]
