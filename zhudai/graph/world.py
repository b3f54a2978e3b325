"""Graph records read from a generated world's observable tables.

Two kinds of record, in one time line: each *application* joined with its customer's
employer, address and contact phone tokens; and each customer's *registration* (the profile
the platform holds from sign-up: ID, phone and card tokens, employer, address, uploaded
contacts, and the device and IP of the ``register`` device event). Registrations matter
because a ring's members sign up days before its first application: its first applicant is
already tied to the others. A registration enters the graph as a node whose
``application_id`` is ``-customer_id`` (:func:`registration_id`) and never has a decision.
Never reads ``DIR/truth/``.
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


def registration_id(customer_id: int) -> int:
    """Graph node id of a customer's registration (negative: never an application's id).

    Examples
    --------
    >>> registration_id(42)
    -42
    """
    return -int(customer_id)


def load_records(world_dir: str | Path, *, registrations: bool = True) -> pl.DataFrame:
    """Applications (and, by default, registrations) in time order, with every graph field.

    Columns: :data:`APPLICATION_COLUMNS` plus ``employer_id``, ``address_id`` (from
    ``customers``), ``contact_phone_tokens`` (list, from ``contacts``) and
    ``is_application`` (false for registrations, whose ``status`` is null).
    """
    world = Path(world_dir)
    apps = pl.read_parquet(_table(world, "applications"), columns=list(APPLICATION_COLUMNS))
    customers = pl.read_parquet(
        _table(world, "customers"),
        columns=[
            "customer_id",
            "employer_id",
            "address_id",
            "registered_at",
            "id_token",
            "phone_token",
            "card_token",
        ],
    )
    contacts = (
        pl.read_parquet(_table(world, "contacts"), columns=["customer_id", "contact_phone_token"])
        .group_by("customer_id")
        .agg(
            pl.col("contact_phone_token").unique(maintain_order=True).alias("contact_phone_tokens")
        )
    )
    profile = customers.select("customer_id", "employer_id", "address_id")
    frames = [
        apps.join(profile, on="customer_id", how="left").with_columns(
            pl.lit(True).alias("is_application")
        )
    ]
    if registrations:
        events = pl.read_parquet(
            _table(world, "device_events"), columns=["customer_id", "event_type", "device_id", "ip"]
        )
        signup = events.filter(pl.col("event_type") == "register").unique(
            "customer_id", keep="first", maintain_order=True
        )
        frames.append(
            customers.join(signup.drop("event_type"), on="customer_id", how="left").select(
                (-pl.col("customer_id")).alias("application_id"),
                "customer_id",
                pl.col("registered_at").alias("applied_at"),
                pl.col("device_id").cast(apps.schema["device_id"]),
                pl.col("ip").cast(apps.schema["ip"]),
                "phone_token",
                "card_token",
                "id_token",
                pl.lit(None, dtype=apps.schema["status"]).alias("status"),
                "employer_id",
                "address_id",
                pl.lit(False).alias("is_application"),
            )
        )
    return (
        pl.concat(frames, how="vertical_relaxed")
        .join(contacts, on="customer_id", how="left")
        .sort(["applied_at", "application_id"])
    )


def iter_records(records: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """Records as dicts in arrival order, ready for :meth:`GraphIndex.add_application`."""
    yield from records.sort(["applied_at", "application_id"]).iter_rows(named=True)
