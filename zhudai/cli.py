"""The ``zhudai`` command line.

Each capability owns a Typer app in ``zhudai/<package>/cli.py``; this module mounts them under
their contract names and turns zhudai's own errors into one clear line and a non-zero exit.
"""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

import zhudai
from zhudai.exceptions import ZhudaiError
from zhudai.imports import import_target
from zhudai.logs import configure_logging
from zhudai.parsing import as_input_error
from zhudai.settings import get_settings

app = typer.Typer(
    name="zhudai",
    help="Loan-facilitation risk platform: world, features, scorecards, decisions, fraud, loans, collections.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# (command name, "module:attribute") of each capability's Typer app.
SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("db", "zhudai.store.cli:app"),
    ("application", "zhudai.origination.cli:app"),
    ("world", "zhudai.world.cli:app"),
    ("features", "zhudai.features.cli:app"),
    ("graph", "zhudai.graph.cli:app"),
    ("card", "zhudai.scorecard.cli:app"),
    ("policy", "zhudai.decision.cli:policy_app"),
    ("decision", "zhudai.decision.cli:decision_app"),
    ("models", "zhudai.decision.model_cli:app"),
    ("fraud", "zhudai.fraud.cli:app"),
    ("loans", "zhudai.loans.cli:app"),
    ("collections", "zhudai.collections.cli:app"),
    ("callqa", "zhudai.callqa.cli:app"),
    ("apikey", "zhudai.api.cli:apikey_app"),
    ("serve", "zhudai.api.cli:serve_app"),
    ("audit", "zhudai.audit.cli:app"),
    ("acquisition", "zhudai.acquisition.cli:app"),
    ("monitor", "zhudai.monitoring.cli:app"),
)


def _mount(only: str | None = None) -> None:
    """Mount the capabilities' apps: all of them for top-level ``--help``, else only the one the
    command line names (so ``zhudai card ...`` does not import the graph or Spark stacks)."""
    for name, target in SUBCOMMANDS:
        if only is not None and name != only:
            continue
        app.add_typer(import_target(target), name=name)


@app.command()
def version() -> None:
    """Print zhudai's version."""
    typer.echo(zhudai.__version__)


@app.command()
def demo(
    out: str = typer.Option("zhudai-demo", help="Folder for every output of the demo."),
    customers: int = typer.Option(20000, min=100, help="Customers in the generated world."),
    seed: int = typer.Option(7, help="Random seed of the world."),
) -> None:
    """Run the whole platform end to end on the embedded default and say where outputs are."""
    from zhudai.demo import run_demo

    run_demo(out_dir=out, customers=customers, seed=seed)


@app.command()
def report(
    out: str = typer.Option(..., "--out", help="The HTML file to write (opens offline)."),
    lang: str = typer.Option("en", "--lang", help="Labels: en or zh."),
) -> None:
    """Write the web dashboard's views (overview, acquisition, portfolio, fraud, models,
    policies, monitoring, collections, call QA) into one self-contained HTML file to mail."""
    from zhudai.web.report import write_report

    typer.echo(str(write_report(out, lang=lang)))


def main() -> None:
    """Entry point: run the app; zhudai's own errors and database errors become one line on
    stderr and exit code 2."""
    try:
        settings = get_settings()
        configure_logging(settings.log_level, as_json=settings.log_json)
        _mount(next((a for a in sys.argv[1:] if not a.startswith("-")), None))
        app()  # standalone: click prints its own usage errors and exits
    except ZhudaiError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        sys.exit(2)
    except ValidationError as exc:  # e.g. invalid ZHUDAI_* settings
        typer.secho(f"error: {as_input_error(exc, 'settings')}", err=True, fg="red")
        sys.exit(2)
    except Exception as exc:  # a database error (server down, wrong password, constraint)
        if "sqlalchemy" not in sys.modules:  # so it cannot be one; keeps startup import-light
            raise
        from sqlalchemy.exc import SQLAlchemyError

        if not isinstance(exc, SQLAlchemyError):
            raise
        from zhudai.store.db import describe_error

        urls = [get_settings().db_url or "", *sys.argv[1:]]  # ZHUDAI_DB_URL, env file, --url
        typer.secho(f"error: database: {describe_error(exc, urls)}", err=True, fg="red")
        sys.exit(2)
