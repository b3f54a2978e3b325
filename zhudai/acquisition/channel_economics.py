"""Channel economics from the store: for each channel, scenario (product) or funder, how many
applied, were approved and funded, how the loans pay (FPD7, FPD30, bad rate), what the
applicants cost, what the loans earn and lose, and the profit and ROI left; plus a budget
recommendation that moves spend towards the channels that earn most per CNY spent.

Definitions (the facilitator's view, CNY):

- ``acquisition_cost``: ``per_lead`` x applications + ``per_approval`` x approvals +
  ``per_funded`` x loans + ``revenue_share`` x the service fee of the channel's loans.
- ``revenue``: each loan's service fee, ``principal (n + 1) / 24 (apr - price)`` (the average
  balance of ``n`` equal installments over ``n / 12`` years at the APR left after the funder's
  price, see :mod:`zhudai.acquisition.economics`).
- ``expected_loss``: ``lgd`` x principal x the funder's ``loss_share`` x the loan's bad flag
  (ever 30+ in its first six installments, from the book); a loan too young to judge takes the
  bad rate of the judged loans of its own group.
- ``profit`` = revenue - expected loss - acquisition cost; ``roi`` = profit / acquisition cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from zhudai.acquisition.terms import Market, load_market
from zhudai.exceptions import InvalidInputError
from zhudai.loans.analytics import BookFrames, fpd, read_book
from zhudai.loans.labels import book_labels
from zhudai.parsing import parse_input, read_yaml_mapping
from zhudai.store.db import get_engine
from zhudai.store.models import Application, ApplicationStatus, Channel, Funder, Loan

#: Groupings the report knows.
GROUPS = ("channel", "product", "funder")
#: Share of a below-median channel's spend the recommendation moves.
DEFAULT_SHIFT = 0.2
UNFUNDED = "none"
#: The group name of a table's last row, the total over every group.
TOTAL = "all"
SHIPPED_COSTS = Path(__file__).with_name("channels.yaml")


class ChannelCost(BaseModel):
    """A channel's cost model (CNY; ``revenue_share`` of the service fee)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_lead: float = Field(0.0, ge=0)
    per_approval: float = Field(0.0, ge=0)
    per_funded: float = Field(0.0, ge=0)
    revenue_share: float = Field(0.0, ge=0, le=1)


def load_channel_costs(path: str | Path | None = None) -> dict[str, ChannelCost]:
    """Cost models by channel code (the package's ``channels.yaml`` when ``path`` is None)."""
    raw = read_yaml_mapping(Path(path) if path else SHIPPED_COSTS, "channel_costs")
    return {str(k): parse_input(ChannelCost, v or {}) for k, v in raw.items()}


_APP_SCHEMA = {
    "application_id": pl.Int64,
    "channel": pl.Utf8,
    "store_cost": pl.Float64,
    "product": pl.Utf8,
    "approved": pl.Boolean,
}
_LOAN_SCHEMA = {
    "application_id": pl.Int64,
    "principal": pl.Float64,
    "apr": pl.Float64,
    "term_months": pl.Int64,
    "product": pl.Utf8,
    "funder": pl.Utf8,
}


def read_funnel(url: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The store's applications (channel, product, approval) and loans (principal, apr,
    term, product, funder code); a credit line's drawdowns are loans of one application."""
    apps_q = select(
        Application.id,
        func.coalesce(Channel.code, Channel.kind),
        Channel.cost_per_application,
        Application.product_code,
        Application.status,
    ).join(Channel, Channel.id == Application.channel_id, isouter=True)
    loans_q = select(
        Loan.application_id,
        Loan.principal,
        Loan.apr,
        Loan.term_months,
        Loan.product_code,
        func.coalesce(Funder.code, Funder.name),
    ).join(Funder, Funder.id == Loan.funder_id, isouter=True)
    approved = ApplicationStatus.APPROVED.value
    with get_engine(url).connect() as conn:
        apps = [
            (i, ch or "unknown", float(cost or 0), prod, getattr(st, "value", st) == approved)
            for i, ch, cost, prod, st in conn.execute(apps_q)
        ]
        loans = [
            (a, float(p), apr, term, prod, f or "unknown")
            for a, p, apr, term, prod, f in conn.execute(loans_q)
            if a is not None
        ]
    return (
        pl.DataFrame(apps, schema=_APP_SCHEMA, orient="row"),
        pl.DataFrame(loans, schema=_LOAN_SCHEMA, orient="row"),
    )


def _price(market: Market, funder: str, product: str) -> float | None:
    """The funder's price for the product (``None``: a funder the market does not know)."""
    for f in market.funders:
        if f.code == funder:
            return f.price_for(product)
    return None


