"""C-card episodes, review points, features and labels pinned to a hand-computed small book;
the no-look-ahead property; and a fit on a synthetic book whose repayment follows a feature."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhudai.collections.ccard import (
    CONTACT_SCHEMA,
    FEATURES,
    collection_features,
    collection_labels,
    fit_ccard,
    live_points,
    overdue_episodes,
    review_points,
    training_frame,
)
from zhudai.exceptions import InvalidInputError
from zhudai.loans.bcard import BehaviourFrames, behaviour_frames

AS_OF = date(2024, 6, 30)
D = date


def _book() -> tuple[BehaviourFrames, pl.DataFrame]:
    """Loan 1: three installments of 110 (100 principal); the first paid 10 days late, the
    second and third together on 2024-04-20. Loan 2: 3 grace days, one installment of 500,
    never paid."""
    loans = [
        {"loan_id": 1, "application_id": 11, "customer_id": 1, "booked_on": D(2024, 1, 1),
         "principal": 300.0, "grace_days": 0},
        {"loan_id": 2, "application_id": 12, "customer_id": 2, "booked_on": D(2024, 1, 15),
         "principal": 480.0, "grace_days": 3},
    ]  # fmt: skip
    lines = [
        {"loan_id": 1, "installment_no": k, "due_date": D(2024, k + 1, 1),
         "principal_due": 100.0, "amount_due": 110.0, "paid_date": paid}
        for k, paid in ((1, D(2024, 2, 11)), (2, D(2024, 4, 20)), (3, D(2024, 4, 20)))
    ] + [{"loan_id": 2, "installment_no": 1, "due_date": D(2024, 2, 15), "principal_due": 480.0,
          "amount_due": 500.0, "paid_date": None}]  # fmt: skip
    payments = [
        {"loan_id": 1, "value_date": D(2024, 2, 11), "amount": 110.0},
        {"loan_id": 1, "value_date": D(2024, 4, 20), "amount": 220.0},
    ]
    bureau = [
        {"application_id": 11, "multi_lending_30d": 2, "multi_lending_90d": 3,
         "multi_lending_180d": 4, "inquiries_30d": 1},
    ]  # fmt: skip
    contacts = pl.DataFrame(
        [
            (1, D(2024, 2, 5), True, False),  # the first episode's
            (1, D(2024, 3, 5), False, False),
            (1, D(2024, 3, 20), True, True),
            (1, D(2024, 4, 5), True, False),  # after the second review
        ],
        schema=CONTACT_SCHEMA,
        orient="row",
    )
    return behaviour_frames(loans, lines, payments, bureau=bureau), contacts


def test_episodes_merge_touching_installments_and_respect_grace() -> None:
    book, _ = _book()
    assert overdue_episodes(book, AS_OF).rows() == [
        (1, D(2024, 2, 2), D(2024, 2, 10), False),
        (1, D(2024, 3, 2), D(2024, 4, 19), False),  # installments 2 and 3 overlap
        (2, D(2024, 2, 19), AS_OF, True),  # due 02-15, 3 grace days
    ]
    # the same book seen on 2024-04-19: the second episode is still open
    assert overdue_episodes(book, D(2024, 4, 19)).rows()[1] == (
        1, D(2024, 3, 2), D(2024, 4, 19), True,
    )  # fmt: skip


def test_review_points_and_labels() -> None:
    book, _ = _book()
    points = review_points(overdue_episodes(book, AS_OF))
    assert points.select("loan_id", "review_day").rows() == [
        (1, D(2024, 2, 2)),
        (1, D(2024, 3, 2)),
        (1, D(2024, 4, 1)),  # still past due 30 days after 03-02
        (2, D(2024, 2, 19)),
        (2, D(2024, 3, 20)),
        (2, D(2024, 4, 19)),
        (2, D(2024, 5, 19)),
        (2, D(2024, 6, 18)),
    ]
    labels = collection_labels(points, AS_OF).sort("loan_id", "review_day")
    # cleared 02-11 (<= 03-03): 1; cleared 04-20 > 04-01: 0, <= 05-01: 1; loan 2 never, and
    # its last review's 30 days (to 07-18) are not observed by 06-30
    assert labels.rows() == [
        (1, D(2024, 2, 2), 1),
        (1, D(2024, 3, 2), 0),
        (1, D(2024, 4, 1), 1),
        (2, D(2024, 2, 19), 0),
        (2, D(2024, 3, 20), 0),
        (2, D(2024, 4, 19), 0),
        (2, D(2024, 5, 19), 0),
    ]


def test_features_pinned_by_hand() -> None:
    book, contacts = _book()
    points = review_points(overdue_episodes(book, AS_OF))
    feats = collection_features(book, contacts, points, AS_OF)
    row = {r["review_day"]: r for r in feats.filter(pl.col("loan_id") == 1).iter_rows(named=True)}
    second = row[D(2024, 4, 1)]
    assert second["dpd"] == 31 and second["bucket"] == "M2"  # 04-01 less 03-01
    assert second["amount_overdue"] == pytest.approx(110.0)  # installment 3 is due, not late
    assert second["principal_outstanding"] == pytest.approx(200.0)
    assert second["overdue_share"] == pytest.approx(110.0 / 300.0)
    assert second["mob"] == 3
    assert second["paid_share"] == pytest.approx(110.0 / 330.0)
    assert (second["past_episodes"], second["longest_past_episode"]) == (1, 9)
    assert (second["actions"], second["contacts"], second["promises"]) == (2, 1, 1)
    assert second["contact_rate"] == pytest.approx(0.5)
    assert second["multi_lending_30d"] == 2.0
    first = row[D(2024, 3, 2)]
    assert (first["dpd"], first["mob"], first["actions"]) == (1, 2, 0)
    assert first["contact_rate"] is None  # no action yet: missing, not 0
    assert first["paid_share"] == pytest.approx(0.5)
    assert first["principal_outstanding"] == pytest.approx(200.0)
    opening = row[D(2024, 2, 2)]
    assert (opening["past_episodes"], opening["actions"]) == (0, 0)  # the 02-05 call is later
    other = feats.filter(pl.col("loan_id") == 2).row(0, named=True)
    assert (other["dpd"], other["multi_lending_30d"]) == (4, None)  # grace counted; no bureau row


def test_live_points_are_the_loans_past_due_on_the_day() -> None:
    book, contacts = _book()
    live = live_points(book, contacts, D(2024, 4, 19))
    assert live["loan_id"].to_list() == [1, 2]
    one = live.row(0, named=True)
    assert (one["dpd"], one["amount_overdue"], one["bucket"]) == (49, 220.0, "M2")
    assert live_points(book, contacts, D(2024, 4, 20))["loan_id"].to_list() == [2]


@st.composite
def _random_book(draw: st.DrawFn) -> tuple[BehaviourFrames, pl.DataFrame, date]:
    loans, lines, payments, contacts = [], [], [], []
    start = D(2024, 1, 1)
    for loan in range(1, draw(st.integers(1, 4)) + 1):
        grace = draw(st.integers(0, 3))
        loans.append({"loan_id": loan, "application_id": loan, "customer_id": loan,
                      "booked_on": start, "principal": 600.0, "grace_days": grace})  # fmt: skip
        for k in range(1, 7):
            due = D(2024, k + 1, 1)
            late = draw(st.one_of(st.none(), st.integers(-3, 120)))
            paid = None if late is None else due + timedelta(days=late)
            lines.append({"loan_id": loan, "installment_no": k, "due_date": due,
                          "principal_due": 100.0, "amount_due": 105.0, "paid_date": paid})  # fmt: skip
            if paid is not None:
                payments.append({"loan_id": loan, "value_date": paid, "amount": 105.0})
        for day in draw(st.lists(st.integers(30, 300), max_size=6)):
            contacts.append((loan, start + timedelta(days=day), draw(st.booleans()), False))
    cut = start + timedelta(days=draw(st.integers(40, 250)))
    frames = behaviour_frames(loans, lines, payments)
    return frames, pl.DataFrame(contacts, schema=CONTACT_SCHEMA, orient="row"), cut


def _forget_after(book: BehaviourFrames, contacts: pl.DataFrame, cut: date) -> tuple:
    """The same book with everything after ``cut`` rewritten: every later settlement undone,
    later payments and contacts gone."""
    lines = book.installments.with_columns(
        paid_date=pl.when(pl.col("paid_date") <= cut).then(pl.col("paid_date"))
    )
    later = BehaviourFrames(
        book.loans, lines, book.payments.filter(pl.col("value_date") <= cut),
        book.lines, book.limit_changes, book.bureau,
    )  # fmt: skip
    return later, contacts.filter(pl.col("day") <= cut)


@settings(max_examples=40, deadline=None)
@given(_random_book())
def test_no_feature_reads_past_its_review_day(case: tuple) -> None:
    """Features of a review on or before ``cut`` are the same whatever happens after ``cut``."""
    book, contacts, cut = case
    other_book, other_contacts = _forget_after(book, contacts, cut)
    keys = ["loan_id", "review_day"]

    def seen(b: BehaviourFrames, c: pl.DataFrame) -> pl.DataFrame:
        points = review_points(overdue_episodes(b, AS_OF))
        feats = collection_features(b, c, points, AS_OF)
        return feats.filter(pl.col("review_day") <= cut).sort(keys)

    before, after = seen(book, contacts), seen(other_book, other_contacts)
    assert before.select(keys).rows() == after.select(keys).rows()
    assert before.select(FEATURES).rows() == after.select(FEATURES).rows()


def _synthetic_book(n: int, seed: int) -> tuple[BehaviourFrames, pl.DataFrame]:
    """``n`` loans with one missed installment each; multi-lending drives how late it is paid."""
    rng = np.random.default_rng(seed)
    loans, lines, bureau = [], [], []
    for loan in range(1, n + 1):
        booked = D(2024, 1, 1) + timedelta(days=int(rng.integers(0, 300)))
        multi = int(rng.integers(0, 10))
        late = (
            int(rng.integers(2, 25)) if rng.random() < 1 - multi / 11 else int(rng.integers(40, 90))
        )
        loans.append({"loan_id": loan, "application_id": loan, "customer_id": loan,
                      "booked_on": booked, "principal": 1000.0, "grace_days": 0})  # fmt: skip
        due = booked + timedelta(days=30)
        lines.append({"loan_id": loan, "installment_no": 1, "due_date": due,
                      "principal_due": 1000.0, "amount_due": 1050.0,
                      "paid_date": due + timedelta(days=late)})  # fmt: skip
        bureau.append({"application_id": loan, "multi_lending_30d": multi,
                       "multi_lending_90d": multi, "multi_lending_180d": multi,
                       "inquiries_30d": 0})  # fmt: skip
    empty = pl.DataFrame(schema=CONTACT_SCHEMA)
    return behaviour_frames(loans, lines, bureau=bureau), empty


def test_fit_ranks_the_repayers_and_keeps_the_latest_out_of_time() -> None:
    book, contacts = _synthetic_book(400, seed=3)
    frame = training_frame(book, contacts, D(2025, 6, 30))
    training = fit_ccard(frame, oot_share=0.25)
    m = training.result.metrics
    assert training.rows == frame.height and m["kind"] == "C"
    assert m["oot"]["auc"] > 0.7  # the synthetic repayment follows multi-lending
    oot = training.result.samples["oot"].X
    assert oot["review_day"].min() >= np.datetime64(training.oot_from)
    scored = training.result.model.predict_pd(frame.to_pandas())
    low = frame.with_columns(p=pl.Series(scored)).group_by("repaid_30d").agg(pl.col("p").mean())
    p_unpaid = dict(low.rows())
    assert p_unpaid[0] > p_unpaid[1]  # the unpaid points get the higher P(unpaid)


def test_fit_refuses_bad_settings() -> None:
    book, contacts = _synthetic_book(50, seed=1)
    frame = training_frame(book, contacts, D(2025, 6, 30))
    with pytest.raises(InvalidInputError, match="oot_share"):
        fit_ccard(frame, oot_share=1.0)
    with pytest.raises(InvalidInputError, match="book"):
        fit_ccard(frame.filter(pl.col("repaid_30d") == 1))
