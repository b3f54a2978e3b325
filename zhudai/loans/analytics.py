"""Portfolio analytics over the loan book: vintage curves, roll-rate and flow-rate matrices,
first payment default (FPD) by channel and product.

Everything here is a pure function of the frames :func:`read_book` reads from the store, and
of an ``as_of`` day: a payment valued after ``as_of`` is treated as not made, a loan booked
after it is left out.

Source of the days past due (one rule for every metric)
-------------------------------------------------------
Every loan in the store has its ``installments`` (due date, principal due, and the day each
settled installment was paid), booked loans and onboarded ones alike, while
``loan_bucket_changes`` exist only for loans the book has projected (an onboarded portfolio has
none yet) and are only as current as the last posting or close. So DPD is derived from the
installments, with the ledger's rule (:mod:`zhudai.loans.ledger`): on day ``d`` an installment
is unpaid if it has no ``paid_date`` or one after ``d`` (a payment valued on ``d`` counts on
``d``); the loan's DPD is ``d`` minus the due date of its oldest unpaid installment, and 0 within
the loan's ``grace_days``. :func:`reconcile_bucket_changes` compares this with the bucket
changes where a loan has them. The one case where the two differ by construction: an
installment whose principal, interest and fee are paid but whose penalty is not has no
``paid_date`` (the book sets it when the installment is settled), so it reads as unpaid here;
with the default allocation order (penalty first) this does not arise.

Definitions
-----------
- **Month-end snapshot**: a loan's DPD, bucket and outstanding principal on the last day of a
  calendar month, for the month-ends from its booking month to the last month-end on or before
  ``as_of``. MOB ``k`` is the ``k``-th month-end after the booking month's (MOB0 is the booking
  month's own end, as the domain notes say).
- **Outstanding principal** on a day: the principal of the installments not settled by then (a
  partly paid installment counts in full).
- **DPD30+**: DPD ``>= threshold`` (30 by default; bucket M2 is 31+). **Ever** 30+ at MOB ``k``:
  the loan reached DPD30+ on some day up to its MOB ``k`` month-end (the day it did is exact:
  an installment still unpaid ``threshold`` days after its due date, or the first day past
  grace if that is later). **Current** 30+: DPD30+ on the month-end itself.
- **Vintage** (booking month x MOB): by count, loans 30+ / loans booked; by amount, for ever
  30+ the booked principal of the loans ever 30+ / principal booked, for current 30+ the
  outstanding principal of the loans currently 30+ / principal booked.
- **Roll rate** from month-end ``m`` to ``m + 1``: loans with something unpaid at ``m`` (not
  paid off), by bucket at ``m``, to their bucket at ``m + 1`` or ``paid_off``; by count and by
  outstanding principal at ``m``; shares are of the row (the ``m`` bucket).
- **Flow rate** Mk -> Mk+1 in month ``t``: the share of the Mk loans (or balance) at the end of
  ``t - 1`` that are in Mk+1 at the end of ``t``, i.e. the roll matrix's superdiagonal; a loan
  skipping a bucket (M0 -> M2 over a 31-day month) is in the matrix, not in the chain.
- **FPD k**: the loan's first installment still unpaid at the end of day ``due + k`` (with
  grace days ``g >= k``: on day ``due + g + 1``, when it is first past due), counted only over
  loans whose that day is on or before ``as_of`` (old enough to observe it); by count and by
  booked principal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Table, func, select

from zhudai.exceptions import InvalidInputError
from zhudai.loans.delinquency import BUCKET_BOUNDS, BUCKETS
from zhudai.store.db import get_engine
from zhudai.store.models import Application, Channel, Installment, Loan, LoanBucketChange

PAID_OFF = "paid_off"
#: The destination states of a roll: the buckets, then paid off.
ROLL_TO = (*BUCKETS, PAID_OFF)
DEFAULT_THRESHOLD = 30
FPD_DAYS = (7, 30)
UNKNOWN_CHANNEL = "unknown"

_LOANS: Table = Loan.__table__  # type: ignore[assignment]
_LINES: Table = Installment.__table__  # type: ignore[assignment]
_CHANGES: Table = LoanBucketChange.__table__  # type: ignore[assignment]
_APPS: Table = Application.__table__  # type: ignore[assignment]
_CHANNELS: Table = Channel.__table__  # type: ignore[assignment]

LOAN_SCHEMA = {
    "loan_id": pl.Int64,
    "booked_on": pl.Date,
    "principal": pl.Float64,
    "product": pl.Utf8,
    "channel": pl.Utf8,
    "funder_id": pl.Int64,
    "grace_days": pl.Int64,
    "status": pl.Utf8,
    "projected_on": pl.Date,
}
INSTALLMENT_SCHEMA = {
    "loan_id": pl.Int64,
    "installment_no": pl.Int64,
    "due_date": pl.Date,
    "principal_due": pl.Float64,
    "paid_date": pl.Date,
}
CHANGE_SCHEMA = {"loan_id": pl.Int64, "day": pl.Date, "dpd": pl.Int64, "bucket": pl.Utf8}


@dataclass(frozen=True)
class BookFrames:
    """The book as the analytics read it: one row per loan, per installment, per bucket change
    (columns as in ``LOAN_SCHEMA``, ``INSTALLMENT_SCHEMA`` and ``CHANGE_SCHEMA``)."""

    loans: pl.DataFrame
    installments: pl.DataFrame
    bucket_changes: pl.DataFrame


def book_frames(
    loans: Sequence[dict[str, Any]],
    installments: Sequence[dict[str, Any]],
    bucket_changes: Sequence[dict[str, Any]] = (),
) -> BookFrames:
    """Frames from plain rows (what :func:`read_book` builds from the store)."""
    return BookFrames(
        pl.DataFrame(list(loans), schema=LOAN_SCHEMA, orient="row"),
        pl.DataFrame(list(installments), schema=INSTALLMENT_SCHEMA, orient="row"),
        pl.DataFrame(list(bucket_changes), schema=CHANGE_SCHEMA, orient="row"),
    )


def read_book(url: str | None = None) -> BookFrames:
    """Read the loans (with their channel code and product), installments and bucket changes
    from the store at ``url`` (default: the settings' database)."""
    channel = func.coalesce(_CHANNELS.c.code, _CHANNELS.c.name)
    loans_q = (
        select(
            _LOANS.c.id,
            _LOANS.c.booked_at,
            _LOANS.c.principal,
            _LOANS.c.product_code,
            channel,
            _LOANS.c.funder_id,
            _LOANS.c.grace_days,
            _LOANS.c.status,
            _LOANS.c.as_of,
        )
        .select_from(_LOANS)
        .join(_APPS, _APPS.c.id == _LOANS.c.application_id, isouter=True)
        .join(_CHANNELS, _CHANNELS.c.id == _APPS.c.channel_id, isouter=True)
        .order_by(_LOANS.c.id)
    )
    lines_q = select(
        _LINES.c.loan_id,
        _LINES.c.installment_no,
        _LINES.c.due_date,
        _LINES.c.principal_due,
        _LINES.c.paid_date,
    ).order_by(_LINES.c.loan_id, _LINES.c.installment_no)
    changes_q = select(
        _CHANGES.c.loan_id, _CHANGES.c.day, _CHANGES.c.dpd, _CHANGES.c.bucket
    ).order_by(_CHANGES.c.loan_id, _CHANGES.c.day)
    with get_engine(url).connect() as conn:
        loans = [
            (
                r[0],
                r[1].date(),
                float(r[2]),
                r[3],
                r[4] or UNKNOWN_CHANNEL,
                r[5],
                r[6] or 0,
                getattr(r[7], "value", r[7]),
                r[8],
            )
            for r in conn.execute(loans_q)
        ]
        lines = [(r[0], r[1], r[2], float(r[3]), r[4]) for r in conn.execute(lines_q)]
        changes = [tuple(r) for r in conn.execute(changes_q)]
    return BookFrames(
        pl.DataFrame(loans, schema=LOAN_SCHEMA, orient="row"),
        pl.DataFrame(lines, schema=INSTALLMENT_SCHEMA, orient="row"),
        pl.DataFrame(changes, schema=CHANGE_SCHEMA, orient="row"),
    )


# -- helpers ------------------------------------------------------------------------------
def last_month_end(day: date) -> date:
    """The last month-end on or before ``day``.

    Examples
    --------
    >>> last_month_end(date(2024, 2, 29)), last_month_end(date(2024, 3, 5))
    (datetime.date(2024, 2, 29), datetime.date(2024, 2, 29))
    """
    return day if (day + timedelta(days=1)).day == 1 else day.replace(day=1) - timedelta(days=1)


def bucket_expr(dpd: pl.Expr) -> pl.Expr:
    """:func:`zhudai.loans.delinquency.bucket_of` as a polars expression."""
    expr: pl.Expr = pl.lit(BUCKETS[-1])
    for bound, name in reversed(list(zip(BUCKET_BOUNDS, BUCKETS[1:-1], strict=True))):
        expr = pl.when(dpd <= bound).then(pl.lit(name)).otherwise(expr)
    return pl.when(dpd <= 0).then(pl.lit(BUCKETS[0])).otherwise(expr)


def _month_index(col: pl.Expr) -> pl.Expr:
    return col.dt.year().cast(pl.Int64) * 12 + col.dt.month().cast(pl.Int64)


def _as_of(book: BookFrames, as_of: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Loans booked by ``as_of`` and their installments, payments after ``as_of`` unmade."""
    loans = book.loans.filter(pl.col("booked_on") <= as_of)
    lines = book.installments.join(
        loans.select("loan_id", "grace_days"), on="loan_id", how="inner"
    ).with_columns(
        paid_date=pl.when(pl.col("paid_date") <= as_of).then(pl.col("paid_date")),
    )
    return loans, lines


def _check_threshold(threshold: int) -> None:
    if threshold < 1:
        raise InvalidInputError("threshold", f"must be a positive number of days; got {threshold}")


# -- month-end snapshots ------------------------------------------------------------------
def month_end_status(book: BookFrames, as_of: date) -> pl.DataFrame:
    """One row per loan and month-end from its booking month to ``as_of``: ``loan_id``,
    ``month_end``, ``mob``, ``dpd``, ``bucket``, ``balance`` (outstanding principal),
    ``paid_off`` (nothing left unpaid), plus the loan's ``booked_on``, ``principal``,
    ``product`` and ``channel``."""
    loans, lines = _as_of(book, as_of)
    last = last_month_end(as_of)
    grid = (
        loans.with_columns(
            month_end=pl.date_ranges(
                pl.col("booked_on").dt.month_start(), pl.lit(last.replace(day=1)), "1mo"
            )
        )
        .explode("month_end")
        .drop_nulls("month_end")
        .with_columns(pl.col("month_end").dt.month_end())
        .with_columns(
            mob=_month_index(pl.col("month_end")) - _month_index(pl.col("booked_on")),
        )
    )
    # (installment, month-end) while the installment is due and unpaid: the oldest gives DPD
    overdue = (
        lines.filter(pl.col("due_date") <= last)
        .with_columns(
            until=pl.min_horizontal(
                pl.col("paid_date").fill_null(pl.lit(as_of) + pl.duration(days=1))
                - pl.duration(days=1),
                pl.lit(last),
            )
        )
        .filter(pl.col("until") >= pl.col("due_date"))
        .with_columns(
            month_end=pl.date_ranges(
                pl.col("due_date").dt.month_start(), pl.col("until").dt.month_start(), "1mo"
            )
        )
        .explode("month_end")
        .with_columns(pl.col("month_end").dt.month_end())
        .filter(pl.col("month_end") <= pl.col("until"))
        .group_by("loan_id", "month_end")
        .agg(oldest_due=pl.col("due_date").min())
    )
    # principal and count of installments settled, by the month-end of the day they were
    paid = (
        lines.filter(pl.col("paid_date").is_not_null())
        .join(loans.select("loan_id", "booked_on"), on="loan_id")
        .with_columns(
            month_end=pl.max_horizontal(pl.col("paid_date"), pl.col("booked_on")).dt.month_end()
        )
        .group_by("loan_id", "month_end")
        .agg(principal_paid=pl.col("principal_due").sum(), lines_paid=pl.len())
    )
    totals = lines.group_by("loan_id").agg(
        principal_total=pl.col("principal_due").sum(), lines_total=pl.len()
    )
    out = (
        grid.join(overdue, on=["loan_id", "month_end"], how="left")
        .join(paid, on=["loan_id", "month_end"], how="left")
        .join(totals, on="loan_id", how="left")
        .sort("loan_id", "month_end")
        .with_columns(
            pl.col("principal_paid", "lines_paid").fill_null(0).cum_sum().over("loan_id"),
            days=(pl.col("month_end") - pl.col("oldest_due")).dt.total_days(),
        )
        .with_columns(
            dpd=pl.when(pl.col("days") > pl.col("grace_days"))
            .then(pl.col("days"))
            .otherwise(0)
            .fill_null(0)
            .cast(pl.Int64),
            balance=(pl.col("principal_total").fill_null(0) - pl.col("principal_paid")).round(2),
            paid_off=pl.col("lines_total").fill_null(0) == pl.col("lines_paid"),
        )
        .with_columns(bucket=bucket_expr(pl.col("dpd")))
    )
    return out.select(
        "loan_id",
        "month_end",
        "mob",
        "dpd",
        "bucket",
        "balance",
        "paid_off",
        "booked_on",
        "principal",
        "product",
        "channel",
    )


def first_past_due(book: BookFrames, as_of: date, days: int) -> pl.DataFrame:
    """Per loan, the first day it reached ``days`` DPD on or before ``as_of`` (``hit``, null if
    never): the earliest ``due + max(days, grace + 1)`` of an installment still unpaid then."""
    _check_threshold(days)
    loans, lines = _as_of(book, as_of)
    hits = (
        lines.with_columns(
            hit=pl.col("due_date")
            + pl.duration(days=pl.max_horizontal(pl.lit(days), pl.col("grace_days") + 1))
        )
        .filter(
            (pl.col("hit") <= as_of)
            & (pl.col("paid_date").is_null() | (pl.col("paid_date") > pl.col("hit")))
        )
        .group_by("loan_id")
        .agg(hit=pl.col("hit").min())
    )
    return loans.select("loan_id").join(hits, on="loan_id", how="left")


# -- vintage ------------------------------------------------------------------------------
def vintage(
    book: BookFrames,
    as_of: date,
    threshold: int = DEFAULT_THRESHOLD,
    max_mob: int | None = None,
    status: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The vintage table: one row per booking month (``vintage``, ``YYYY-MM``) and MOB 1..N
    observed by ``as_of``: ``loans`` and ``principal`` booked; ``ever_loans`` /
    ``ever_count_share`` and ``ever_principal`` / ``ever_amount_share`` (loans ever DPD >=
    ``threshold`` by the MOB's month-end, by count and by booked principal);
    ``current_loans`` / ``current_count_share`` and ``current_balance`` /
    ``current_amount_share`` (DPD >= ``threshold`` on the month-end, by count and by their
    outstanding principal over the principal booked). ``status``: :func:`month_end_status`
    of the same book and day, if already computed."""
    _check_threshold(threshold)
    status = (month_end_status(book, as_of) if status is None else status).join(
        first_past_due(book, as_of, threshold), on="loan_id", how="left"
    )
    status = status.filter(pl.col("mob") >= 1)
    if max_mob is not None:
        status = status.filter(pl.col("mob") <= max_mob)
    ever = pl.col("hit").is_not_null() & (pl.col("hit") <= pl.col("month_end"))
    current = pl.col("dpd") >= threshold
    return (
        status.with_columns(vintage=pl.col("booked_on").dt.strftime("%Y-%m"))
        .group_by("vintage", "mob")
        .agg(
            month_end=pl.col("month_end").first(),
            loans=pl.len(),
            principal=pl.col("principal").sum().round(2),
            ever_loans=ever.sum(),
            ever_principal=pl.col("principal").filter(ever).sum().round(2),
            current_loans=current.sum(),
            current_balance=pl.col("balance").filter(current).sum().round(2),
        )
        .with_columns(
            ever_count_share=pl.col("ever_loans") / pl.col("loans"),
            ever_amount_share=pl.col("ever_principal") / pl.col("principal"),
            current_count_share=pl.col("current_loans") / pl.col("loans"),
            current_amount_share=pl.col("current_balance") / pl.col("principal"),
        )
        .sort("vintage", "mob")
        .select(
            "vintage",
            "mob",
            "month_end",
            "loans",
            "principal",
            "ever_loans",
            "ever_count_share",
            "ever_principal",
            "ever_amount_share",
            "current_loans",
            "current_count_share",
            "current_balance",
            "current_amount_share",
        )
    )


def vintage_curves(table: pl.DataFrame, metric: str) -> pl.DataFrame:
    """One metric of :func:`vintage` as booking month x MOB (columns ``mob_1`` ...)."""
    if metric not in table.columns or metric in ("vintage", "mob", "month_end"):
        raise InvalidInputError("metric", f"must be a column of the vintage table; got {metric!r}")
    wide = table.pivot(on="mob", index="vintage", values=metric, sort_columns=True)
    wide = wide.rename({c: f"mob_{c}" for c in wide.columns if c != "vintage"})
    mobs = sorted((c for c in wide.columns if c != "vintage"), key=lambda c: int(c[4:]))
    return wide.select("vintage", *mobs).sort("vintage")


# -- roll rates ---------------------------------------------------------------------------
def transitions(book: BookFrames, as_of: date, status: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every loan not paid off at a month-end, with its bucket there and at the next month-end
    (``paid_off`` if it settled by then): ``month_end`` (the later one), ``from_bucket``,
    ``to_bucket``, ``balance`` (outstanding principal at the earlier one)."""
    status = month_end_status(book, as_of)
    before = status.filter(~pl.col("paid_off")).select(
        "loan_id",
        pl.col("month_end").alias("previous"),
        (pl.col("month_end").dt.offset_by("1d").dt.month_end()).alias("month_end"),
        pl.col("bucket").alias("from_bucket"),
        "balance",
    )
    after = status.select(
        "loan_id",
        "month_end",
        pl.when(pl.col("paid_off"))
        .then(pl.lit(PAID_OFF))
        .otherwise(pl.col("bucket"))
        .alias("to_bucket"),
    )
    return before.join(after, on=["loan_id", "month_end"], how="inner").select(
        "loan_id", "previous", "month_end", "from_bucket", "to_bucket", "balance"
    )


def roll_rate_matrix(moves: pl.DataFrame) -> pl.DataFrame:
    """The roll-rate matrix of :func:`transitions` (pooled over the months given): one row per
    (``from_bucket``, ``to_bucket``) for every bucket with loans and every destination, with
    ``loans``, ``share`` (of the from-bucket's loans), ``balance`` and ``balance_share`` (of its
    outstanding principal; null when that is 0)."""
    counts = moves.group_by("from_bucket", "to_bucket").agg(
        loans=pl.len(), balance=pl.col("balance").sum()
    )
    rows = moves.select("from_bucket").unique()
    grid = rows.join(pl.DataFrame({"to_bucket": list(ROLL_TO)}), how="cross")
    order = {b: k for k, b in enumerate(ROLL_TO)}
    out = (
        grid.join(counts, on=["from_bucket", "to_bucket"], how="left")
        .with_columns(pl.col("loans").fill_null(0), pl.col("balance").fill_null(0.0).round(2))
        .with_columns(
            share=pl.col("loans") / pl.col("loans").sum().over("from_bucket"),
            balance_share=pl.when(pl.col("balance").sum().over("from_bucket") > 0).then(
                pl.col("balance") / pl.col("balance").sum().over("from_bucket")
            ),
            _f=pl.col("from_bucket").replace_strict(order, return_dtype=pl.Int64),
            _t=pl.col("to_bucket").replace_strict(order, return_dtype=pl.Int64),
        )
        .sort("_f", "_t")
        .drop("_f", "_t")
    )
    return out


def matrix_wide(matrix: pl.DataFrame, values: str = "share") -> pl.DataFrame:
    """:func:`roll_rate_matrix` as from-bucket rows x destination columns."""
    wide = matrix.pivot(on="to_bucket", index="from_bucket", values=values)
    return wide.select("from_bucket", *[c for c in ROLL_TO if c in wide.columns])


def flow_rates(moves: pl.DataFrame) -> pl.DataFrame:
    """The flow chain M0 -> M1 -> ... -> M6+ per month (``month_end`` of the later snapshot)
    and pooled (``month`` ``all``): ``flow`` (``M0->M1`` ...), ``from_loans``, ``to_loans``,
    ``count_rate``, ``from_balance``, ``to_balance``, ``balance_rate`` (null when the
    from-bucket is empty)."""
    steps = pl.DataFrame(
        {"from_bucket": list(BUCKETS[:-1]), "to_bucket": list(BUCKETS[1:])}
    ).with_columns(flow=pl.col("from_bucket") + "->" + pl.col("to_bucket"), step=pl.int_range(0, 7))
    labelled = moves.with_columns(month=pl.col("month_end").dt.strftime("%Y-%m"))
    frames = []
    for data in (labelled, labelled.with_columns(month=pl.lit("all"))):
        months = data.select("month").unique()
        base = (
            data.group_by("month", "from_bucket")
            .agg(from_loans=pl.len(), from_balance=pl.col("balance").sum())
            .join(months.join(steps, how="cross"), on=["month", "from_bucket"], how="right")
        )
        moved = data.group_by("month", "from_bucket", "to_bucket").agg(
            to_loans=pl.len(), to_balance=pl.col("balance").sum()
        )
        frames.append(
            base.join(moved, on=["month", "from_bucket", "to_bucket"], how="left").with_columns(
                pl.col("from_loans", "to_loans").fill_null(0),
                pl.col("from_balance", "to_balance").fill_null(0.0).round(2),
            )
        )
    out = pl.concat(frames, how="diagonal_relaxed").with_columns(
        count_rate=pl.when(pl.col("from_loans") > 0).then(
            pl.col("to_loans") / pl.col("from_loans")
        ),
        balance_rate=pl.when(pl.col("from_balance") > 0).then(
            pl.col("to_balance") / pl.col("from_balance")
        ),
    )
    return out.sort(pl.col("month") == "all", "month", "step").select(
        "month",
        "flow",
        "from_loans",
        "to_loans",
        "count_rate",
        "from_balance",
        "to_balance",
        "balance_rate",
    )


# -- first payment default ----------------------------------------------------------------
def fpd(
    book: BookFrames,
    as_of: date,
    by: Sequence[str] = ("channel", "product"),
    days: Sequence[int] = FPD_DAYS,
) -> pl.DataFrame:
    """FPD ``k`` for each ``k`` in ``days``, grouped by ``by`` (columns of the loans frame;
    empty: the whole book as one row ``group`` = ``all``): ``loans`` booked, and per ``k``
    ``fpd{k}_observable`` (loans old enough), ``fpd{k}`` (first installment unpaid then),
    ``fpd{k}_rate`` (by count; null when none is observable) and ``fpd{k}_amount_rate`` (by
    booked principal)."""
    for k in days:
        _check_threshold(k)
    unknown = [c for c in by if c not in book.loans.columns]
    if unknown:
        raise InvalidInputError("by", f"must name loan columns; got {unknown}")
    loans, lines = _as_of(book, as_of)
    first = lines.sort("loan_id", "installment_no").group_by("loan_id").first()
    data = loans.join(first.select("loan_id", "due_date", "paid_date"), on="loan_id", how="left")
    keys = list(by) or ["group"]
    if not by:
        data = data.with_columns(group=pl.lit("all"))
    aggs: list[pl.Expr] = [pl.len().alias("loans")]
    cols = []
    for k in days:
        day = pl.col("due_date") + pl.duration(
            days=pl.max_horizontal(pl.lit(k), pl.col("grace_days") + 1)
        )
        seen = day <= as_of
        bad = seen & (pl.col("paid_date").is_null() | (pl.col("paid_date") > day))
        aggs += [
            seen.sum().alias(f"fpd{k}_observable"),
            bad.sum().alias(f"fpd{k}"),
            pl.col("principal").filter(seen).sum().alias(f"_seen{k}"),
            pl.col("principal").filter(bad).sum().alias(f"_bad{k}"),
        ]
        cols += [f"fpd{k}_observable", f"fpd{k}", f"fpd{k}_rate", f"fpd{k}_amount_rate"]
    out = data.group_by(keys).agg(aggs)
    out = out.with_columns(
        *[
            pl.when(pl.col(f"fpd{k}_observable") > 0)
            .then(pl.col(f"fpd{k}") / pl.col(f"fpd{k}_observable"))
            .alias(f"fpd{k}_rate")
            for k in days
        ],
        *[
            pl.when(pl.col(f"_seen{k}") > 0)
            .then(pl.col(f"_bad{k}") / pl.col(f"_seen{k}"))
            .alias(f"fpd{k}_amount_rate")
            for k in days
        ],
    )
    return out.sort(keys).select(*keys, "loans", *cols)


# -- the bucket changes, as a check -------------------------------------------------------
def reconcile_bucket_changes(
    book: BookFrames, as_of: date, status: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Month-end buckets from the installments against those from ``loan_bucket_changes``
    (the bucket of the last change on or before the month-end), for loans that have changes,
    up to the day they are known through (the loan's last projection or its last change,
    whichever is later; after it a close may not have run): one row per disagreement
    (``loan_id``, ``month_end``, ``bucket`` from the installments, ``changes_bucket``)."""
    changes = book.bucket_changes.filter(pl.col("day") <= as_of).sort("loan_id", "day")
    if changes.is_empty():
        return pl.DataFrame(
            schema={
                "loan_id": pl.Int64,
                "month_end": pl.Date,
                "bucket": pl.Utf8,
                "changes_bucket": pl.Utf8,
            }
        )
    known = (
        changes.group_by("loan_id")
        .agg(last=pl.col("day").max())
        .join(book.loans.select("loan_id", "projected_on"), on="loan_id", how="left")
        .select(
            "loan_id",
            through=pl.min_horizontal(
                pl.max_horizontal(pl.col("last"), pl.col("projected_on")), pl.lit(as_of)
            ),
        )
    )
    status = (
        (month_end_status(book, as_of) if status is None else status)
        .join(known, on="loan_id", how="inner")
        .filter(pl.col("month_end") <= pl.col("through"))
        .sort("month_end")
    )
    matched = status.join_asof(
        changes.select("loan_id", pl.col("day"), pl.col("bucket").alias("changes_bucket")).sort(
            "day"
        ),
        left_on="month_end",
        right_on="day",
        by="loan_id",
        strategy="backward",
        check_sortedness=False,  # sorted by the day above; polars cannot check within groups
    ).with_columns(pl.col("changes_bucket").fill_null(BUCKETS[0]))
    return (
        matched.filter(pl.col("bucket") != pl.col("changes_bucket"))
        .select("loan_id", "month_end", "bucket", "changes_bucket")
        .sort("loan_id", "month_end")
    )


@dataclass(frozen=True)
class PortfolioAnalytics:
    """Every table of the report, computed once for one ``as_of``."""

    as_of: date
    threshold: int
    loans: int
    principal: float
    vintage: pl.DataFrame
    roll_rates: pl.DataFrame
    transitions: pl.DataFrame
    flow_rates: pl.DataFrame
    fpd_by_channel: pl.DataFrame
    fpd_by_product: pl.DataFrame
    fpd_by_channel_product: pl.DataFrame
    fpd_total: pl.DataFrame
    bucket_mismatches: pl.DataFrame
    loans_with_changes: int


def analyse(
    book: BookFrames, as_of: date, threshold: int = DEFAULT_THRESHOLD
) -> PortfolioAnalytics:
    """All the tables for ``as_of``."""
    loans, _ = _as_of(book, as_of)
    status = month_end_status(book, as_of)
    moves = transitions(book, as_of, status)
    return PortfolioAnalytics(
        as_of=as_of,
        threshold=threshold,
        loans=loans.height,
        principal=round(float(loans["principal"].sum()), 2),
        vintage=vintage(book, as_of, threshold, status=status),
        roll_rates=roll_rate_matrix(moves),
        transitions=moves,
        flow_rates=flow_rates(moves),
        fpd_by_channel=fpd(book, as_of, by=("channel",)),
        fpd_by_product=fpd(book, as_of, by=("product",)),
        fpd_by_channel_product=fpd(book, as_of, by=("channel", "product")),
        fpd_total=fpd(book, as_of, by=()),
        bucket_mismatches=reconcile_bucket_changes(book, as_of, status),
        loans_with_changes=book.bucket_changes.filter(pl.col("day") <= as_of)["loan_id"].n_unique(),
    )
