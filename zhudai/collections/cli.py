"""``zhudai collections``: the compliance guard as a command, for checks from outside."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer

from zhudai.collections.ccard_cli import ccard_score_cmd, ccard_train_cmd

if TYPE_CHECKING:
    from zhudai.collections.guard import ComplianceGuard

app = typer.Typer(
    name="collections",
    help="Collections: the compliance guard that judges actions before they happen.",
    no_args_is_help=True,
)


def guard_lines(lines: TextIO, out: TextIO, guard: ComplianceGuard) -> Counter[str]:
    """Judge each JSON line of ``lines`` in order, one answer line each on ``out``: an allowed
    action counts towards the day's limits, a blocked or invalid one does not. A line that is
    not a valid action answers ``allowed: false, rule: "invalid_input"`` with the line number
    and the field in ``reason``; the other lines still run."""
    from zhudai.collections.guard import GuardDecision
    from zhudai.collections.rules import RuleId
    from zhudai.exceptions import InvalidInputError
    from zhudai.json_lines import one_line, read_object

    counts: Counter[str] = Counter()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        raw: Any = None
        try:
            raw = read_object(line)
            decision = guard.propose(raw)
        except InvalidInputError as exc:
            ident = raw.get("action_id") if isinstance(raw, dict) else None
            decision = GuardDecision(
                action_id=ident if isinstance(ident, str) else None,
                allowed=False,
                rule=RuleId.INVALID_INPUT,
                reason=f"line {number}: {exc}",
            )
        counts[decision.rule.value if decision.rule else "allowed"] += 1
        out.write(one_line(decision.model_dump(mode="json")) + "\n")
    return counts


@app.command("guard")
def guard_cmd(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="JSON Lines: one proposed action per line, in time order.",
    ),
    rules: Path | None = typer.Option(
        None, "--rules", help="YAML/JSON file changing the rules' limits (default: all on)."
    ),
    record: bool = typer.Option(
        False, "--record", help="Also keep every judged action in the store's action records."
    ),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL of the store (--record)."),
) -> None:
    """Judge every proposed action of FILE against the collection rules; print one line each
    ({action_id, allowed, rule, reason}), a summary on stderr; exit 1 if a line was invalid."""
    import sys

    from zhudai.collections.guard import ComplianceGuard
    from zhudai.collections.rules import load_rules

    guard_rules = load_rules(rules)
    log = None
    if record:
        from zhudai.collections.record_store import StoreActionLog

        log = StoreActionLog(url, guard_rules)
    with file.open(encoding="utf-8-sig") as lines:  # a byte-order mark (Windows tools) is skipped
        counts = guard_lines(lines, sys.stdout, ComplianceGuard(guard_rules, log=log))
    summary = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    typer.echo(f"judged {sum(counts.values())} actions: {summary or 'none'}", err=True)
    if counts["invalid_input"]:
        raise typer.Exit(code=1)


def _case_json(case: Any) -> str:
    from dataclasses import asdict

    data = asdict(case)
    return json.dumps(
        {k: data[k] for k in ("case_id", "loan_id", "state", "promise_due", "history")},
        ensure_ascii=False,
        default=lambda v: v.isoformat(),
    )


@app.command("purge-records")
def purge_records_cmd(
    before: datetime = typer.Option(
        ..., formats=["%Y-%m-%d"], help="Delete records of actions before this day (Asia/Shanghai)."
    ),
    rules: Path | None = typer.Option(None, "--rules", help="Rules file (its retention_years)."),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL of the store."),
) -> None:
    """Delete old action records; refused if it would delete one younger than the retention
    period (2 years by default)."""
    from zhudai.collections.record_store import StoreActionLog
    from zhudai.collections.rules import load_rules
    from zhudai.times import from_local

    deleted = StoreActionLog(url, load_rules(rules)).purge(from_local(before))
    typer.echo(json.dumps({"deleted": deleted}))


@app.command("process-cases")
def process_cases_cmd(
    day: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="The day YYYY-MM-DD (closed)."),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL of the store."),
) -> None:
    """Open, follow and end collection cases from the loan book after its close of DAY."""
    from dataclasses import asdict

    from zhudai.collections.case_book import CaseBook

    report = CaseBook(url).process_cases(day.date())
    typer.echo(json.dumps(asdict(report), default=str))


@app.command("case")
def case_cmd(
    case_id: int = typer.Argument(..., help="The case's id."),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL of the store."),
) -> None:
    """Print a case: its state, the promise in force, and every move."""
    from zhudai.collections.case_book import CaseBook

    typer.echo(_case_json(CaseBook(url).case(case_id)))


@app.command("move")
def move_cmd(
    case_id: int = typer.Argument(..., help="The case's id."),
    to: str = typer.Option(..., "--to", help="The new state, e.g. in_progress, promise_to_pay."),
    reason: str = typer.Option(..., help="Why (kept in the case's history)."),
    actor: str = typer.Option(..., help="Who moves it (a collector or agency id)."),
    promise_due: datetime | None = typer.Option(
        None, formats=["%Y-%m-%d"], help="The day a promise to pay is due."
    ),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL of the store."),
) -> None:
    """Move a case to another state (checked against the allowed moves); print the case."""
    from zhudai.collections.case_book import CaseBook
    from zhudai.times import utc_now

    due = promise_due.date() if promise_due else None
    case = CaseBook(url).move(case_id, to, utc_now(), reason, actor, promise_due=due)
    typer.echo(_case_json(case))


app.command("ccard-train")(ccard_train_cmd)
app.command("ccard-score")(ccard_score_cmd)


@app.command("allocate")
def allocate_cmd(
    day: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="The day YYYY-MM-DD (closed)."),
    strategy: str = typer.Option("ccard", help="A strategy of the allocation settings."),
    config: Path | None = typer.Option(
        None, "--config", help="Allocation settings (default: the shipped allocation.yaml)."
    ),
    model: Path | None = typer.Option(None, "--model", help="C-card folder (default installed)."),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL of the store."),
) -> None:
    """Score the live cases with the C-card and put each in a queue (SMS, automated call, an
    agent, an agency) by bucket x C-score band x amount band, within capacities."""
    from dataclasses import asdict

    from zhudai.collections.allocation import load_allocation
    from zhudai.collections.allocation_job import process_allocation

    report = process_allocation(
        day.date(), url, strategy=strategy, config=load_allocation(config), model_dir=model
    )
    typer.echo(json.dumps(asdict(report), default=str))


@app.command("queue")
def queue_cmd(
    name: str = typer.Argument(..., help="A queue: an agent, an agency, sms, auto-dialler."),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL of the store."),
) -> None:
    """List the live cases in a queue, one JSON line each."""
    from dataclasses import asdict

    from zhudai.collections.case_book import CaseBook

    for case in CaseBook(url).live_cases(name):
        typer.echo(json.dumps(asdict(case), default=str))


@app.command("simulate")
def simulate_cmd(
    customers: int = typer.Option(3000, "--customers", min=100, help="Customers in the world."),
    seed: int = typer.Option(7, "--seed", help="Seed of the world and the simulation."),
    runs: int = typer.Option(20, "--runs", min=1, help="Simulated runs of every case."),
    config: Path | None = typer.Option(
        None, "--config", help="Allocation settings (default: the shipped allocation.yaml)."
    ),
) -> None:
    """Generate a world, take over its book, train the C-card, and work the book's out-of-time
    overdue cases under the bucket-only and the C-card strategies with the world's response
    model; print the comparison and, last, one JSON line."""
    from zhudai.collections.allocation import load_allocation
    from zhudai.collections.strategy_evaluation import evaluate_on_new_world, report_lines

    comparison = evaluate_on_new_world(customers, seed, load_allocation(config), runs)
    for line in report_lines(comparison):
        typer.echo(line)
    typer.echo(json.dumps(comparison.headline()))


@app.command("scorecards")
def scorecards_cmd(
    out: Path | None = typer.Option(None, "--out", help="CSV of the scorecards."),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL of the store."),
) -> None:
    """Collector and agency scorecards from the book's collection history: calls, contact and
    promise rates, recovered, and the calls the compliance guard blocks on a replay, by rule."""
    from zhudai.collections.scorecards import collector_scorecards, scorecard_lines

    cards = collector_scorecards(url)
    for line in scorecard_lines(cards):
        typer.echo(line)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        cards.write_csv(out)
        typer.echo(f"  {out}")


@app.command("reminders")
def reminders_cmd(
    day: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="The day YYYY-MM-DD."),
    settings: Path | None = typer.Option(
        None, "--settings", help="Reminder settings (default: the shipped reminders.yaml)."
    ),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL of the store."),
) -> None:
    """Plan the day's reminders (D-3, D-1, D0 by SMS or automated call) by B-card band, each
    judged by the compliance guard; print what would go."""
    from dataclasses import asdict

    from zhudai.collections.reminders import load_reminders, process_reminders

    report = process_reminders(day.date(), url, settings=load_reminders(settings))
    typer.echo(json.dumps(asdict(report), default=str))


@app.command("reminder-effect")
def reminder_effect_cmd(
    start: datetime = typer.Option(
        ..., formats=["%Y-%m-%d"], help="First due date of the window YYYY-MM-DD."
    ),
    days: int = typer.Option(90, help="Days of due dates in the window."),
    seed: int = typer.Option(0, help="Seed of the holdout assignment and the answers."),
    settings: Path | None = typer.Option(
        None, "--settings", help="Reminder settings (default: the shipped reminders.yaml)."
    ),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL of the store."),
) -> None:
    """Measure the reminders' effect on FPD7 as a randomised holdout over the book's first
    installments due in the window (the world answers for the reminded arm); one JSON line."""
    from zhudai.collections.reminder_evaluation import evaluate_reminders
    from zhudai.collections.reminders import load_reminders

    out = evaluate_reminders(start.date(), days, url, settings=load_reminders(settings), seed=seed)
    typer.echo(json.dumps(out))
