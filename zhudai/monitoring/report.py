"""The monitoring report: every unit's drift and every alert, as data and as offline HTML.

Per unit (policy or model) and day: applications in all and by channel (``volume`` alerts, up
and down, against the weekday baseline), hits of every rule (``rule``, up), the approval rate
(``approval``) and the share of each channel (``mix``) as daily shifts
(:mod:`zhudai.monitoring.shift`: a day, or two when a day is small); per week: PSI of the score
and CSI of every input, and per day the rank shift of each numeric one and the CSI of each
text one (``stability``); the bad rate of the week's applications once the loan book judges
them (``bad_rate``); and, from the fraud layer's results, new suspicious clusters
(``cluster``). Alerts are incidents: alerts of one cause on days in a row are one, with a
start and an end (:mod:`zhudai.monitoring.grouping`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from zhudai.fraud.trends import TrendSettings, alert_table, cluster_alerts, cluster_growth
from zhudai.monitoring.contract import check_decisions, input_columns
from zhudai.monitoring.grouping import group_alerts
from zhudai.monitoring.rates import BAD_RATE_FLOOR, rate_alerts
from zhudai.monitoring.seasonal import ALERT_SCHEMA, SeasonalRule, day_span, seasonal_alerts
from zhudai.monitoring.shift import shift_alerts
from zhudai.monitoring.stability import PSI_SHIFTED, PSI_WATCH, period_stability, stability_alerts

BAD_RATE_WINDOW_WEEKS = 8  # weeks pooled for the bad-rate baseline
HITS_PREFIX = "hits:"  # metric of a rule's daily hits: the prefix, then the rule
VOLUME = SeasonalRule("volume", directions=("up", "down"))
RULE = SeasonalRule("rule")


@dataclass
class MonitoringReport:
    """Daily counts (long), daily approval rates, weekly stability and bad rates, alerts."""

    daily: pl.DataFrame  # unit, day, metric, value
    approval: pl.DataFrame  # unit, day, events, rows
    stability: pl.DataFrame  # unit, start, end, column, rows, psi, noise (weekly)
    bad_rates: pl.DataFrame  # unit, day (week's Sunday), events, rows
    alerts: pl.DataFrame  # incidents (see :mod:`zhudai.monitoring.grouping`)

    def summary(self) -> dict[str, Any]:
        """``alerts`` (incidents), the ``signals`` grouped into them, ``weeks`` covered,
        ``alerts_per_week``, the most alerts opened in one calendar week (Monday-Sunday) and
        ``by_kind`` (for the CLI line)."""
        first, last = day_span(self.daily)
        weeks = ((last - first).days + 1) / 7 if self.daily.height else 0.0
        by_kind = dict(sorted(self.alerts.group_by("kind").len().iter_rows()))
        per_week = self.alerts.group_by(pl.col("day").dt.truncate("1w")).len()
        return {
            "alerts": self.alerts.height,
            "signals": int(self.alerts["signals"].sum()),
            "weeks": round(weeks, 1),
            "alerts_per_week": round(self.alerts.height / weeks, 3) if weeks else 0.0,
            "max_alerts_in_a_week": int(per_week["len"].max() or 0),  # type: ignore[arg-type]
            "by_kind": by_kind,
            "units": sorted(self.daily["unit"].unique().to_list()),
        }


def build_report(
    decisions: pl.DataFrame, fraud_results: pl.DataFrame | None = None
) -> MonitoringReport:
    """Every metric and alert of the monitored ``decisions`` (see
    :mod:`zhudai.monitoring.contract`); ``fraud_results`` adds cluster alerts."""
    frame = check_decisions(decisions).with_columns(pl.col("decided_at").dt.date().alias("day"))
    parts: dict[str, list[pl.DataFrame]] = {k: [] for k in ("daily", "approval", "stab", "bad")}
    alerts = []
    for (unit,), part in frame.group_by("unit", maintain_order=True):
        tagged, unit_alerts = _unit_report(part)
        for key, value in tagged.items():
            if value is not None:
                parts[key].append(value.with_columns(pl.lit(unit).alias("unit")))
        alerts += [_tag(a, str(unit)) for a in unit_alerts]
    if fraud_results is not None:
        clusters = cluster_growth(fraud_results, TrendSettings())
        alerts.append(_tag(cluster_alerts(clusters), "fraud_layer"))
    return MonitoringReport(
        daily=pl.concat(parts["daily"]),
        approval=pl.concat(parts["approval"]),
        stability=pl.concat(parts["stab"]) if parts["stab"] else pl.DataFrame(),
        bad_rates=pl.concat(parts["bad"]) if parts["bad"] else pl.DataFrame(),
        alerts=group_alerts(pl.concat(alerts)),
    )


def _unit_report(
    part: pl.DataFrame,
) -> tuple[dict[str, pl.DataFrame | None], list[pl.DataFrame]]:
    """One unit's metrics (daily counts, daily approvals, weekly stability and bad rates) and
    its alerts of every kind."""
    counts = _daily_counts(part)
    is_hit = pl.col("metric").str.starts_with(HITS_PREFIX)
    approval = (
        part.group_by("day")
        .agg(pl.col("approved").sum().alias("events"), pl.len().alias("rows"))
        .sort("day")
    )
    span = day_span(part)
    alerts = [
        seasonal_alerts(counts.filter(~is_hit), VOLUME, span),
        seasonal_alerts(counts.filter(is_hit), RULE, span),
        _shift(part, pl.col("approved"), "approval", "approval_rate", span),
        *(
            _shift(part, pl.col("channel") == channel, "mix", f"share:{channel}", span)
            for channel in sorted(part["channel"].unique())
        ),
    ]
    has_score = "score" in part.columns and part["score"].drop_nulls().len() > 0
    columns = ["score"] * has_score + input_columns(part)
    weekly = period_stability(part, columns, "1w") if columns else None
    if weekly is not None:
        alerts.append(stability_alerts(weekly))
        numeric = [c for c in columns if part.schema[c].is_numeric()]
        alerts += [_shift(part, pl.col(c), "stability", f"shift:{c}", span) for c in numeric]
        text = [c for c in columns if c not in numeric]
        if text:  # no order to rank by: the daily index of their categories
            alerts.append(stability_alerts(period_stability(part, text, "1d"), "psi_day"))
    bad = None
    if "bad" in part.columns and part["bad"].drop_nulls().len():
        bad = (
            part.filter(pl.col("bad").is_not_null())
            .group_by(pl.col("decided_at").dt.truncate("1w").dt.date().alias("week"))
            .agg(pl.col("bad").sum().alias("events"), pl.len().alias("rows"))
            .select((pl.col("week") + pl.duration(days=6)).alias("day"), "events", "rows")
            .sort("day")
        )
        alerts.append(
            rate_alerts(bad, "bad_rate", "bad_rate", BAD_RATE_WINDOW_WEEKS, BAD_RATE_FLOOR)
        )
    metrics = {"daily": counts, "approval": approval, "stab": weekly, "bad": bad}
    return metrics, alerts


def _shift(
    part: pl.DataFrame, value: pl.Expr, kind: str, metric: str, span: tuple[date, date]
) -> pl.DataFrame:
    """Daily shift alerts of one per-row value (see :mod:`zhudai.monitoring.shift`); a
    channel's share drifts before its counts do, the other channels' losses offsetting them."""
    return shift_alerts(part.select("day", value.alias("value")), kind, metric, span)


def _daily_counts(part: pl.DataFrame) -> pl.DataFrame:
    """``day, metric, value``: applications, applications by channel, hits of each rule."""
    total = (
        part.group_by("day")
        .agg(pl.len().alias("value"))
        .with_columns(pl.lit("applications").alias("metric"))
    )
    by_channel = (
        part.group_by("day", "channel")
        .agg(pl.len().alias("value"))
        .select("day", (pl.lit("applications:") + pl.col("channel")).alias("metric"), "value")
    )
    hits = (
        part.select("day", "hits")
        .explode("hits")
        .drop_nulls("hits")
        .group_by("day", "hits")
        .agg(pl.len().alias("value"))
        .select("day", (pl.lit(HITS_PREFIX) + pl.col("hits")).alias("metric"), "value")
    )
    return pl.concat(
        [
            f.select("day", "metric", pl.col("value").cast(pl.Float64))
            for f in (total, by_channel, hits)
        ]
    ).sort("metric", "day")


def _tag(alerts: pl.DataFrame, unit: str) -> pl.DataFrame:
    return alerts.cast(ALERT_SCHEMA).with_columns(pl.lit(unit).alias("unit"))  # type: ignore[arg-type]


def write_html(
    report: MonitoringReport, path: str | Path, title: str = "zhudai monitoring"
) -> Path:
    """An offline HTML report (plotly.js inlined once, no CDN): charts, then the alert table."""
    import plotly.graph_objects as go

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figures = []
    totals = report.daily.filter(pl.col("metric").str.starts_with("applications"))
    fig = go.Figure()
    for (unit, metric), part in totals.group_by("unit", "metric", maintain_order=True):
        fig.add_trace(
            go.Scatter(x=part["day"].to_list(), y=part["value"].to_list(), name=f"{unit} {metric}")
        )
    fig.update_layout(title="Applications per day, in all and by channel")
    figures.append(fig)
    fig = go.Figure()
    for (unit,), part in report.approval.group_by("unit", maintain_order=True):
        fig.add_trace(
            go.Scatter(
                x=part["day"].to_list(), y=(part["events"] / part["rows"]).to_list(), name=str(unit)
            )
        )
    fig.update_layout(title="Approval rate per day", yaxis_tickformat=".0%")
    figures.append(fig)
    if report.stability.height:
        fig = go.Figure()
        for (unit, col), part in report.stability.group_by("unit", "column", maintain_order=True):
            fig.add_trace(
                go.Scatter(x=part["start"].to_list(), y=part["psi"].to_list(), name=f"{unit} {col}")
            )
        for level in (PSI_WATCH, PSI_SHIFTED):
            fig.add_hline(y=level, line_dash="dot")
        fig.update_layout(
            title="Weekly PSI of the score and CSI of each input (lines: watch, shifted)"
        )
        figures.append(fig)
    if report.bad_rates.height:
        fig = go.Figure()
        for (unit,), part in report.bad_rates.group_by("unit", maintain_order=True):
            fig.add_trace(
                go.Scatter(
                    x=part["day"].to_list(),
                    y=(part["events"] / part["rows"]).to_list(),
                    name=str(unit),
                )
            )
        fig.update_layout(
            title="Bad rate by application week (judged loans)", yaxis_tickformat=".0%"
        )
        figures.append(fig)
    hits = report.daily.filter(pl.col("metric").str.starts_with(HITS_PREFIX))
    fig = go.Figure()
    for (metric,), part in hits.group_by("metric", maintain_order=True):
        fig.add_trace(
            go.Scatter(x=part["day"].to_list(), y=part["value"].to_list(), name=str(metric))
        )
    fig.update_layout(title="Rule hits per day")
    figures.append(fig)
    charts = "\n".join(
        f.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, f in enumerate(figures)
    )
    s = report.summary()
    kinds = ", ".join(f"{k}: {v}" for k, v in s["by_kind"].items()) or "none"
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{s['alerts']} alerts over {s['weeks']} weeks "
        f"({s['alerts_per_week']} per week; {html.escape(kinds)}). Days are Asia/Shanghai "
        "business days; a bad-rate alert is dated by its application week, known only once "
        f"the loans are judged.</p>{charts}<h2>Alerts</h2>{alert_table(report.alerts)}</body></html>",
        encoding="utf-8",
    )
    return path