def priced_applications(
    apps: pl.DataFrame,
    loans: pl.DataFrame,
    labels: pl.DataFrame,
    market: Market,
    costs: dict[str, ChannelCost],
) -> pl.DataFrame:
    """One row per application with its ``funder`` (``none`` if unfunded), ``funded``,
    ``principal``, ``revenue`` (service fee of its loans; 0 at a funder the market does not
    know), ``exposure`` (the facilitator's LGD x principal x loss share), ``bad`` (the book's
    label, null when too young) and ``acquisition_cost``."""
    loss_share = {f.code: f.loss_share for f in market.funders}
    price = pl.struct("funder", "product").map_elements(
        lambda r: _price(market, r["funder"], r["product"]), return_dtype=pl.Float64
    )
    per_loan = loans.with_columns(
        revenue=(
            pl.col("principal") * (pl.col("term_months") + 1) / 24.0 * (pl.col("apr") - price)
        ).fill_null(0.0),
        exposure=market.lgd
        * pl.col("principal")
        * pl.col("funder").replace_strict(loss_share, default=1.0, return_dtype=pl.Float64),
    )
    per_app = per_loan.group_by("application_id").agg(
        pl.col("funder").first(),
        pl.col("principal").sum(),
        pl.col("revenue").sum(),
        pl.col("exposure").sum(),
    )
    rows = (
        apps.join(per_app, on="application_id", how="left")
        .join(labels.select("application_id", "bad"), on="application_id", how="left")
        .with_columns(
            funded=pl.col("principal").is_not_null(),
            funder=pl.col("funder").fill_null(UNFUNDED),
            revenue=pl.col("revenue").fill_null(0.0),
            exposure=pl.col("exposure").fill_null(0.0),
            bad=pl.col("bad").cast(pl.Float64),
        )
    )

    def per(attr: str) -> pl.Expr:
        table = {c: float(getattr(m, attr)) for c, m in costs.items()}
        return pl.col("channel").replace_strict(table, default=0.0, return_dtype=pl.Float64)

    lead = (
        pl.when(pl.col("channel").is_in(list(costs)))
        .then(per("per_lead"))
        .otherwise(pl.col("store_cost"))
    )
    return rows.with_columns(
        acquisition_cost=lead
        + per("per_approval") * pl.col("approved").cast(pl.Float64)
        + per("per_funded") * pl.col("funded").cast(pl.Float64)
        + per("revenue_share") * pl.col("revenue")
    )


