"""Read-only queries of the store that the pages need and no service answers yet: decisions
per day, the fraud hits kept in decision records, rings of applicants on one device, and one
page of the applications list. Personal data only as the store's masks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import plotly.graph_objects as go
import polars as pl
from sqlalchemy import func, select

from zhudai.exceptions import InvalidInputError
from zhudai.monitoring.report import MonitoringReport
from zhudai.store.db import get_engine
from zhudai.store.models import Application, Channel, Customer, DecisionRecord

#: Largest page of a server-paged table.
MAX_PAGE_SIZE = 500


def _decisions(url: str) -> list[tuple[date, str, list[str]]]:
    """(day applied, outcome, fraud rules hit) of every stored decision of an application."""
    q = select(Application.applied_at, DecisionRecord.outcome, DecisionRecord.record).join(
        Application, Application.id == DecisionRecord.application_id
    )
    with get_engine(url).connect() as conn:
        rows = conn.execute(q).all()
    out = []
    for applied_at, outcome, record in rows:
        fraud = ((record or {}).get("origination") or {}).get("fraud") or {}
        rules = [str(h.get("rule")) for h in fraud.get("hits") or [] if isinstance(h, dict)]
        out.append((applied_at.date(), str(getattr(outcome, "value", outcome)), rules))
    return out


def daily_outcomes(url: str) -> pl.DataFrame:
    """``day, outcome, n``: stored decisions per applied day and outcome."""
    rows = [(d, o) for d, o, _ in _decisions(url)]
    frame = pl.DataFrame(rows, schema={"day": pl.Date, "outcome": pl.Utf8}, orient="row")
    return frame.group_by("day", "outcome").len("n").sort("day", "outcome")


def daily_fraud_hits(url: str) -> pl.DataFrame:
    """``day, rule, n``: fraud-rule hits of the stored decisions per applied day."""
    rows = [(d, r) for d, _, rules in _decisions(url) for r in rules]
    frame = pl.DataFrame(rows, schema={"day": pl.Date, "rule": pl.Utf8}, orient="row")
    return frame.group_by("day", "rule").len("n").sort("day", "rule")


def fraud_hits_last_day(url: str) -> tuple[date | None, int]:
    """The last applied day with a decision, and the fraud hits of that day's decisions."""
    rows = _decisions(url)
    if not rows:
        return None, 0
    last = max(d for d, _, _ in rows)
    return last, sum(len(r) for d, _, r in rows if d == last)


@dataclass(frozen=True)
class Ring:
    """Customers who applied from one device (phones masked as the store keeps them)."""

    device: str
    members: list[str]

    def figure(self) -> go.Figure:
        """A star: the device in the middle, one node per member around it."""
        import math

        n = len(self.members)
        xs = [math.cos(2 * math.pi * i / n) for i in range(n)]
        ys = [math.sin(2 * math.pi * i / n) for i in range(n)]
        fig = go.Figure()
        for x, y in zip(xs, ys, strict=True):
            fig.add_trace(
                go.Scatter(
                    x=[0, x], y=[0, y], mode="lines", line={"color": "#bbb"}, showlegend=False
                )
            )
        fig.add_trace(
            go.Scatter(
                x=[0, *xs],
                y=[0, *ys],
                mode="markers+text",
                text=[f"device {self.device[:8]}…", *self.members],
                textposition="top center",
                marker={"size": [22] + [14] * n, "color": ["crimson"] + ["steelblue"] * n},
                showlegend=False,
            )
        )
        fig.update_layout(
            title="Ring: applicants sharing one device / 共用设备团伙",
            xaxis={"visible": False},
            yaxis={"visible": False},
        )
        return fig


def largest_device_ring(url: str) -> Ring | None:
    """The device shared by the most distinct customers (two or more), with their masks."""
    with get_engine(url).connect() as conn:
        top = conn.execute(
            select(Application.device_id, func.count(func.distinct(Application.customer_id)))
            .where(Application.device_id.is_not(None))
            .group_by(Application.device_id)
            .order_by(func.count(func.distinct(Application.customer_id)).desc())
            .limit(1)
        ).first()
        if top is None or top[1] < 2:
            return None
        masks = conn.execute(
            select(Customer.phone_masked)
            .join(Application, Application.customer_id == Customer.id)
            .where(Application.device_id == top[0])
            .distinct()
            .order_by(Customer.phone_masked)
        ).scalars()
        return Ring(str(top[0]), [str(m) for m in masks])


def scored_decisions(url: str) -> pl.DataFrame:
    """``unit, score, bad``: each stored decision's score (the first model's PD) with the loan
    book's outcome where judged (the monitoring source's reading of the store)."""
    from zhudai.monitoring.sources import from_store

    try:
        return from_store(url).select("unit", "score", "bad")
    except InvalidInputError:
        return pl.DataFrame(schema={"unit": pl.Utf8, "score": pl.Float64, "bad": pl.Boolean})


