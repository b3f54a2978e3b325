"""Application records for the graph, read from a generated world's observable tables.

Joins each application with its customer's employer and address and the customer's contact
phone tokens (``docs/world-tables.md``). Never reads ``DIR/truth/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from zhudai.exceptions import NotFoundError

APPLICATION_COLUMNS: tuple[str, ...] = (
    "application_id",
    "customer_id",
    "applied_at",
    "device_id",
    "ip",
    "phone_token",
    "card_token",
    "id_token",
    "status",
)


def _table(world_dir: Path, name: str) -> Path:
    path = world_dir / f"{name}.parquet"
    if not path.exists():
        raise NotFoundError("world table", str(path))
    return path


def load_records(world_dir: str | Path) -> pl.DataFrame:
    """One row per application, in arrival order, with every field the graph reads.

    Columns: :data:`APPLICATION_COLUMNS` plus ``employer_id``, ``address_id`` (from
    ``customers``) and ``contact_phone_tokens`` (list, from ``contacts``).
    """
    world = Path(world_dir)
    apps = pl.read_parquet(_table(world, "applications"), columns=list(APPLICATION_COLUMNS))
    customers = pl.read_parquet(
        _table(world, "customers"), columns=["customer_id", "employer_id", "address_id"]
    )
    contacts = (
        pl.read_parquet(_table(world, "contacts"), columns=["customer_id", "contact_phone_token"])
        .group_by("customer_id")
        .agg(
            pl.col("contact_phone_token").unique(maintain_order=True).alias("contact_phone_tokens")
        )
    )
    return (
        apps.join(customers, on="customer_id", how="left")
        .join(contacts, on="customer_id", how="left")
        .sort(["applied_at", "application_id"])
    )


def iter_records(records: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """Records as dicts in arrival order, ready for :meth:`GraphIndex.add_application`."""
    yield from records.sort(["applied_at", "application_id"]).iter_rows(named=True)
