"""Daily trend monitoring of the fraud layer, with alerts and an offline HTML report.

From the per-application results of a replay (or of live checks, stored): the daily hit rate of
every rule, daily velocity peaks, and clusters (graph communities, or devices when no graph
is wired in) that are new or growing fast. Alerts come from :mod:`zhudai.monitoring.seasonal`:
a day's count of hits of a rule (or a velocity peak) alerts only when it leaves what that
weekday usually brings by ``k`` spreads *and* by an absolute floor, and days in a row out of
band are one alert. A new or fast-growing cluster alerts once, when it is suspicious (two of its
applications flagged: one flag alone is the graph's or the model's false-positive rate).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from zhudai.exceptions import InvalidInputError
from zhudai.monitoring.seasonal import (
    ALERT_SCHEMA,
    COUNT_FLOOR,
    K_SPREADS,
    SeasonalRule,
    seasonal_alerts,
)

CLUSTER_PREFIX = "cluster "  # a cluster alert's metric: the prefix, then the cluster's id
VELOCITY_COLUMNS = ("dev_ids_24h", "ip_ids_24h", "ip24_apps_1h", "geo_ids_24h", "contact_ids_30d")


@dataclass(frozen=True)
class TrendSettings:
    """Band width ``k`` (spreads), the absolute floors of rule-hit counts and velocity peaks,
    and cluster sizes (see :mod:`zhudai.monitoring.seasonal` for the weekday baseline)."""

    k: float = K_SPREADS
    hit_floor: int = COUNT_FLOOR
    velocity_floor: int = COUNT_FLOOR
    min_cluster_size: int = 2
    min_flagged: int = 2  # flagged applications that make a cluster suspicious
    growth_days: int = 7


def daily_rule_rates(results: pl.DataFrame, how: str = "mean") -> pl.DataFrame:
    """One row per day: applications and the share (``how="mean"``) or number (``"sum"``) of
    them hitting each rule (``hit_*`` columns)."""
    hit_cols = [c for c in results.columns if c.startswith("hit_")]
    if not hit_cols or "applied_at" not in results.columns:
        raise InvalidInputError("results", "need applied_at and hit_<rule> columns")
    if how not in ("mean", "sum"):
        raise InvalidInputError("how", f"must be 'mean' or 'sum'; got {how!r}")
    agg = [getattr(pl.col(c), how)() for c in hit_cols]
    return (
        results.with_columns(pl.col("applied_at").dt.date().alias("day"))
        .group_by("day")
        .agg(pl.len().alias("applications"), *agg)
        .sort("day")
    )


def daily_velocity_peaks(results: pl.DataFrame) -> pl.DataFrame:
    """One row per day: the day's maximum of each velocity signal."""
    cols = [c for c in VELOCITY_COLUMNS if c in results.columns]
    return (
        results.with_columns(pl.col("applied_at").dt.date().alias("day"))
        .group_by("day")
        .agg(*(pl.col(c).max() for c in cols))
        .sort("day")
    )


def cluster_key(results: pl.DataFrame) -> str:
    """The column clusters are named by: the graph's communities when the results carry them,
    else devices."""
    has_rings = "ring_community" in results.columns and results["ring_community"].drop_nulls().len()
    return "ring_community" if has_rings else "device_id"


def cluster_growth(results: pl.DataFrame, settings: TrendSettings) -> pl.DataFrame:
    """Per cluster and day: size so far, members joined in ``growth_days``, new, suspicious.

    Clusters are the graph's communities when the results carry them, else devices; size
    counts distinct customers. A cluster is *new* on the day it reaches ``min_cluster_size``,
    *fast* while at least half of its members joined within ``growth_days``, and *suspicious*
    from the day ``min_flagged`` of its applications have been flagged (fraud verdict or graph
    ring score >= 0.5). Only clusters of ``min_cluster_size`` or more are kept.
    """
    key = cluster_key(results)
    rows = results.filter(pl.col(key).is_not_null()).with_columns(
        pl.col("applied_at").dt.date().alias("day"),
        (pl.col("is_fraud_pred") | (pl.col("ring_score") >= 0.5)).alias("flag"),
    )
    joined = (
        rows.group_by(key, "customer_id")
        .agg(pl.col("day").min())
        .group_by(key, "day")
        .agg(pl.len().alias("joined"))
    )
    flagged = rows.group_by(key, "day").agg(pl.col("flag").sum().alias("flagged_today"))
    daily = joined.join(flagged, on=[key, "day"], how="full", coalesce=True).fill_null(0)
    window = f"{settings.growth_days}d"
    low = settings.min_cluster_size
    return (
        daily.sort(key, "day")
        .with_columns(
            pl.col("joined").cum_sum().over(key).alias("size"),
            pl.col("joined").rolling_sum_by("day", window_size=window).over(key).alias("growth"),
            (pl.col("flagged_today").cum_sum().over(key) >= settings.min_flagged).alias(
                "suspicious"
            ),
        )
        .with_columns(
            ((pl.col("size") >= low) & (pl.col("size") - pl.col("joined") < low)).alias("new"),
            # fast-growing: at least half of the members joined within growth_days
            ((pl.col("growth") >= low) & (2 * pl.col("growth") >= pl.col("size"))).alias("fast"),
        )
        .rename({key: "cluster"})
        .filter(pl.col("size") >= low)
        .sort("day", "cluster")
    )


