"""``zhudai db``: schema migrations and loading data into the store."""

from __future__ import annotations

from pathlib import Path

import typer

from zhudai.store import migrate

app = typer.Typer(
    help="The store: migrate the schema, load a generated world.", no_args_is_help=True
)


@app.command("upgrade")
def upgrade_cmd(
    url: str | None = typer.Option(
        None, "--url", help="SQLAlchemy URL (default: ZHUDAI_DB_URL or the embedded SQLite file)."
    ),
    revision: str = typer.Option("head", help="Target revision."),
) -> None:
    """Apply schema migrations up to REVISION (default: the newest)."""
    used = migrate.upgrade(url, revision)
    typer.echo(f"database {used} at revision {migrate.current_revision(url)}")


@app.command("current")
def current_cmd(url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL.")) -> None:
    """Print the revision the database is at."""
    typer.echo(migrate.current_revision(url) or "empty (run `zhudai db upgrade`)")


@app.command("load-world")
def load_world_cmd(
    world_dir: Path = typer.Argument(..., help="Folder written by `zhudai world generate --out`."),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL."),
) -> None:
    """Load a generated world into the store (one transaction)."""
    from zhudai.store.world_loader import load_world_dir

    for table, rows in load_world_dir(world_dir, url).items():
        typer.echo(f"{table}\t{rows}")


application_app = typer.Typer(
    help="Applications: submit one from a JSON file.", no_args_is_help=True
)


@application_app.command("submit")
def submit_cmd(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON object: customer, product_code, amount ..."
    ),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL."),
) -> None:
    """Validate and store one application; prints its id and the customer's masked identity."""
    import json

    from zhudai.exceptions import InvalidInputError
    from zhudai.store.applications import submit_application

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            "file", f"{file} is not valid JSON ({exc.msg} at line {exc.lineno})"
        ) from None
    migrate.upgrade(url)
    typer.echo(f"application {submit_application(data, url)} stored")
