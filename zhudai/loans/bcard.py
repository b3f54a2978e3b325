"""The B-card (行为评分卡): behaviour features per loan and month-end, its label, training
with the scorecard toolkit, and the monthly scoring of the active book.

No look-ahead
-------------
Every feature of a loan at the month-end ``M`` is a function of what had happened by the end
of day ``M``: an installment settled after ``M`` reads as unpaid (the analytics' rule,
:mod:`zhudai.loans.analytics`), a repayment valued after ``M`` is not counted, a line's limit
is the one before any strategy action effective after ``M`` (``loan_actions`` keep the
before / after values), and the multi-lending counts are the bureau's answer at the
application. The store holds today's view of the past: a repayment reversed later is absent
from every month-end, as the ledger itself treats it.

Population and label
--------------------
An observation point is a loan and a month-end ``M`` on or after its booking month's end, with
something unpaid at ``M`` (active) and **not past due at M** (DPD 0: the B-card scores the
customers not overdue; an overdue loan belongs to collections and the C-card, and the drawdown
policy already refuses a past-due customer, L03). ``bad`` = the loan reaches 30+ DPD on some
day of the six months after ``M`` (``M`` + 1 day to the month-end six months later), with the
grace days of the loan (DPD counts only past grace). A point is labelled only when those six
months are observed (their last day on or before the book's ``as_of``); payments after
``as_of`` are unmade.

Features (all at ``M``)
-----------------------
- ``mob``: months on book (``M``'s month less the booking month).
- ``n_due``: installments due by ``M``.
- ``on_time_share``: of those, the share settled on or before the due date; missing when none
  is due yet (never 0).
- ``mean_days_late`` / ``max_days_late``: per due installment, days between the due date and
  the day it was settled, or ``M`` if it is still open (0 when paid early); missing when none
  is due.
- ``dpd_now``: DPD at ``M`` (0 in the population; kept for the strategies).
- ``max_dpd_3m`` / ``max_dpd_6m``: the largest DPD on any day of the 3 / 6 months ending at
  ``M`` (from the month-end 3 / 6 months before, exclusive).
- ``months_m1plus_6m``: of the six month-ends ending at ``M`` (those on or after the booking
  month's), how many found the loan M1+ (DPD >= 1).
- ``payment_ratio``: repayments valued by ``M`` over the principal, interest and fee due by
  ``M``; missing when nothing is due (above 1 for a prepayment).
- ``outstanding_share``: principal not settled at ``M`` over the principal lent.
- ``utilisation``: for a loan on a credit line, the line's drawn amount at ``M`` (the
  outstanding principal of its loans at ``M``) over its limit at ``M``; missing off a line.
- ``multi_lending_30d``, ``multi_lending_90d``, ``multi_lending_180d``, ``inquiries_30d``:
  the bureau row of the loan's application (多头借贷); missing when there is no row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Table, func, select

from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.loans.analytics import last_month_end
from zhudai.loans.book import REPAYMENT, REVERSAL
from zhudai.scorecard.registry import load_model
from zhudai.scorecard.runtime import points_and_pd
from zhudai.scorecard.training import TrainResult, train_latest_out_of_time
from zhudai.store.db import get_engine
from zhudai.store.models import (
    BureauReport,
    CreditLine,
    Installment,
    Loan,
    LoanAction,
    Repayment,
)

BAD_DPD = 30
HORIZON_MONTHS = 6
#: The strategy actions that change a line's limit (their details keep ``before``/``after``).
LIMIT_ACTIONS = ("limit_increase", "limit_decrease")
#: The model features, in the order of the module docstring (``dpd_now`` is 0 in the
#: population, so it is kept for the strategies but not offered to the model).
FEATURES = (
    "mob",
    "n_due",
    "on_time_share",
    "mean_days_late",
    "max_days_late",
    "max_dpd_3m",
    "max_dpd_6m",
    "months_m1plus_6m",
    "payment_ratio",
    "outstanding_share",
    "utilisation",
    "multi_lending_30d",
    "multi_lending_90d",
    "multi_lending_180d",
    "inquiries_30d",
)
BUREAU_FIELDS = ("multi_lending_30d", "multi_lending_90d", "multi_lending_180d", "inquiries_30d")
KEYS = ("loan_id", "line_id", "application_id", "customer_id", "month_end")

_LOANS: Table = Loan.__table__  # type: ignore[assignment]
_INSTALLMENTS: Table = Installment.__table__  # type: ignore[assignment]
_PAYMENTS: Table = Repayment.__table__  # type: ignore[assignment]
_CREDIT_LINES: Table = CreditLine.__table__  # type: ignore[assignment]
_ACTIONS: Table = LoanAction.__table__  # type: ignore[assignment]
_BUREAU: Table = BureauReport.__table__  # type: ignore[assignment]

LOAN_SCHEMA = {
    "loan_id": pl.Int64,
    "application_id": pl.Int64,
    "customer_id": pl.Int64,
    "line_id": pl.Int64,
    "booked_on": pl.Date,
    "principal": pl.Float64,
    "grace_days": pl.Int64,
}
INSTALLMENT_SCHEMA = {
    "loan_id": pl.Int64,
    "installment_no": pl.Int64,
    "due_date": pl.Date,
    "principal_due": pl.Float64,
    "amount_due": pl.Float64,
    "paid_date": pl.Date,
}
PAYMENT_SCHEMA = {"loan_id": pl.Int64, "value_date": pl.Date, "amount": pl.Float64}
LINE_SCHEMA = {"line_id": pl.Int64, "credit_limit": pl.Float64}
LIMIT_CHANGE_SCHEMA = {"line_id": pl.Int64, "effective": pl.Date, "before": pl.Float64}
BUREAU_SCHEMA = {"application_id": pl.Int64, **{f: pl.Int64 for f in BUREAU_FIELDS}}


@dataclass(frozen=True)
class BehaviourFrames:
    """The book as the B-card reads it (columns as in the ``*_SCHEMA`` tables): loans,
    installments (``amount_due`` = principal + interest + fee), live repayments, lines with
    their limit now, the limit changes of strategy actions (the limit ``before`` a change
    ``effective`` from that day) and the bureau rows of the applications."""

    loans: pl.DataFrame
    installments: pl.DataFrame
    payments: pl.DataFrame
    lines: pl.DataFrame
    limit_changes: pl.DataFrame
    bureau: pl.DataFrame


def behaviour_frames(
    loans: Sequence[dict[str, Any]],
    installments: Sequence[dict[str, Any]],
    payments: Sequence[dict[str, Any]] = (),
    lines: Sequence[dict[str, Any]] = (),
    limit_changes: Sequence[dict[str, Any]] = (),
    bureau: Sequence[dict[str, Any]] = (),
) -> BehaviourFrames:
    """Frames from plain rows (what :func:`read_behaviour` builds from the store)."""

    def frame(rows: Sequence[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
        return pl.DataFrame(list(rows), schema=schema, orient="row")

    return BehaviourFrames(
        frame(loans, LOAN_SCHEMA),
        frame(installments, INSTALLMENT_SCHEMA),
        frame(payments, PAYMENT_SCHEMA),
        frame(lines, LINE_SCHEMA),
        frame(limit_changes, LIMIT_CHANGE_SCHEMA),
        frame(bureau, BUREAU_SCHEMA),
    )


def read_behaviour(url: str | None = None) -> BehaviourFrames:
    """Read the frames from the store at ``url`` (default: the settings' database)."""
    reversed_keys = select(_PAYMENTS.c.reverses).where(_PAYMENTS.c.kind == REVERSAL)
    with get_engine(url).connect() as conn:
        loans = [
            {
                "loan_id": r.id,
                "application_id": r.application_id,
                "customer_id": r.customer_id,
                "line_id": r.line_id,
                "booked_on": r.booked_at.date(),
                "principal": float(r.principal),
                "grace_days": r.grace_days or 0,
            }
            for r in conn.execute(
                select(
                    _LOANS.c.id,
                    _LOANS.c.application_id,
                    _LOANS.c.customer_id,
                    _LOANS.c.line_id,
                    _LOANS.c.booked_at,
                    _LOANS.c.principal,
                    _LOANS.c.grace_days,
                ).order_by(_LOANS.c.id)
            )
        ]
        installments = [
            {
                "loan_id": r.loan_id,
                "installment_no": r.installment_no,
                "due_date": r.due_date,
                "principal_due": float(r.principal_due),
                "amount_due": float(r.principal_due + r.interest_due + (r.fee_due or 0)),
                "paid_date": r.paid_date,
            }
            for r in conn.execute(
                select(
                    _INSTALLMENTS.c.loan_id,
                    _INSTALLMENTS.c.installment_no,
                    _INSTALLMENTS.c.due_date,
                    _INSTALLMENTS.c.principal_due,
                    _INSTALLMENTS.c.interest_due,
                    _INSTALLMENTS.c.fee_due,
                    _INSTALLMENTS.c.paid_date,
                ).order_by(_INSTALLMENTS.c.loan_id, _INSTALLMENTS.c.installment_no)
            )
        ]
        payments = [
            {"loan_id": r.loan_id, "value_date": r.day, "amount": float(r.amount)}
            for r in conn.execute(
                select(
                    _PAYMENTS.c.loan_id,
                    _PAYMENTS.c.value_date.label("day"),
                    _PAYMENTS.c.amount,
                ).where(
                    _PAYMENTS.c.kind == REPAYMENT,
                    _PAYMENTS.c.value_date.is_not(None),
                    _PAYMENTS.c.idempotency_key.not_in(reversed_keys),
                )
            )
        ]
        lines = [
            {"line_id": r.id, "credit_limit": float(r.credit_limit)}
            for r in conn.execute(select(_CREDIT_LINES.c.id, _CREDIT_LINES.c.credit_limit))
        ]
        changes = [
            {
                "line_id": r.line_id,
                "effective": date.fromisoformat(r.details["effective"]),
                "before": float(r.details["before"]["credit_limit"]),
            }
            for r in conn.execute(
                select(_ACTIONS.c.line_id, _ACTIONS.c.details).where(
                    _ACTIONS.c.action.in_(LIMIT_ACTIONS), _ACTIONS.c.line_id.is_not(None)
                )
            )
        ]
        bureau = [
            dict(r._mapping)
            for r in conn.execute(
                select(_BUREAU.c.application_id, *[_BUREAU.c[f] for f in BUREAU_FIELDS])
            )
        ]
    return behaviour_frames(loans, installments, payments, lines, changes, bureau)


# -- month arithmetic ---------------------------------------------------------------------
def month_end_after(month_end: date, months: int) -> date:
    """The month-end ``months`` calendar months after (negative: before) ``month_end``.

    Examples
    --------
    >>> month_end_after(date(2024, 1, 31), 1), month_end_after(date(2024, 3, 31), -6)
    (datetime.date(2024, 2, 29), datetime.date(2023, 9, 30))
    """
    index = month_end.year * 12 + month_end.month - 1 + months
    first_of_next = date(index // 12 + (index % 12 + 1) // 12, (index % 12 + 1) % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def month_ends(first: date, last: date) -> list[date]:
    """Every month-end from ``first``'s month to the last month-end on or before ``last``."""
    out, end, stop = [], month_end_after(first.replace(day=1) - timedelta(days=1), 1), last
    while end <= stop:
        out.append(end)
        end = month_end_after(end, 1)
    return out


def _check_month_end(day: date) -> None:
    if last_month_end(day) != day:
        raise InvalidInputError("month_end", f"must be the last day of a month; got {day}")


# -- features -----------------------------------------------------------------------------
def _dpd_on(lines: pl.DataFrame, day: date) -> pl.DataFrame:
    """Per loan with an installment due and unpaid at the end of ``day``: its DPD (``dpd``,
    past grace), from ``lines`` whose ``paid`` is already cut at the observation day."""
    return (
        lines.filter(
            (pl.col("due_date") <= day) & (pl.col("paid").is_null() | (pl.col("paid") > day))
        )
        .group_by("loan_id")
        .agg(
            days=(pl.lit(day) - pl.col("due_date").min()).dt.total_days(),
            grace=pl.first("grace_days"),
        )
        .select("loan_id", dpd=pl.when(pl.col("days") > pl.col("grace")).then("days").otherwise(0))
    )


def _max_dpd_since(lines: pl.DataFrame, start: date, end: date, name: str) -> pl.DataFrame:
    """Per loan, the largest DPD on a day of ``[start, end]`` (0 if none)."""
    until = (
        pl.when(pl.col("paid").is_null())
        .then(pl.lit(end))
        .otherwise(pl.min_horizontal(pl.col("paid") - pl.duration(days=1), pl.lit(end)))
    )
    return (
        lines.filter(pl.col("due_date") <= end)
        .with_columns(until=until)
        .filter(pl.col("until") >= pl.max_horizontal(pl.col("due_date"), pl.lit(start)))
        .with_columns(days=(pl.col("until") - pl.col("due_date")).dt.total_days())
        .with_columns(days=pl.when(pl.col("days") > pl.col("grace_days")).then("days").otherwise(0))
        .group_by("loan_id")
        .agg(pl.col("days").max().alias(name))
    )


def features_at(book: BehaviourFrames, month_end: date) -> pl.DataFrame:
    """One row per loan booked by ``month_end`` with something unpaid then: the keys
    (``KEYS``), ``dpd_now`` and every feature of ``FEATURES`` as of that day (see the module
    docstring); the population filter (DPD 0) is :func:`population`'s."""
    _check_month_end(month_end)
    m = month_end
    loans = book.loans.filter(pl.col("booked_on") <= m)
    lines = book.installments.join(
        loans.select("loan_id", "grace_days"), on="loan_id", how="inner"
    ).with_columns(paid=pl.when(pl.col("paid_date") <= m).then(pl.col("paid_date")))
    totals = lines.group_by("loan_id").agg(
        principal_total=pl.col("principal_due").sum(),
        principal_settled=pl.col("principal_due").filter(pl.col("paid").is_not_null()).sum(),
        open_lines=pl.col("paid").is_null().sum(),
    )
    due = lines.filter(pl.col("due_date") <= m).with_columns(
        late=pl.when(pl.col("paid").is_not_null())
        .then(pl.max_horizontal((pl.col("paid") - pl.col("due_date")).dt.total_days(), pl.lit(0)))
        .otherwise((pl.lit(m) - pl.col("due_date")).dt.total_days())
    )
    punctual = due.group_by("loan_id").agg(
        n_due=pl.len(),
        on_time_share=(pl.col("paid").is_not_null() & (pl.col("paid") <= pl.col("due_date")))
        .cast(pl.Float64)
        .mean(),
        mean_days_late=pl.col("late").cast(pl.Float64).mean(),
        max_days_late=pl.col("late").max(),
        amount_due=pl.col("amount_due").sum(),
    )
    paid = (
        book.payments.filter(pl.col("value_date") <= m)
        .group_by("loan_id")
        .agg(amount_paid=pl.col("amount").sum())
    )
    out = (
        loans.join(totals, on="loan_id", how="inner")
        .filter(pl.col("open_lines") > 0)
        .join(punctual, on="loan_id", how="left")
        .join(paid, on="loan_id", how="left")
        .join(_dpd_on(lines, m).rename({"dpd": "dpd_now"}), on="loan_id", how="left")
        .join(
            _max_dpd_since(lines, month_end_after(m, -3) + timedelta(days=1), m, "max_dpd_3m"),
            on="loan_id",
            how="left",
        )
        .join(
            _max_dpd_since(lines, month_end_after(m, -6) + timedelta(days=1), m, "max_dpd_6m"),
            on="loan_id",
            how="left",
        )
    )
    m1 = pl.DataFrame(schema={"loan_id": pl.Int64, "k": pl.Int64})
    for k in range(6):
        end = month_end_after(m, -k)
        hit = (
            _dpd_on(lines, end).filter(pl.col("dpd") >= 1).select("loan_id", k=pl.lit(k, pl.Int64))
        )
        booked = loans.filter(pl.col("booked_on") <= end).select("loan_id")
        m1 = pl.concat([m1, hit.join(booked, on="loan_id", how="semi")])
    m1 = m1.group_by("loan_id").agg(months_m1plus_6m=pl.len())
    out = out.join(m1, on="loan_id", how="left")
    # the line's drawn amount and limit at m (limit before any change effective after m)
    outstanding = out.select(
        "loan_id", "line_id", balance=pl.col("principal_total") - pl.col("principal_settled")
    )
    drawn = (
        outstanding.filter(pl.col("line_id").is_not_null())
        .group_by("line_id")
        .agg(line_drawn=pl.col("balance").sum())
    )
    later = (
        book.limit_changes.filter(pl.col("effective") > m)
        .sort("effective")
        .group_by("line_id")
        .agg(pl.col("before").first())
    )
    limits = book.lines.join(later, on="line_id", how="left").select(
        "line_id", line_limit=pl.coalesce("before", "credit_limit")
    )
    out = out.join(drawn, on="line_id", how="left").join(limits, on="line_id", how="left")
    mob = pl.lit(m.year * 12 + m.month) - (
        pl.col("booked_on").dt.year().cast(pl.Int64) * 12 + pl.col("booked_on").dt.month()
    )
    out = out.join(book.bureau, on="application_id", how="left").with_columns(
        month_end=pl.lit(m),
        mob=mob.cast(pl.Int64),
        n_due=pl.col("n_due").fill_null(0).cast(pl.Int64),
        dpd_now=pl.col("dpd_now").fill_null(0).cast(pl.Int64),
        max_dpd_3m=pl.col("max_dpd_3m").fill_null(0).cast(pl.Int64),
        max_dpd_6m=pl.col("max_dpd_6m").fill_null(0).cast(pl.Int64),
        months_m1plus_6m=pl.col("months_m1plus_6m").fill_null(0).cast(pl.Int64),
        max_days_late=pl.col("max_days_late").cast(pl.Float64),
        payment_ratio=pl.when(pl.col("amount_due") > 0).then(
            pl.col("amount_paid").fill_null(0.0) / pl.col("amount_due")
        ),
        outstanding_share=(pl.col("principal_total") - pl.col("principal_settled"))
        / pl.col("principal"),
        utilisation=pl.when(pl.col("line_limit") > 0).then(
            pl.col("line_drawn").fill_null(0.0) / pl.col("line_limit")
        ),
        **{f: pl.col(f).cast(pl.Float64) for f in BUREAU_FIELDS},
    )
    return out.select(*KEYS, "dpd_now", *FEATURES).sort("loan_id")


def behaviour_features(book: BehaviourFrames, ends: Sequence[date]) -> pl.DataFrame:
    """:func:`features_at` for each month-end, stacked."""
    frames = [features_at(book, m) for m in ends]
    return pl.concat(frames) if frames else features_at(book, date(1970, 1, 31)).clear()


def population(features: pl.DataFrame) -> pl.DataFrame:
    """The observation points the B-card scores: active and not past due (DPD 0)."""
    return features.filter(pl.col("dpd_now") == 0)


# -- the label ----------------------------------------------------------------------------
def behaviour_labels(book: BehaviourFrames, ends: Sequence[date], as_of: date) -> pl.DataFrame:
    """``loan_id``, ``month_end``, ``bad`` (Int8) for every loan booked by each month-end whose
    six following months end on or before ``as_of``: 1 if it reached ``BAD_DPD`` on a day of
    them (payments valued after ``as_of`` unmade)."""
    rows = []
    for m in ends:
        _check_month_end(m)
        horizon = month_end_after(m, HORIZON_MONTHS)
        if horizon > as_of:
            continue
        loans = book.loans.filter(pl.col("booked_on") <= m).select("loan_id", "grace_days")
        lines = book.installments.join(loans, on="loan_id", how="inner").with_columns(
            paid=pl.when(pl.col("paid_date") <= as_of).then(pl.col("paid_date")),
            hit=pl.col("due_date")
            + pl.duration(days=pl.max_horizontal(pl.lit(BAD_DPD), pl.col("grace_days") + 1)),
        )
        last_unpaid = (
            pl.when(pl.col("paid").is_null())
            .then(pl.lit(horizon))
            .otherwise(pl.min_horizontal(pl.col("paid") - pl.duration(days=1), pl.lit(horizon)))
        )
        bad = (
            lines.filter(
                pl.max_horizontal(pl.col("hit"), pl.lit(m + timedelta(days=1))) <= last_unpaid
            )
            .select("loan_id")
            .unique()
        )
        rows.append(
            loans.select("loan_id", month_end=pl.lit(m)).with_columns(
                bad=pl.col("loan_id").is_in(bad["loan_id"].implode()).cast(pl.Int8)
            )
        )
    schema = {"loan_id": pl.Int64, "month_end": pl.Date, "bad": pl.Int8}
    return pl.concat(rows) if rows else pl.DataFrame(schema=schema)


def training_frame(book: BehaviourFrames, as_of: date) -> pl.DataFrame:
    """The labelled population: every month-end from the first booking to ``as_of`` whose six
    following months are observed, features joined to ``bad``."""
    if book.loans.is_empty():
        raise InvalidInputError("book", "has no loans to observe")
    first = book.loans["booked_on"].min()
    assert isinstance(first, date)
    ends = [m for m in month_ends(first, as_of) if month_end_after(m, HORIZON_MONTHS) <= as_of]
    feats = population(behaviour_features(book, ends))
    return feats.join(behaviour_labels(book, ends, as_of), on=["loan_id", "month_end"])


# -- training and scoring -----------------------------------------------------------------
@dataclass(frozen=True)
class BcardTraining:
    """The fitted B-card, the rows it saw and where the out-of-time sample starts."""

    result: TrainResult
    rows: int
    bad_rate: float
    month_ends: tuple[date, date]
    oot_from: str


def train_bcard(
    url: str | None = None,
    as_of: date | None = None,
    *,
    oot_share: float = 0.2,
    seed: int = 0,
    name: str = "bcard",
) -> BcardTraining:
    """Train the B-card (WOE + LR in points, ``kind="B"``) on the book at ``url`` observed to
    ``as_of`` (default: the book's last projection day); the latest ``oot_share`` of the
    observation month-ends' rows are kept out of time."""
    if not 0 < oot_share < 1:
        raise InvalidInputError("oot_share", f"must be in (0, 1); got {oot_share}")
    day = as_of or book_day(url)
    frame = training_frame(read_behaviour(url), day)
    if frame.height == 0 or frame["bad"].n_unique() < 2:
        raise InvalidInputError(
            "book", f"gives {frame.height} labelled observation points with one class or none"
        )
    result, oot_from = train_latest_out_of_time(
        frame.drop("dpd_now").to_pandas(), "bad", "month_end", oot_share,
        kind="B", seed=seed, name=name,
    )  # fmt: skip
    first, last = frame["month_end"].min(), frame["month_end"].max()
    assert isinstance(first, date) and isinstance(last, date)
    return BcardTraining(
        result,
        frame.height,
        float(frame["bad"].cast(pl.Float64).sum()) / frame.height,
        (first, last),
        oot_from,
    )


def book_day(url: str | None) -> date:
    """The book's last projection day (the newest `as_of` of its loans)."""
    with get_engine(url).connect() as conn:
        day = conn.scalar(select(func.max(_LOANS.c.as_of)))
    if day is None:
        raise NotFoundError("book", "no projected loan (run the take-over or a close first)")
    return day


def installed_bcard(model_dir: str | Path | None = None) -> Any:
    """The B-card model at ``model_dir`` (default: the installed one, ``<home>/models/bcard``)."""
    if model_dir is None:
        from zhudai.settings import get_settings

        model_dir = get_settings().home / "models" / "bcard"
    return load_model(model_dir)


def score_features(model: Any, feats: pl.DataFrame) -> pl.DataFrame:
    """``feats`` with ``bscore`` and ``bpd``; a model without points is given the PD on the
    default points scale (600 at 50:1, PDO 20), as ``score_table`` does."""
    if feats.height == 0:
        return feats.with_columns(bscore=pl.lit(None, pl.Float64), bpd=pl.lit(None, pl.Float64))
    score, pd_bad = points_and_pd(model, feats.to_pandas())
    return feats.with_columns(bscore=pl.Series(score), bpd=pl.Series(pd_bad))


def score_book(
    url: str | None, month_end: date, model_dir: str | Path | None = None
) -> pl.DataFrame:
    """The B-score and PD of every loan in the population at ``month_end`` (active, DPD 0):
    the keys, ``dpd_now``, the features, ``bscore`` and ``bpd``. ``model_dir`` defaults to
    the installed card, ``<home>/models/bcard``."""
    _check_month_end(month_end)
    model = installed_bcard(model_dir)
    return score_features(model, population(features_at(read_behaviour(url), month_end)))