def with_expected_bad(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with ``_p``: a funded application's bad flag or, too young to judge, the judged
    bad rate of its channel and product (else of its channel); null where neither has a judged
    loan. One imputation whatever the grouping, so the groups' losses add up to the total."""
    judged = rows.filter(pl.col("bad").is_not_null())
    cell = judged.group_by("channel", "product").agg(pl.col("bad").mean().alias("_cell"))
    chan = judged.group_by("channel").agg(pl.col("bad").mean().alias("_chan"))
    return (
        rows.join(cell, on=["channel", "product"], how="left")
        .join(chan, on="channel", how="left")
        .with_columns(_p=pl.when(pl.col("funded")).then(pl.coalesce("bad", "_cell", "_chan")))
    )


def summarise(rows: pl.DataFrame, by: str) -> pl.DataFrame:
    """The economics of ``priced_applications`` rows grouped ``by`` one of their columns,
    one row per group then ``all``, groups by profit."""
    rows = with_expected_bad(rows)
    groups = _grouped(rows, by).sort("profit", descending=True, nulls_last=True)
    total = _grouped(rows.with_columns(pl.lit(TOTAL).alias(by)), by)
    return pl.concat([groups, total])


def economics_tables(
    groups: Sequence[str] = GROUPS,
    *,
    as_of: date,
    url: str | None = None,
    market: Market | None = None,
    costs: dict[str, ChannelCost] | None = None,
) -> dict[str, pl.DataFrame]:
    """The economics table of each grouping of ``groups`` (channel, product, funder), from one
    read of the store: one row per group plus ``all``, sorted by profit, with the loan book's
    FPD7 and FPD30."""
    unknown = [by for by in groups if by not in GROUPS]
    if unknown:
        raise InvalidInputError("by", f"must be one of {', '.join(GROUPS)}; got {unknown[0]!r}")
    apps, loans = read_funnel(url)
    rows = priced_applications(
        apps,
        loans,
        book_labels(as_of, url),
        market or load_market(),
        costs if costs is not None else load_channel_costs(),
    )
    book = _with_funder_codes(read_book(url), url)
    return {
        by: summarise(rows, by).join(_fpd(book, by, as_of), on=by, how="left").select(_columns(by))
        for by in groups
    }


def economics(by: str = "channel", **options: Any) -> pl.DataFrame:
    """The economics table grouped ``by`` channel, product or funder (see
    :func:`economics_tables`; ``as_of`` is required)."""
    return economics_tables((by,), **options)[by]


#: Amounts summed per group correctly rounded (``math.fsum``): a multithreaded sum's last bits
#: depend on the order it adds in, and the same group must read the same whichever rows were
#: asked for (a channel's own row equals its row in the full table).
_EXACT_SUMS = ("principal", "_loss", "revenue", "acquisition_cost")


def _fsum(values: pl.Series) -> float:
    return math.fsum(values.to_list())


def _grouped(rows: pl.DataFrame, by: str) -> pl.DataFrame:
    funded = pl.col("funded")
    g = rows.group_by(by).agg(
        applications=pl.len(),
        approved=pl.col("approved").sum(),
        funded=funded.sum(),
        principal=pl.col("principal").drop_nulls(),
        bad_rate=pl.col("bad").mean(),
        _unknown=(funded & pl.col("_p").is_null()).sum(),
        _loss=(pl.col("exposure") * pl.col("_p")).drop_nulls(),
        revenue=pl.col("revenue"),
        acquisition_cost=pl.col("acquisition_cost"),
    )
    g = g.with_columns(pl.col(c).map_elements(_fsum, return_dtype=pl.Float64) for c in _EXACT_SUMS)
    g = g.with_columns(
        approval_rate=pl.col("approved") / pl.col("applications"),
        funded_rate=pl.col("funded") / pl.col("applications"),
        # a funded loan with no judged peer: the group's loss is unknown, not zero
        expected_loss=pl.when(pl.col("_unknown") == 0).then(pl.col("_loss")),
        cost_per_funded=pl.when(pl.col("funded") > 0).then(
            pl.col("acquisition_cost") / pl.col("funded")
        ),
    )
    g = g.with_columns(
        profit=pl.col("revenue") - pl.col("expected_loss") - pl.col("acquisition_cost")
    )
    return g.with_columns(
        roi=pl.when(pl.col("acquisition_cost") > 0).then(
            pl.col("profit") / pl.col("acquisition_cost")
        )
    )


def _with_funder_codes(book: BookFrames, url: str | None) -> BookFrames:
    """The book with each loan's funder code (``funder``), for FPD by funder."""
    with get_engine(url).connect() as conn:
        codes = {i: c or n for i, c, n in conn.execute(select(Funder.id, Funder.code, Funder.name))}
    funder = pl.col("funder_id").replace_strict(codes, default="unknown", return_dtype=pl.Utf8)
    return BookFrames(
        book.loans.with_columns(funder=funder), book.installments, book.bucket_changes
    )


def _fpd(book: BookFrames, by: str, as_of: date) -> pl.DataFrame:
    """FPD7 and FPD30 rates per group (the loan book's own definition)."""
    per = fpd(book, as_of, by=(by,)).select(by, "fpd7_rate", "fpd30_rate")
    total = fpd(book, as_of, by=()).select(pl.col("group").alias(by), "fpd7_rate", "fpd30_rate")
    return pl.concat([per, total])


def _columns(by: str) -> list[str]:
    return [
        by,
        "applications",
        "approved",
        "approval_rate",
        "funded",
        "funded_rate",
        "principal",
        "fpd7_rate",
        "fpd30_rate",
        "bad_rate",
        "acquisition_cost",
        "cost_per_funded",
        "revenue",
        "expected_loss",
        "profit",
        "roi",
    ]


@dataclass(frozen=True)
class BudgetMove:
    channel: str
    spend: float
    roi: float | None
    change: float
    projected_profit_change: float


def budget_recommendation(table: pl.DataFrame, shift: float = DEFAULT_SHIFT) -> list[BudgetMove]:
    """Move ``shift`` of the spend of every channel whose ROI is below the median or negative
    to the channels whose ROI is above the median and positive, in proportion to their spend;
    with no such channel the cut is kept (a saving). A loss-making channel never receives. The
    projection assumes the next CNY of a channel earns its average ROI: an upper bound where
    returns diminish, so the moves are kept to a fraction and should be re-measured after a
    month."""
    if not 0 < shift <= 1:
        raise InvalidInputError("shift", f"must be in (0, 1]; got {shift}")
    rows = table.filter((pl.col("channel") != TOTAL) & pl.col("roi").is_not_null())
    if rows.height < 2:
        return []
    median = float(rows["roi"].median())  # type: ignore[arg-type]
    gives = (pl.col("roi") < median) | (pl.col("roi") < 0)
    takes = (pl.col("roi") > median) & (pl.col("roi") > 0)
    moved = float(rows.filter(gives)["acquisition_cost"].sum()) * shift
    taker_spend = float(rows.filter(takes)["acquisition_cost"].sum())
    moves = []
    for r in rows.sort("roi", descending=True).iter_rows(named=True):
        if r["roi"] < median or r["roi"] < 0:
            change = -shift * r["acquisition_cost"]
        elif r["roi"] > median and taker_spend > 0:
            change = moved * r["acquisition_cost"] / taker_spend
        else:
            change = 0.0
        moves.append(
            BudgetMove(r["channel"], r["acquisition_cost"], r["roi"], change, change * r["roi"])
        )
    return moves


def book_as_of(url: str | None = None) -> date | None:
    """The loan book's last daily close (the natural as-of day of the report)."""
    with get_engine(url).connect() as conn:
        return conn.scalar(select(func.max(Loan.as_of)))
