"""How the alerts do on a generated world whose attacks and shocks are known (evaluation only).

The world plants organised rings (members apply over days), probing operations (one to three
devices cycling identities in a session; devices sharing an IP are one operation), and, when
set, a macro-shock month and a channel-mix shift. An attack counts as *found* when an alert of
a kind that can see it opens on its first day or the day after. For rings and probing, given
the fraud layer's results, the alert must also involve the attack's own applications: a rule
alert on a day one of them hit that rule, a cluster alert of a cluster one of them is in, a
velocity alert whose peak is one of theirs. On a busy book half of all two-day windows hold
some rule or cluster alert, so an alert of the right kind on the right day proves little
(``coincident`` counts those). Shocks move the whole population: any alert of a kind that can
see them counts. Identity theft is single applications, not a burst, and is not an attack here.
"""

from __future__ import annotations

import json
from datetime import date
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
ATTRIBUTED = ("ring", "probing")  # attacks whose alerts must involve their own applications
ATTACK_SCHEMA = pl.Schema(
    [
        ("kind", pl.Utf8),
        ("attack", pl.Utf8),
        ("start", pl.Date),
        ("applications", pl.List(pl.Int64)),
    ]
)


def planted_attacks(world_dir: str | Path) -> pl.DataFrame:
    """``kind, attack, start`` (a local date) and ``applications`` (ids; none for a shock) of
    every planted attack and shock of a world."""
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
        .agg(pl.col("day").min().alias("start"), pl.col("application_id").alias("applications"))
        .select(
            pl.lit("ring").alias("kind"),
            pl.col("ring_id").cast(pl.Utf8).alias("attack"),
            "start",
            "applications",
        )
    )
    probing = rows.filter(pl.col("probing_device"))
    op = _operations(probing["device_id"].to_list(), probing["ip"].to_list())
    ops = (
        probing.with_columns(pl.Series("op", op))
        .group_by("op")
        .agg(pl.col("day").min().alias("start"), pl.col("application_id").alias("applications"))
        .select(
            pl.lit("probing").alias("kind"),
            pl.col("op").cast(pl.Utf8).alias("attack"),
            "start",
            "applications",
        )
    )
    params = json.loads((d / "world.json").read_text())["params"]
    shocks = []
    if params.get("macro_shock"):
        first = month_start(date.fromisoformat(params["start"]), params["macro_shock"]["month"] - 1)
        shocks.append(
            {"kind": "macro_shock", "attack": "macro_shock", "start": first, "applications": []}
        )
    if params.get("channel_shift"):
        shift = params["channel_shift"]
        shocks.append(
            {
                "kind": "channel_shift",
                "attack": shift["channel"],
                "start": date.fromisoformat(shift["start"]),
                "applications": [],
            }
        )
    return pl.concat([rings, ops, pl.DataFrame(shocks, schema=ATTACK_SCHEMA)]).sort("start", "kind")


def _operations(devices: list[str], ips: list[str]) -> list[int]:
    """Component of each (device, ip) row in the graph joining devices to the IPs they used."""
    uf, node = UnionFind(), {}
    for key in (*(("d", x) for x in devices), *(("i", x) for x in ips)):
        if key not in node:
            node[key] = uf.add()
    for dev, ip in zip(devices, ips, strict=True):
        uf.union(node[("d", dev)], node[("i", ip)])
    return [uf.find(node[("d", dev)]) for dev in devices]


