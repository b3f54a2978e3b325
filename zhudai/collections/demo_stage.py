"""Demo stage ``collections`` (after ``bcard``): the day's cases from the book, the C-card
trained on the book's collection outcomes and installed as ``<home>/models/ccard``, the live
cases scored and allocated, then the C-card and bucket-only strategies compared on the book's
out-of-time overdue cases with the world's response model (evaluation code), the next day's
reminders, and the collectors' and agencies' scorecards on the book's call history."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from zhudai.collections.allocation import load_allocation
from zhudai.collections.allocation_job import process_allocation
from zhudai.collections.case_book import CaseBook
from zhudai.collections.ccard import train_ccard
from zhudai.collections.ccard_cli import training_summary
from zhudai.collections.reminders import process_reminders
from zhudai.collections.scorecards import collector_scorecards, scorecard_lines
from zhudai.collections.strategy_evaluation import compare_strategies, report_lines
from zhudai.collections.strategy_record import save_comparison
from zhudai.exceptions import InvalidInputError
from zhudai.scorecard.training import write_artifacts


def run_stage(ctx: Any) -> list[str]:
    day: date | None = ctx.artifacts.get("observation_date")
    world = ctx.artifacts.get("world_dir")
    if day is None or world is None:
        return ["collections skipped: no observation date or world (run the world stage first)"]
    url = ctx.settings.database_url
    cases = CaseBook(url).process_cases(day)
    try:
        training = train_ccard(url, day, seed=ctx.seed)
    except InvalidInputError as exc:
        return [f"collections: {cases.live} live cases; C-card skipped: {exc}"]
    paths = write_artifacts(training.result, Path(ctx.out_dir) / "cards" / "ccard")
    target = Path(ctx.settings.home) / "models" / "ccard"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(paths["model"], target)
    ctx.artifacts["ccard_model_dir"] = target
    config = load_allocation()
    allocation = process_allocation(day, url, config=config, model_dir=target)
    comparison = compare_strategies(url, world, day, config, seed=ctx.seed, training=training)
    reminders = process_reminders(
        day + timedelta(days=1), url, model_dir=ctx.artifacts.get("bcard_model_dir")
    )
    ctx.artifacts["collections_comparison"] = comparison.headline()
    save_comparison(comparison.record(), ctx.settings.home)
    return [
        f"cases on {day}: opened {cases.opened}, live {cases.live}",
        training_summary(training),
        f"allocated {allocation.cases} live cases ({allocation.strategy}): "
        f"{allocation.treatments}, queues {allocation.queues}, overflowed {allocation.overflowed}",
        *report_lines(comparison),
        f"headline: {comparison.headline()}",
        f"reminders for {reminders.day}: {reminders.planned} by B-card band {reminders.bands}, "
        f"allowed by the guard {reminders.allowed}, blocked {reminders.blocked}",
        "collectors and agencies on the book's call history (guard replayed):",
        *scorecard_lines(collector_scorecards(url)),
    ]
