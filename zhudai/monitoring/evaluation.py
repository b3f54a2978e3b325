"""How the alerts do on a generated world whose attacks and shocks are known (evaluation only).

The world plants organised rings (members apply within days of the ring's start), probing
operations (one to three devices cycling identities in a session; devices sharing an IP are
one operation), and, when set, a macro-shock month and a channel-mix shift. An attack counts as
*found* when an alert of a kind that can see it is raised on its first day or the day after.
Identity theft is single applications, not a burst, and is not an attack here.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from zhudai.graph.unionfind import UnionFind
from zhudai.times import month_start

#: Alert kinds that can see each kind of planted attack.
SEEN_BY = {
    "ring": ("rule", "velocity", "cluster"),
    "probing": ("rule", "velocity", "cluster"),
    "macro_shock": ("volume", "approval", "stability", "rule", "mix"),
    "channel_shift": ("volume", "stability", "mix"),
}
WITHIN_DAYS = 1  # an attack is found when alerted on its first day or this many days after


def planted_attacks(world_dir: str | Path) -> pl.DataFrame:
    """``kind, attack, start`` (a local date) of every planted attack and shock of a world."""
    d = Path(world_dir)
    truth = pl.read_parquet(d / "truth" / "applications.parquet")
    apps = pl.read_parquet(
        d / "applications.parquet", columns=["application_id", "applied_at", "device_id", "ip"]
    )
    rows = truth.join(apps, on="application_id").with_columns(
        pl.col("applied_at").dt.date().alias("day")
    )
    rings = (
        rows.filter(pl.col("ring_id").is_not_null())
        .group_by("ring_id")
        .agg(pl.col("day").min().alias("start"))
        .select(
            pl.lit("ring").alias("kind"), pl.col("ring_id").cast(pl.Utf8).alias("attack"), "start"
        )
    )
    probing = rows.filter(pl.col("probing_device"))
    op = _operations(probing["device_id"].to_list(), probing["ip"].to_list())
    ops = (
        probing.with_columns(pl.Series("op", op))
        .group_by("op")
        .agg(pl.col("day").min().alias("start"))
        .select(
            pl.lit("probing").alias("kind"), pl.col("op").cast(pl.Utf8).alias("attack"), "start"
        )
    )
    params = json.loads((d / "world.json").read_text())["params"]
    shocks = []
    if params.get("macro_shock"):
        first = month_start(date.fromisoformat(params["start"]), params["macro_shock"]["month"] - 1)
        shocks.append({"kind": "macro_shock", "attack": "macro_shock", "start": first})
    if params.get("channel_shift"):
        shift = params["channel_shift"]
        shocks.append(
            {
                "kind": "channel_shift",
                "attack": shift["channel"],
                "start": date.fromisoformat(shift["start"]),
            }
        )
    schema = {"kind": pl.Utf8, "attack": pl.Utf8, "start": pl.Date}
    return pl.concat([rings, ops, pl.DataFrame(shocks, schema=schema)]).sort("start", "kind")


def _operations(devices: list[str], ips: list[str]) -> list[int]:
    """Component of each (device, ip) row in the graph joining devices to the IPs they used."""
    uf, node = UnionFind(), {}
    for key in (*(("d", x) for x in devices), *(("i", x) for x in ips)):
        if key not in node:
            node[key] = uf.add()
    for dev, ip in zip(devices, ips, strict=True):
        uf.union(node[("d", dev)], node[("i", ip)])
    return [uf.find(node[("d", dev)]) for dev in devices]


def evaluate_detection(alerts: pl.DataFrame, attacks: pl.DataFrame) -> pl.DataFrame:
    """``attacks`` with ``found`` (bool) and ``delay_days`` (first alert day - start, or null)."""
    out = []
    days = alerts.select("day", "kind")
    for kind, attack, start in attacks.select("kind", "attack", "start").iter_rows():
        seen = days.filter(
            pl.col("kind").is_in(SEEN_BY[kind])
            & (pl.col("day") >= start)
            & (pl.col("day") <= start + timedelta(days=WITHIN_DAYS))
        )
        delay = (seen["day"].min() - start).days if seen.height else None  # type: ignore[operator]
        out.append(
            {
                "kind": kind,
                "attack": attack,
                "start": start,
                "found": delay is not None,
                "delay_days": delay,
            }
        )
    schema = {
        "kind": pl.Utf8,
        "attack": pl.Utf8,
        "start": pl.Date,
        "found": pl.Boolean,
        "delay_days": pl.Int64,
    }
    return pl.DataFrame(out, schema=schema)
