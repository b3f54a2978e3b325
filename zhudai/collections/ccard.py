"""The C-card (催收评分卡): the probability that a loan at least one day past due clears its
overdue amount within 30 days, trained with the scorecard toolkit on the loan book's own
collection outcomes.

Episodes and review points
--------------------------
An installment is past due on the days ``due_date + grace_days + 1`` to the day before it was
settled (the ledger's DPD, :mod:`zhudai.loans.bcard`); a loan's **overdue episode** is a run
of consecutive past-due days (overlapping or touching installments merge). A case is
reviewed, and re-allocated, on the episode's first day and every ``REVIEW_DAYS`` days after
while it is still past due: each review day ``t`` is one observation point (dpd 1, 31, 61 ...
for a single missed installment).

Label
-----
``repaid_30d`` = 1 when the episode ends (the overdue amount cleared) on a day ``c`` with
``t < c <= t + REVIEW_DAYS``; so a point labelled 0 is the one whose loan reaches the next
review. A point is labelled only when that is observed by the book's ``as_of``; payments
after ``as_of`` are unmade. The scorecard's target is its complement, ``unpaid_30d`` (the
toolkit's "bad"), so points rise with the odds of repayment.

Features (all at the end of the review day ``t``; nothing later is read)
-----------------------------------------------------------------------
- internal: ``dpd``, ``amount_overdue`` (principal, interest and fee of the installments past
  due), ``principal_outstanding``, ``overdue_share`` (overdue over the principal lent),
  ``mob``, ``paid_share`` (repayments valued by ``t`` over everything due by ``t``),
  ``past_episodes`` and ``longest_past_episode`` (days) of the loan before this one;
- contact outcomes so far in this episode (the store's ``collection_actions``): ``actions``,
  ``contacts``, ``promises``, ``contact_rate`` (missing before any action);
- external: the bureau's multi-lending counts at the application (``BUREAU_FIELDS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Table, select

from zhudai.exceptions import InvalidInputError
from zhudai.loans.bcard import BUREAU_FIELDS, BehaviourFrames, book_day, read_behaviour
from zhudai.loans.delinquency import buckets_of
from zhudai.scorecard.registry import load_model
from zhudai.scorecard.runtime import points_and_pd
from zhudai.scorecard.training import TrainResult, train_latest_out_of_time
from zhudai.store.db import get_engine
from zhudai.store.models import CollectionAction

#: Days between two reviews of a case, and the label's horizon.
REVIEW_DAYS = 30
TARGET = "unpaid_30d"
FEATURES = (
    "dpd",
    "amount_overdue",
    "principal_outstanding",
    "overdue_share",
    "mob",
    "paid_share",
    "past_episodes",
    "longest_past_episode",
    "actions",
    "contacts",
    "promises",
    "contact_rate",
    *BUREAU_FIELDS,
)
KEYS = ("loan_id", "customer_id", "episode_start", "review_day")
CONTACT_SCHEMA = {
    "loan_id": pl.Int64,
    "day": pl.Date,
    "contacted": pl.Boolean,
    "promise": pl.Boolean,
}

_ACTIONS: Table = CollectionAction.__table__  # type: ignore[assignment]


def read_contacts(url: str | None = None) -> pl.DataFrame:
    """The store's collection actions: loan, day (the action's date), contacted, promise."""
    with get_engine(url).connect() as conn:
        rows = [
            (r.loan_id, r.ts.date(), bool(r.contacted), bool(r.promise_to_pay))
            for r in conn.execute(
                select(_ACTIONS.c.loan_id, _ACTIONS.c.ts, _ACTIONS.c.contacted,
                       _ACTIONS.c.promise_to_pay)
            )
        ]  # fmt: skip
    return pl.DataFrame(rows, schema=CONTACT_SCHEMA, orient="row")


def _lines(book: BehaviourFrames, as_of: date) -> pl.DataFrame:
    """Installments of every loan booked by ``as_of`` with ``paid`` cut at ``as_of`` and the
    first past-due day ``late_from``."""
    return book.installments.join(
        book.loans.filter(pl.col("booked_on") <= as_of).select("loan_id", "grace_days"),
        on="loan_id",
    ).with_columns(
        paid=pl.when(pl.col("paid_date") <= as_of).then(pl.col("paid_date")),
        late_from=pl.col("due_date") + pl.duration(days=pl.col("grace_days") + 1),
    )


def overdue_episodes(book: BehaviourFrames, as_of: date) -> pl.DataFrame:
    """``loan_id``, ``start``, ``end`` (the last past-due day, ``as_of`` if still open) and
    ``open`` for every overdue episode that started by ``as_of``.

    Examples
    --------
    >>> from zhudai.loans.bcard import behaviour_frames
    >>> loans = [{"loan_id": 1, "booked_on": date(2024, 1, 1), "principal": 200.0,
    ...           "grace_days": 0}]
    >>> lines = [{"loan_id": 1, "installment_no": k, "due_date": date(2024, k + 1, 1),
    ...           "principal_due": 100.0, "amount_due": 101.0, "paid_date": paid}
    ...          for k, paid in ((1, date(2024, 2, 11)), (2, None))]
    >>> overdue_episodes(behaviour_frames(loans, lines), date(2024, 3, 20)).rows()
    [(1, datetime.date(2024, 2, 2), datetime.date(2024, 2, 10), False), (1, datetime.date(2024, 3, 2), datetime.date(2024, 3, 20), True)]
    """
    spans = (
        _lines(book, as_of)
        .with_columns(end=pl.coalesce(pl.col("paid") - pl.duration(days=1), pl.lit(as_of)))
        .filter((pl.col("late_from") <= pl.col("end")) & (pl.col("late_from") <= as_of))
        .select("loan_id", start="late_from", end="end")
        .sort("loan_id", "start")
    )
    reach = pl.col("end").cum_max().shift(1).over("loan_id")
    fresh = reach.is_null() | (pl.col("start") > reach + pl.duration(days=1))
    return (
        spans.with_columns(episode=fresh.cum_sum())
        .group_by("loan_id", "episode")
        .agg(pl.col("start").min(), pl.col("end").max())
        .with_columns(open=pl.col("end") >= as_of)
        .sort("loan_id", "start")
        .select("loan_id", "start", "end", "open")
    )


def review_points(episodes: pl.DataFrame) -> pl.DataFrame:
    """One row per episode and review day: ``loan_id``, ``episode_start``, ``episode_end``,
    ``open``, ``review_day`` (the start, then every ``REVIEW_DAYS`` days while past due)."""
    reviews = (pl.col("end") - pl.col("start")).dt.total_days() // REVIEW_DAYS + 1
    return (
        episodes.with_columns(k=pl.int_ranges(0, reviews))
        .explode("k")
        .select(
            "loan_id",
            "open",
            episode_start="start",
            episode_end="end",
            review_day=pl.col("start") + pl.duration(days=pl.col("k") * REVIEW_DAYS),
        )
    )


def collection_features(
    book: BehaviourFrames, contacts: pl.DataFrame, points: pl.DataFrame, as_of: date
) -> pl.DataFrame:
    """``KEYS``, ``bucket`` and ``FEATURES`` for each review point (see the module docstring);
    only what had happened by the end of each point's review day is read."""
    pts = points.select("loan_id", "episode_start", "review_day")
    lines = (
        _lines(book, as_of)
        .join(pts, on="loan_id")
        .with_columns(open_at=pl.col("paid").is_null() | (pl.col("paid") > pl.col("review_day")))
    )
    late = (pl.col("late_from") <= pl.col("review_day")) & pl.col("open_at")
    due = pl.col("due_date") <= pl.col("review_day")
    by_point = ["loan_id", "review_day"]
    state = lines.group_by(by_point).agg(
        dpd=(pl.col("review_day").first() - pl.col("due_date").filter(late).min()).dt.total_days(),
        amount_overdue=pl.col("amount_due").filter(late).sum(),
        principal_outstanding=pl.col("principal_due").filter(pl.col("open_at")).sum(),
        amount_due=pl.col("amount_due").filter(due).sum(),
    )
    paid = (
        book.payments.join(pts, on="loan_id")
        .filter(pl.col("value_date") <= pl.col("review_day"))
        .group_by(by_point)
        .agg(amount_paid=pl.col("amount").sum())
    )
    episodes = overdue_episodes(book, as_of)
    past = (
        pts.join(episodes, on="loan_id")
        .filter(pl.col("end") < pl.col("episode_start"))
        .group_by(by_point)
        .agg(
            past_episodes=pl.len(),
            longest_past_episode=((pl.col("end") - pl.col("start")).dt.total_days() + 1).max(),
        )
    )
    worked = (
        pts.join(contacts, on="loan_id")
        .filter(pl.col("day").is_between(pl.col("episode_start"), pl.col("review_day")))
        .group_by(by_point)
        .agg(
            actions=pl.len(),
            contacts=pl.col("contacted").sum(),
            promises=pl.col("promise").sum(),
        )
    )
    loans = book.loans.select("loan_id", "customer_id", "application_id", "booked_on", "principal")
    mob = (pl.col("review_day").dt.year().cast(pl.Int64) * 12 + pl.col("review_day").dt.month()) - (
        pl.col("booked_on").dt.year().cast(pl.Int64) * 12 + pl.col("booked_on").dt.month()
    )
    counts = ("past_episodes", "longest_past_episode", "actions", "contacts", "promises")
    out = (
        pts.join(loans, on="loan_id", how="left")
        .join(state, on=by_point, how="left")
        .join(paid, on=by_point, how="left")
        .join(past, on=by_point, how="left")
        .join(worked, on=by_point, how="left")
        .join(book.bureau, on="application_id", how="left")
        .with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in counts)
        .with_columns(
            dpd=pl.col("dpd").cast(pl.Int64),
            overdue_share=pl.col("amount_overdue") / pl.col("principal"),
            mob=mob,
            paid_share=pl.when(pl.col("amount_due") > 0).then(
                pl.col("amount_paid").fill_null(0.0) / pl.col("amount_due")
            ),
            contact_rate=pl.when(pl.col("actions") > 0).then(
                pl.col("contacts") / pl.col("actions")
            ),
            **{f: pl.col(f).cast(pl.Float64) for f in BUREAU_FIELDS},
        )
    )
    out = out.with_columns(bucket=pl.Series(buckets_of(out["dpd"].fill_null(0).to_numpy())))
    return out.select(*KEYS, "bucket", *FEATURES).sort("review_day", "loan_id")


