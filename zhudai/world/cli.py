"""``zhudai world``: generate the synthetic world to Parquet files or into the store."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError

from zhudai.exceptions import InvalidInputError
from zhudai.world.difficulty import Difficulty, parse_difficulty

if TYPE_CHECKING:
    from zhudai.world.params import WorldParams

app = typer.Typer(help="The synthetic lending world.", no_args_is_help=True)


@app.callback()
def _world() -> None:
    """The synthetic lending world: people, applications, spending, loans, collections."""


@app.command()
def generate(
    customers: int = typer.Option(..., "--customers", help="Number of customers."),
    seed: int = typer.Option(
        ..., "--seed", help="Random seed; the same seed gives identical files."
    ),
    months: int = typer.Option(
        12, "--months", help="Months of spending history before each application."
    ),
    db: str | None = typer.Option(
        None, "--db", help="Load the world into the store at this SQLAlchemy URL."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Write one Parquet file per table to this folder [default: <home>/worlds/world-N-S].",
    ),
    difficulty: str = typer.Option(
        Difficulty.REALISTIC.value,
        "--difficulty",
        help="How well fraud hides: easy (the base world), realistic or hard; above easy the"
        " call transcripts are varied too.",
    ),
    violation_share: float | None = typer.Option(
        None, "--violation-share", help="Share of call transcripts with a violation [0.10]."
    ),
    params: str | None = typer.Option(
        None,
        "--params",
        help='World parameters as JSON or a JSON file, e.g. \'{"macro_shock": {"month": 6}}\'.',
    ),
) -> None:
    """Generate a world of N customers (to --out DIR, or into the store with --db URL)."""
    from zhudai.world.generator import default_world_dir, generate_world

    if out is not None and db is not None:
        raise InvalidInputError("--out/--db", "give either --out DIR or --db URL, not both")
    if customers < 1:
        raise InvalidInputError("--customers", f"must be a positive integer; got {customers}")
    if seed < 0:
        raise InvalidInputError("--seed", f"must be a non-negative integer; got {seed}")
    if not 1 <= months <= 60:
        raise InvalidInputError("--months", f"must be between 1 and 60; got {months}")
    world_params = _with_difficulty(_params(params), parse_difficulty(difficulty))
    if violation_share is not None:
        from zhudai.parsing import as_input_error
        from zhudai.world.params import WorldParams

        try:
            world_params = WorldParams.model_validate(
                {**world_params.model_dump(), "violation_share": violation_share}
            )
        except ValidationError as exc:
            raise as_input_error(exc, "--violation-share") from None
    if db is None:
        folder = generate_world(
            customers,
            seed,
            months,
            out_dir=out or default_world_dir(customers, seed),
            params=world_params,
        )
        typer.echo(f"world of {customers:,} customers (seed {seed}) written to {folder}")
        return
    from zhudai.store.world_loader import load_world_dir

    with tempfile.TemporaryDirectory(prefix="zhudai-world-") as tmp:
        folder = generate_world(
            customers, seed, months, out_dir=Path(tmp) / "world", params=world_params
        )
        counts = load_world_dir(folder, db)
    typer.echo(f"world of {customers:,} customers (seed {seed}) loaded into the store:")
    for table, rows in counts.items():
        typer.echo(f"  {table}: {rows:,} rows")


@app.command("applications")
def applications_cmd(
    world_dir: Path = typer.Argument(..., exists=True, file_okay=False, help="A generated world."),
    out: Path = typer.Option(..., "--out", help="JSON Lines file: one application per line."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Only the first N (by time)."),
    id_prefix: str = typer.Option(
        "W", "--id-prefix", help="Prefix of the partner application ids (W = the demo's own)."
    ),
) -> None:
    """Write the world's applications as a partner sends them (the origination contract's
    JSON, plaintext decrypted with this home's keys), oldest first."""
    import json

    from zhudai.world.client import ID_PREFIX, WorldClient

    n = 0
    with out.open("w", encoding="utf-8") as sink:
        for request in WorldClient(world_dir).requests(limit):
            request["application_id"] = id_prefix + request["application_id"][len(ID_PREFIX) :]
            sink.write(json.dumps(request, ensure_ascii=False) + "\n")
            n += 1
    typer.echo(f"{n:,} applications written to {out}")


def _with_difficulty(given: WorldParams | None, level: Difficulty) -> WorldParams:
    """The ``--params`` with the hidden fraud of ``--difficulty``, unless ``--params`` sets
    ``hidden`` itself."""
    from zhudai.world.difficulty import HiddenFraud
    from zhudai.world.params import WorldParams

    if given is None:
        return WorldParams.at_difficulty(level)
    if "hidden" in given.model_fields_set:
        return given
    return given.model_copy(update={"hidden": HiddenFraud.preset(level)})


def _params(text: str | None) -> WorldParams | None:
    """``WorldParams`` from JSON text or a JSON file; a bad field is named."""
    if text is None:
        return None
    from pydantic import ValidationError

    from zhudai.parsing import as_input_error
    from zhudai.world.params import WorldParams

    path = Path(text)
    raw = (
        path.read_text(encoding="utf-8")
        if not text.lstrip().startswith("{") and path.exists()
        else text
    )
    try:
        return WorldParams.model_validate_json(raw)
    except ValidationError as exc:
        raise as_input_error(exc, "--params") from None