def cluster_alerts(clusters: pl.DataFrame) -> pl.DataFrame:
    """One alert per suspicious cluster on the day it is new or growing fast (first such day)."""
    first = (
        clusters.filter(pl.col("suspicious") & (pl.col("new") | pl.col("fast")))
        .sort("day")
        .unique("cluster", keep="first", maintain_order=True)
    )
    return first.select(
        "day",
        pl.lit("cluster").alias("kind"),
        pl.concat_str(pl.lit(CLUSTER_PREFIX), pl.col("cluster").cast(pl.Utf8)).alias("metric"),
        pl.col("size").cast(pl.Float64).alias("value"),
        (pl.col("size") - pl.col("growth")).cast(pl.Float64).alias("expected"),
        pl.lit(None, pl.Float64).alias("spread"),
        pl.when(pl.col("new")).then(pl.lit("new")).otherwise(pl.lit("growing")).alias("direction"),
        pl.col("day").alias("end"),
        pl.lit(1, pl.Int64).alias("days"),
    ).cast(ALERT_SCHEMA)  # type: ignore[arg-type]


def long_counts(daily: pl.DataFrame, columns: list[str], prefix: str = "") -> pl.DataFrame:
    """``day, metric, value`` from a wide daily frame (metric = prefix + column)."""
    return daily.unpivot(index="day", on=columns, variable_name="metric").with_columns(
        (pl.lit(prefix) + pl.col("metric")).alias("metric"), pl.col("value").cast(pl.Float64)
    )


@dataclass
class TrendReport:
    """Everything the report shows; ``alerts`` lists rule-hit, velocity and cluster alerts."""

    rates: pl.DataFrame
    velocity: pl.DataFrame
    clusters: pl.DataFrame
    alerts: pl.DataFrame


def build_trends(results: pl.DataFrame, settings: TrendSettings | None = None) -> TrendReport:
    """Daily rates, velocity peaks, cluster growth and every alert, from per-application results."""
    settings = settings or TrendSettings()
    rates = daily_rule_rates(results)
    counts = daily_rule_rates(results, how="sum")
    velocity = daily_velocity_peaks(results)
    clusters = cluster_growth(results, settings)
    hit_cols = [c for c in counts.columns if c.startswith("hit_")]
    rule_alerts = seasonal_alerts(
        long_counts(counts, hit_cols), SeasonalRule("rule", k=settings.k, floor=settings.hit_floor)
    )
    vel_cols = [c for c in velocity.columns if c != "day"]
    vel_alerts = seasonal_alerts(
        long_counts(velocity, vel_cols),
        SeasonalRule("velocity", k=settings.k, floor=settings.velocity_floor),
    )
    alerts = pl.concat([rule_alerts, vel_alerts, cluster_alerts(clusters)]).sort("day", "metric")
    return TrendReport(rates, velocity, clusters, alerts)


def write_html(report: TrendReport, path: str | Path, title: str = "zhudai fraud trends") -> Path:
    """An offline HTML report (plotly.js inlined once, no CDN) with charts and the alert table."""
    import plotly.graph_objects as go

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figures = []
    rates = report.rates
    fig = go.Figure()
    for col in [c for c in rates.columns if c.startswith("hit_")]:
        if rates[col].max():
            fig.add_trace(
                go.Scatter(x=rates["day"].to_list(), y=rates[col].to_list(), name=col[4:])
            )
    fig.update_layout(title="Daily rule hit rate (share of applications)", yaxis_tickformat=".1%")
    figures.append(fig)
    fig = go.Figure()
    for col in [c for c in report.velocity.columns if c != "day"]:
        fig.add_trace(
            go.Scatter(
                x=report.velocity["day"].to_list(), y=report.velocity[col].to_list(), name=col
            )
        )
    fig.update_layout(title="Daily velocity peaks (max per day)")
    figures.append(fig)
    per_day = (
        report.clusters.group_by("day")
        .agg(
            pl.col("new").sum().alias("new clusters"),
            pl.col("fast").sum().alias("fast-growing clusters"),
        )
        .sort("day")
    )
    fig = go.Figure()
    for col in ("new clusters", "fast-growing clusters"):
        fig.add_trace(go.Bar(x=per_day["day"].to_list(), y=per_day[col].to_list(), name=col))
    fig.update_layout(title="New and fast-growing suspicious clusters per day", barmode="group")
    figures.append(fig)
    alerts = report.alerts.filter(pl.col("kind") != "cluster")
    if alerts.height:
        fig = go.Figure(
            go.Scatter(
                x=alerts["day"].to_list(),
                y=alerts["metric"].to_list(),
                mode="markers",
                marker={
                    "color": ["crimson" if d == "up" else "steelblue" for d in alerts["direction"]]
                },
                text=[
                    f"{v:.4g} vs {b:.4g}"
                    for v, b in zip(alerts["value"], alerts["expected"], strict=True)
                ],
            )
        )
        fig.update_layout(title="Alerts: count left its weekday band (red up, blue down)")
        figures.append(fig)
    charts = [f.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, f in enumerate(figures)]
    table = alert_table(report.alerts)
    body = "\n".join(charts)
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{report.rates['applications'].sum()} applications over "
        f"{report.rates.height} days; {report.alerts.height} alerts.</p>{body}"
        f"<h2>Alerts</h2>{table}</body></html>",
        encoding="utf-8",
    )
    return path


def alert_table(alerts: pl.DataFrame, limit: int = 500) -> str:
    """An HTML table of the first ``limit`` alerts."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in alerts.columns)
    rows = []
    for rec in alerts.head(limit).iter_rows():
        cells = "".join(
            f"<td>{'' if v is None else html.escape(f'{v:.4g}' if isinstance(v, float) else str(v))}</td>"
            for v in rec
        )
        rows.append(f"<tr>{cells}</tr>")
    more = f"<p>{alerts.height - limit} more not shown.</p>" if alerts.height > limit else ""
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>{more}"