def evaluate_detection(
    alerts: pl.DataFrame, attacks: pl.DataFrame, results: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``attacks`` with ``found`` (bool), ``delay_days`` (first finding alert's day - start, or
    null) and ``coincident`` (an alert of a kind that sees it opened in time, whoever caused
    it); with the fraud ``results``, rings and probing are found only by alerts involving them.
    """
    window = (pl.col("day") >= pl.col("start")) & (
        pl.col("day") <= pl.col("start") + pl.duration(days=WITHIN_DAYS)
    )
    seen = pl.DataFrame(
        [(k, kind) for k, kinds in SEEN_BY.items() for kind in kinds],
        schema={"attack_kind": pl.Utf8, "kind": pl.Utf8},
        orient="row",
    )
    timely = (
        attacks.select(pl.col("kind").alias("attack_kind"), "attack", "start")
        .join(seen, on="attack_kind")
        .join(alerts.select("day", "kind", "metric", "value"), on="kind")
        .filter(window)
    )
    first_any = timely.group_by("attack_kind", "attack").agg(pl.col("day").min().alias("any"))
    if results is not None:
        own = _signatures(attacks, results)
        involved = timely.join(own, on=["attack_kind", "attack", "day", "metric"], how="left")
        timely = involved.filter(
            ~pl.col("attack_kind").is_in(ATTRIBUTED)
            | (pl.col("own_value").is_not_null() & (pl.col("kind") != "velocity"))
            | (pl.col("own_value") == pl.col("value"))
        )
    first = timely.group_by("attack_kind", "attack").agg(pl.col("day").min().alias("first"))
    keys = {"attack_kind": "kind"}
    return (
        attacks.select("kind", "attack", "start")
        .join(first.rename(keys), on=["kind", "attack"], how="left")
        .join(first_any.rename(keys), on=["kind", "attack"], how="left")
        .select(
            "kind",
            "attack",
            "start",
            pl.col("first").is_not_null().alias("found"),
            (pl.col("first") - pl.col("start")).dt.total_days().cast(pl.Int64).alias("delay_days"),
            pl.col("any").is_not_null().alias("coincident"),
        )
    )


def _signatures(attacks: pl.DataFrame, results: pl.DataFrame) -> pl.DataFrame:
    """``attack_kind, attack, day, metric, own_value``: the alert metrics each attributed
    attack's applications count in on their day (rules they hit, the cluster they are in, the
    velocity signals with their own value)."""
    from zhudai.fraud.trends import CLUSTER_PREFIX, VELOCITY_COLUMNS, cluster_key
    from zhudai.monitoring.report import HITS_PREFIX
    from zhudai.monitoring.sources import rule_hits

    members = (
        attacks.filter(pl.col("kind").is_in(ATTRIBUTED))
        .select(pl.col("kind").alias("attack_kind"), "attack", "applications")
        .explode("applications")
        .rename({"applications": "application_id"})
    )
    key = cluster_key(results)
    velocity = [c for c in VELOCITY_COLUMNS if c in results.columns]
    rows = members.join(
        results.select(
            "application_id",
            pl.col("applied_at").dt.date().alias("day"),
            pl.col(key).cast(pl.Utf8).alias("cluster"),
            *(pl.col(c).cast(pl.Float64) for c in velocity),
        ).join(rule_hits(results), on="application_id"),
        on="application_id",
    )
    base = ["attack_kind", "attack", "day"]
    hits = rows.select(*base, "hits").explode("hits").drop_nulls("hits")
    parts = [
        hits.select(*base, (pl.lit(HITS_PREFIX) + pl.col("hits")).alias("metric")),
        rows.drop_nulls("cluster").select(
            *base, (pl.lit(CLUSTER_PREFIX) + pl.col("cluster")).alias("metric")
        ),
    ]
    parts = [p.with_columns(pl.lit(1.0).alias("own_value")) for p in parts]
    if velocity:
        parts.append(
            rows.unpivot(index=base, on=velocity, variable_name="metric", value_name="own_value")
        )
    # a cluster alert counts on any day of the window once a member is in it
    signatures = pl.concat(parts, how="vertical_relaxed")
    clusters = signatures.filter(pl.col("metric").str.starts_with(CLUSTER_PREFIX))
    spread = (
        clusters.with_columns(pl.int_ranges(0, WITHIN_DAYS + 1).alias("lag"))
        .explode("lag")
        .with_columns(pl.col("day") + pl.duration(days=pl.col("lag")))
        .drop("lag")
    )
    return pl.concat([signatures, spread]).unique(["attack_kind", "attack", "day", "metric"])
