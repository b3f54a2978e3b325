"""The store's own data in the observable table layout (``docs/world-tables.md``), so the
batch jobs that read that layout -- ``zhudai graph build``, ``zhudai fraud run`` -- run on a
bank's data exactly as on a generated world.

The layout is the loader's (``world_loader.LOADS``) read backwards. Applications that came
through the live pipeline carry fewer stored columns than a world's; the export derives what
the store does not keep: the IP's /24 prefix, the GPS geohash and the device's first sighting
on the platform (its earliest device event). Their historical decision is the live one; a
customer without a stored registration time registered at their first application.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import select

from zhudai.geohash import geohash
from zhudai.store.db import get_engine
from zhudai.store.world_loader import LOADS, TableLoad

#: The tables the graph and fraud batch jobs read.
EXPORTED = ("applications", "customers", "contacts", "device_events")


def _read(url: str | None, load: TableLoad) -> pl.DataFrame:
    back = {store: world for world, store in load.rename.items()}
    with get_engine(url).connect() as conn:
        result = conn.execute(select(load.table))
        frame = pl.DataFrame(
            [tuple(r) for r in result],
            schema=list(result.keys()),
            orient="row",
            infer_schema_length=None,
        )
    return frame.rename({c: back[c] for c in frame.columns if c in back})


def _applications(frame: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    first_seen = events.group_by("device_id").agg(pl.col("ts").min().alias("device_first_seen_at"))
    lat = frame["gps_lat"].fill_null(np.nan).to_numpy().astype(float)
    lon = frame["gps_lon"].fill_null(np.nan).to_numpy().astype(float)
    located = np.isfinite(lat) & np.isfinite(lon)
    cells = np.full(len(lat), None, dtype=object)
    if located.any():
        cells[located] = geohash(lat[located], lon[located])
    return (
        frame.with_columns(
            pl.col("amount_requested").cast(pl.Float64),
            pl.col("status").cast(pl.Utf8),
            pl.col("ip").str.replace(r"\.\d+$", "").alias("ip_prefix24"),
            pl.Series("geohash6", cells, dtype=pl.Utf8),
            pl.lit(None, dtype=pl.Utf8).alias("ip_city"),
        )
        .join(first_seen, on="device_id", how="left")
        .sort("applied_at", "application_id")
    )


def _customers(frame: pl.DataFrame, applications: pl.DataFrame) -> pl.DataFrame:
    """Customers with a registration time: the stored one, else their first application's
    (a customer first met at an application registered then); others have no history yet."""
    first = applications.group_by("customer_id").agg(pl.col("applied_at").min().alias("_first"))
    return (
        frame.join(first, on="customer_id", how="left")
        .with_columns(pl.coalesce("registered_at", "_first").alias("registered_at"))
        .drop("_first")
        .filter(pl.col("registered_at").is_not_null())
    )


def export_tables(out_dir: str | Path, url: str | None = None) -> dict[str, Path]:
    """Write :data:`EXPORTED` from the store at ``url`` as ``out_dir/<table>.parquet``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    loads = {load.parquet: load for load in LOADS}
    frames = {name: _read(url, loads[name]) for name in EXPORTED}
    frames["applications"] = _applications(frames["applications"], frames["device_events"])
    frames["customers"] = _customers(frames["customers"], frames["applications"])
    paths = {}
    for name, frame in frames.items():
        paths[name] = out / f"{name}.parquet"
        frame.write_parquet(paths[name])
    return paths
