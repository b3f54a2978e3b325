"""``zhudai graph``: build a world's relationship graph and its ring tables."""

from __future__ import annotations

from pathlib import Path

import typer

from zhudai.exceptions import InvalidInputError

app = typer.Typer(help="Relationship graph and fraud-ring scores.", no_args_is_help=True)


@app.callback()
def _graph() -> None:
    """Relationship graph: shared devices, IPs, phones, contacts, cards, IDs, addresses."""


@app.command()
def build(
    world: Path | None = typer.Option(
        None, "--world", help="World folder (zhudai world generate --out); default: the store."
    ),
    db: str | None = typer.Option(
        None, "--db", help="SQLAlchemy URL of the store (default: settings)."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for the graph's Parquet tables."),
    link_cap: int = typer.Option(20, "--link-cap", help="Most applications one value links."),
    tie_window_days: float = typer.Option(
        30.0, "--tie-window-days", help="Longest arrival gap of a strong tie."
    ),
    top: int = typer.Option(5, "--top", help="Most ring-like clusters to print."),
) -> None:
    """Replay a world (or the store's applications) in time order; write graph features and
    ring tables; print a summary."""
    from zhudai.graph.config import GraphConfig
    from zhudai.graph.pipeline import build_world_graph

    if world is None:
        from zhudai.store.export import export_tables

        world = out / "store-tables"
        export_tables(world, db)
    if not world.is_dir():
        raise InvalidInputError("--world", f"{world} is not a folder")
    if top < 0:
        raise InvalidInputError("--top", f"must be >= 0; got {top}")
    config = GraphConfig(link_cap=link_cap, tie_window_days=tie_window_days)
    result = build_world_graph(world, out, config)
    for line in result.summary(top):
        typer.echo(line)
    for name, path in result.paths.items():
        typer.echo(f"{name}: {path}")
