"""``zhudai monitor``: drift and alert report of every policy and model."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import polars as pl

    from zhudai.monitoring.report import MonitoringReport

from zhudai.exceptions import InvalidInputError

app = typer.Typer(
    name="monitor",
    help="Monitoring: PSI/CSI, approval, bad-rate and rule-hit drift, weekday-aware alerts.",
    no_args_is_help=True,
)


@app.callback()
def _group() -> None:
    """Monitoring: PSI/CSI, approval, bad-rate and rule-hit drift, weekday-aware alerts."""


@app.command()
def report(
    out: Path = typer.Option(..., "--out", help="HTML report to write (alerts CSV beside it)."),
    home: Path | None = typer.Option(
        None, "--home", help="A zhudai home: monitor the decision records of its store."
    ),
    world: Path | None = typer.Option(
        None, "--world", help="A bank's files (a world folder): monitor its historical policy."
    ),
    fraud_results: Path | None = typer.Option(
        None,
        "--fraud-results",
        help="With --world: a fraud replay's results.parquet (else replayed).",
    ),
    until: str | None = typer.Option(
        None, "--until", help="Only days before this one (default with --world: the window's end)."
    ),
) -> None:
    """Write the alert report; print its summary as the last line (JSON: ``alerts``, ``weeks``,
    ``alerts_per_week``, ``max_alerts_in_a_week``, ``by_kind``, ``report``)."""
    import polars as pl

    from zhudai.monitoring.report import write_html

    if (home is None) == (world is None):
        raise InvalidInputError("--home/--world", "give exactly one of them")
    if fraud_results is not None and world is None:
        raise InvalidInputError("--fraud-results", "goes with --world only")
    end = _day(until) if until else None
    if world is not None:
        built, _ = _world_report(world, fraud_results, end)
    else:
        from zhudai.monitoring import sources
        from zhudai.monitoring.report import build_report
        from zhudai.settings import Settings

        settings = Settings(home=home)  # type: ignore[call-arg]
        if not settings.db_url and not (home / "zhudai.db").exists():  # type: ignore[operator]
            raise InvalidInputError("--home", f"{home} has no store (zhudai.db)")
        decisions = sources.from_store(settings.database_url)
        if end is not None:
            decisions = decisions.filter(pl.col("decided_at").dt.date() < end)
        built = build_report(decisions)
    path = write_html(built, out)
    built.alerts.write_csv(path.with_suffix(".alerts.csv"))
    typer.echo(json.dumps({**built.summary(), "report": str(path)}, ensure_ascii=False))


@app.command()
def evaluate(
    world: Path = typer.Option(..., "--world", help="A generated world (its truth is read)."),
    fraud_results: Path | None = typer.Option(
        None, "--fraud-results", help="A fraud replay's results.parquet (else replayed)."
    ),
) -> None:
    """Evaluation on a generated world: how many planted attacks and shocks an alert found
    within a day of their start; prints the report summary plus ``planted``, ``found`` (rings
    and probing by alerts involving their applications) and ``coincident`` (an alert of a kind
    that sees the attack opened in time, whatever its cause) by kind as the last line (JSON)."""
    import polars as pl

    from zhudai.monitoring.evaluation import WITHIN_DAYS, evaluate_detection, planted_attacks

    built, results = _world_report(world, fraud_results, None)
    found = evaluate_detection(built.alerts, planted_attacks(world), results)
    by_kind = found.group_by("kind").agg(
        pl.len().alias("planted"), pl.col("found").sum(), pl.col("coincident").sum()
    )
    typer.echo(
        json.dumps(
            {
                **built.summary(),
                "within_days": WITHIN_DAYS,
                "planted": dict(by_kind.select("kind", "planted").iter_rows()),
                "found": dict(by_kind.select("kind", "found").iter_rows()),
                "coincident": dict(by_kind.select("kind", "coincident").iter_rows()),
            },
            ensure_ascii=False,
        )
    )


def _world_report(
    world: Path, fraud_results: Path | None, end: date | None
) -> tuple[MonitoringReport, pl.DataFrame]:
    """The report of a bank's files, with a fraud replay's rule hits (read or replayed), and
    that replay's results."""
    import polars as pl

    from zhudai.monitoring import sources
    from zhudai.monitoring.report import build_report

    if not (world / "applications.parquet").exists():
        raise InvalidInputError("--world", f"{world} has no applications.parquet")
    if fraud_results is not None:
        if not fraud_results.exists():
            raise InvalidInputError("--fraud-results", f"{fraud_results} does not exist")
        results = pl.read_parquet(fraud_results)
    else:
        from zhudai.fraud.pipeline import replay_world

        results = replay_world(world)
    decisions = sources.from_files(world, results, end or sources.application_window_end(world))
    return build_report(decisions, results), results


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError("--until", f"must be a date YYYY-MM-DD; got {value!r}") from None
