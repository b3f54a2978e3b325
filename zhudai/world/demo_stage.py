"""Demo stage ``world``: generate the world the later stages read.

Leaves ``ctx.artifacts["world_dir"]`` (Path): the folder with one Parquet file per table;
``world_client`` (:class:`~zhudai.world.client.WorldClient`), the world as a partner sending
its applications; ``credit_labels``: ``application_id`` (as the client sends it) and ``bad``;
``observation_date``: the world's last day (the day its bank hands the book over).
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from zhudai.world.client import ID_PREFIX, WorldClient
from zhudai.world.generator import MANIFEST, generate_world, observation_date
from zhudai.world.labels import credit_labels


def run_stage(ctx: Any) -> list[str]:
    """Generate ``ctx.customers`` customers with ``ctx.seed`` into ``ctx.out_dir / "world"``."""
    world_dir = generate_world(ctx.customers, ctx.seed, out_dir=ctx.out_dir / "world")
    ctx.artifacts["world_dir"] = world_dir
    ctx.artifacts["observation_date"] = observation_date(world_dir)
    rows = json.loads((world_dir / MANIFEST).read_text())["rows"]
    labels = credit_labels(world_dir)
    # the world as a partner (sends its applications) and as the loan book's outcomes
    ctx.artifacts["world_client"] = WorldClient(world_dir)
    ctx.artifacts["credit_labels"] = labels.select(
        pl.format(f"{ID_PREFIX}{{}}", "application_id").alias("application_id"), "bad"
    ).to_pandas()
    fraud = pl.read_parquet(world_dir / "truth" / "applications.parquet", columns=["is_fraud"])
    lines = [f"world written to {world_dir}"]
    lines += [
        f"  {table:<20} {count:>12,} rows" for table, count in rows.items() if "/" not in table
    ]
    bad_rate = labels["bad"].to_numpy().mean() if labels.height else 0.0
    fraud_share = fraud["is_fraud"].to_numpy().mean() if fraud.height else 0.0
    lines.append(
        f"bad rate (ever 30+ dpd in 6 months) {bad_rate:.2%} of {labels.height:,} loans; "
        f"fraud share of applications {fraud_share:.2%} (truth)"
    )
    return lines