def monitoring_report(url: str) -> MonitoringReport | None:
    """The monitoring report of the store's decisions (``None``: no decision yet)."""
    from zhudai.monitoring.report import build_report
    from zhudai.monitoring.sources import from_store

    try:
        return build_report(from_store(url))
    except InvalidInputError:
        return None


def score_psi(url: str) -> pl.DataFrame:
    """``unit, start, end, rows, psi, noise``: weekly PSI of the score per policy version."""
    report = monitoring_report(url)
    if report is None or not report.stability.height:
        return pl.DataFrame(schema={"unit": pl.Utf8, "end": pl.Date, "psi": pl.Float64})
    return (
        report.stability.filter(pl.col("column") == "score")
        .select("unit", "start", "end", "rows", "psi", "noise")
        .sort("unit", "start")
    )


@dataclass(frozen=True)
class TablePage:
    """One page of a server-paged table: its rows, the page asked for, and the total."""

    rows: list[dict[str, Any]]
    page: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def check_paging(page: int, size: int) -> None:
    """``page`` from 1, ``size`` 1 to ``MAX_PAGE_SIZE``, or an :class:`InvalidInputError`."""
    if page < 1:
        raise InvalidInputError("page", f"must be a positive integer; got {page}")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidInputError("size", f"must be 1 to {MAX_PAGE_SIZE}; got {size}")


def applications_page(url: str, page: int = 1, size: int = 50) -> TablePage:
    """The applications, newest first, ``size`` a page, with the total (masked phone)."""
    check_paging(page, size)
    q = (
        select(
            Application.id,
            Application.applied_at,
            func.coalesce(Channel.code, Channel.kind),
            Application.product_code,
            Application.amount_requested,
            Application.status,
            Customer.phone_masked,
        )
        .join(Customer, Customer.id == Application.customer_id)
        .outerjoin(Channel, Channel.id == Application.channel_id)
        .order_by(Application.applied_at.desc(), Application.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    )
    with get_engine(url).connect() as conn:
        total = int(conn.scalar(select(func.count(Application.id))) or 0)
        rows = [
            {
                "id": i,
                "applied_at": at.isoformat(sep=" ", timespec="minutes"),
                "channel": ch or "unknown",
                "product": prod,
                "amount": float(amount),
                "status": str(getattr(st, "value", st)),
                "phone": phone,
            }
            for i, at, ch, prod, amount, st, phone in conn.execute(q)
        ]
    return TablePage(rows, page, size, total)


def guard_blocks(url: str) -> pl.DataFrame:
    """``rule, kind, n``: the proposals the compliance guard blocked, from its records."""
    from zhudai.store.models import CollectionActionRecord as Rec

    q = (
        select(Rec.rule, Rec.kind, func.count(Rec.id))
        .where(Rec.allowed.is_(False))
        .group_by(Rec.rule, Rec.kind)
        .order_by(func.count(Rec.id).desc(), Rec.rule, Rec.kind)
    )
    with get_engine(url).connect() as conn:
        rows = [(str(rule), str(kind), int(n)) for rule, kind, n in conn.execute(q)]
    schema = {"rule": pl.Utf8, "kind": pl.Utf8, "n": pl.Int64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def variant_results(url: str, policy: str, labels: pl.DataFrame | None) -> pl.DataFrame:
    """``arm, decisions, approved, approval_rate, labelled, bad_rate`` of the stored decisions
    of ``policy`` per arm: each ``variant`` (champion, or challenger for its split) at its
    version, and a shadow's would-be outcomes; ``bad_rate`` over the approved applications
    the book has judged (``labels``: the store's ``application_id`` and ``bad``)."""
    q = select(
        DecisionRecord.application_id,
        DecisionRecord.variant,
        DecisionRecord.policy_version,
        DecisionRecord.outcome,
        DecisionRecord.record,
    ).where(DecisionRecord.policy_name == policy)
    rows = []
    with get_engine(url).connect() as conn:
        for app_id, variant, version, outcome, record in conn.execute(q):
            rows.append((f"{variant} v{version}", app_id, str(getattr(outcome, "value", outcome))))
            shadow = (record or {}).get("shadow")
            if isinstance(shadow, dict):
                v = (shadow.get("policy") or {}).get("version")
                rows.append((f"shadow v{v}", app_id, str(shadow.get("outcome"))))
    frame = pl.DataFrame(
        rows, schema={"arm": pl.Utf8, "application_id": pl.Int64, "outcome": pl.Utf8}, orient="row"
    )
    bad = labels if labels is not None else pl.DataFrame(
        schema={"application_id": pl.Int64, "bad": pl.Int8}
    )  # fmt: skip
    approved = pl.col("outcome") == "approve"
    return (
        frame.join(bad.select("application_id", "bad"), on="application_id", how="left")
        .group_by("arm")
        .agg(
            decisions=pl.len(),
            approved=approved.sum(),
            approval_rate=approved.mean(),
            labelled=(approved & pl.col("bad").is_not_null()).sum(),
            bad_rate=pl.col("bad").filter(approved).cast(pl.Float64).mean(),
        )
        .sort("arm")
    )
