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