def collection_labels(points: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """``loan_id``, ``review_day``, ``repaid_30d`` (Int8) for the points whose 30 days are
    observed by ``as_of``: 1 when the episode ended within ``REVIEW_DAYS`` days of the review."""
    horizon = pl.col("review_day") + pl.duration(days=REVIEW_DAYS)
    cleared = pl.col("episode_end") + pl.duration(days=1)
    repaid = ~pl.col("open") & (cleared <= horizon)
    return points.filter(repaid | (horizon <= as_of)).select(
        "loan_id", "review_day", repaid_30d=repaid.cast(pl.Int8)
    )


def training_frame(book: BehaviourFrames, contacts: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Every labelled review point of the book's episodes: keys, bucket, features,
    ``repaid_30d`` and ``TARGET``."""
    points = review_points(overdue_episodes(book, as_of))
    labels = collection_labels(points, as_of)
    return (
        collection_features(book, contacts, points, as_of)
        .join(labels, on=["loan_id", "review_day"])
        .with_columns(**{TARGET: (1 - pl.col("repaid_30d")).cast(pl.Int8)})
    )


def live_points(book: BehaviourFrames, contacts: pl.DataFrame, day: date) -> pl.DataFrame:
    """Features of every loan past due at the end of ``day`` (what the day's cases are
    scored on), observed on ``day`` itself."""
    episodes = overdue_episodes(book, day).filter(pl.col("open"))
    points = episodes.select(
        "loan_id", "open", episode_start="start", episode_end="end", review_day=pl.lit(day)
    )
    return collection_features(book, contacts, points, day)


# -- training and scoring -----------------------------------------------------------------
@dataclass(frozen=True)
class CcardTraining:
    """The fitted C-card, the labelled points it saw and where the out-of-time sample starts."""

    result: TrainResult
    rows: int
    repaid_rate: float
    review_days: tuple[date, date]
    oot_from: str


def train_ccard(
    url: str | None = None,
    as_of: date | None = None,
    *,
    oot_share: float = 0.2,
    seed: int = 0,
    name: str = "ccard",
) -> CcardTraining:
    """Train the C-card (WOE + LR in points, ``kind="C"``) on the book at ``url`` observed to
    ``as_of`` (default: the book's last projection day); the latest ``oot_share`` of the review
    points (by review day) are kept out of time."""
    day = as_of or book_day(url)
    frame = training_frame(read_behaviour(url), read_contacts(url), day)
    return fit_ccard(frame, oot_share=oot_share, seed=seed, name=name)


def fit_ccard(
    frame: pl.DataFrame, *, oot_share: float = 0.2, seed: int = 0, name: str = "ccard"
) -> CcardTraining:
    """Fit the C-card on a :func:`training_frame`, the latest ``oot_share`` out of time."""
    if not 0 < oot_share < 1:
        raise InvalidInputError("oot_share", f"must be in (0, 1); got {oot_share}")
    if frame.height == 0 or frame[TARGET].n_unique() < 2:
        raise InvalidInputError(
            "book", f"gives {frame.height} labelled review points with one class or none"
        )
    result, oot_from = train_latest_out_of_time(
        frame.drop("bucket", "repaid_30d", "episode_start").to_pandas(), TARGET, "review_day",
        oot_share, kind="C", seed=seed, name=name,
    )  # fmt: skip
    first, last = frame["review_day"].min(), frame["review_day"].max()
    assert isinstance(first, date) and isinstance(last, date)
    repaid = float(frame["repaid_30d"].cast(pl.Float64).to_numpy().mean())
    return CcardTraining(result, frame.height, repaid, (first, last), oot_from)


def installed_ccard(model_dir: str | Path | None = None) -> Any:
    """The C-card at ``model_dir`` (default: the installed one, ``<home>/models/ccard``)."""
    if model_dir is None:
        from zhudai.settings import get_settings

        model_dir = get_settings().home / "models" / "ccard"
    return load_model(model_dir)


def score_points(model: Any, feats: pl.DataFrame) -> pl.DataFrame:
    """``feats`` with ``cscore`` (points: higher, likelier to repay) and ``p_repay`` (the
    probability of clearing the overdue amount within ``REVIEW_DAYS`` days)."""
    if feats.height == 0:
        return feats.with_columns(cscore=pl.lit(None, pl.Float64), p_repay=pl.lit(None, pl.Float64))
    score, p_unpaid = points_and_pd(model, feats.to_pandas())
    return feats.with_columns(cscore=pl.Series(score), p_repay=pl.Series(1.0 - p_unpaid))


def score_overdue(url: str | None, day: date, model_dir: str | Path | None = None) -> pl.DataFrame:
    """C-score and repayment probability of every loan past due at the end of ``day``."""
    return score_points(
        installed_ccard(model_dir), live_points(read_behaviour(url), read_contacts(url), day)
    )
