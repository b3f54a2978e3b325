"""Alerts of one cause grouped into incidents, so the report counts what an analyst handles.

The cause of an alert is its unit, kind and subject: the metric, except that the weekly CSI,
the daily CSI and the daily shift of one input (``psi:x``, ``psi_day:x``, ``shift:x``) are one
subject, ``x``. Alerts of one cause whose days overlap, touch or leave at most
``MERGE_GAP_DAYS`` quiet days between them are one incident: it keeps the first alert's
figures, starts on its ``day``, ends on the last one's ``end`` and counts its ``signals``.
"""

from __future__ import annotations

import polars as pl

from zhudai.monitoring.seasonal import ALERT_SCHEMA

MERGE_GAP_DAYS = 1  # quiet days inside one incident (a shift that blinks for a day stays one)
SUBJECT_PREFIXES = ("psi:", "psi_day:", "shift:")  # views of one input by the stability monitor
INCIDENT_SCHEMA = {**ALERT_SCHEMA, "unit": pl.Utf8, "signals": pl.Int64}


def subject(metric: pl.Expr) -> pl.Expr:
    """The metric without the prefix naming how the stability monitor looked at it."""
    out = metric
    for prefix in SUBJECT_PREFIXES:
        out = out.str.strip_prefix(prefix)
    return out


def group_alerts(alerts: pl.DataFrame) -> pl.DataFrame:
    """Incidents of ``alerts`` (the alert schema with ``unit``), sorted by start.

    Examples
    --------
    >>> from datetime import date
    >>> day = [date(2024, 6, d) for d in (1, 5, 7)]
    >>> rows = pl.DataFrame({"day": day, "kind": "stability", "end": [date(2024, 6, 2),
    ...     date(2024, 6, 5), date(2024, 6, 7)], "metric": ["shift:x", "shift:x", "psi:x"],
    ...     "unit": "p"}).with_columns(value=1.0, expected=0.5, spread=0.1, direction=pl.lit("up"),
    ...     days=1)
    >>> group_alerts(rows).select("day", "end", "days", "signals").rows()
    [(datetime.date(2024, 6, 1), datetime.date(2024, 6, 2), 2, 1), \
(datetime.date(2024, 6, 5), datetime.date(2024, 6, 7), 3, 2)]
    """
    if alerts.height == 0:
        return pl.DataFrame(schema=INCIDENT_SCHEMA)
    cause = ["unit", "kind", "cause"]
    reach = pl.col("end") + pl.duration(days=MERGE_GAP_DAYS + 1)
    ordered = alerts.with_columns(subject(pl.col("metric")).alias("cause")).sort(*cause, "day")
    before = reach.cum_max().shift(1).over(cause)
    opened = ordered.with_columns(
        (before.is_null() | (before < pl.col("day"))).cum_sum().alias("incident")
    )
    columns = [c for c in INCIDENT_SCHEMA if c not in ("end", "days", "signals")]
    grouped = opened.group_by("incident", maintain_order=True).agg(
        *(pl.col(c).first() for c in columns),
        pl.col("end").max(),
        pl.len().alias("signals"),
    )
    return (
        grouped.with_columns(((pl.col("end") - pl.col("day")).dt.total_days() + 1).alias("days"))
        .select(list(INCIDENT_SCHEMA))
        .cast(INCIDENT_SCHEMA)  # type: ignore[arg-type]
        .sort("day", "kind", "metric")
    )
