"""The air-ticket -> cash-installment path: the offer list recounted from the store, and the
world's people answering it with take-up driven by their traits."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
from sqlalchemy import select

from zhudai.acquisition.channel_economics import book_as_of
from zhudai.acquisition.cross_sell import MIN_MONTHS_ON_BOOK, cash_offer_list
from zhudai.acquisition.evaluation import evaluate_cross_sell
from zhudai.demo import DemoContext
from zhudai.loans.labels import book_labels
from zhudai.settings import Settings
from zhudai.store.db import get_engine
from zhudai.store.models import Loan
from zhudai.world.cross_sell import CashOfferResponses


def test_offer_list_recounts_from_the_store(home: Settings) -> None:
    day = book_as_of()
    assert day is not None
    offers = cash_offer_list(day)
    with get_engine().connect() as conn:
        loans = conn.execute(
            select(Loan.customer_id, Loan.application_id, Loan.product_code, Loan.booked_at)
        ).all()
    good = set(book_labels(day).filter(pl.col("bad") == 0)["application_id"].to_list())
    cash = {c for c, _, p, _ in loans if p == "cash_installment"}
    cutoff = day - timedelta(days=round(MIN_MONTHS_ON_BOOK * 30.4))
    expected = {
        c
        for c, a, p, b in loans
        if p == "air_ticket_installment" and a in good and b.date() <= cutoff and c not in cash
    }
    assert set(offers["customer_id"].to_list()) == expected
    assert offers.height == len(expected) > 0


def test_take_up_follows_the_traits(demo_run: DemoContext) -> None:
    world = demo_run.artifacts["world_dir"]
    people = CashOfferResponses.of_world(world)
    truth = pl.read_parquet(world / "truth" / "persons.parquet").sort("customer_id")
    assert np.allclose(truth["impulsivity"].to_numpy(), people.pop.impulsivity)  # same people
    ids = truth["customer_id"].to_list()
    day = date(2024, 12, 1)
    a = people.respond(ids, [day] * len(ids))
    assert a.equals(people.respond(ids, [day] * len(ids)))  # the same offer, the same answer
    took = a["took_up"].to_numpy()
    imp = people.pop.impulsivity[np.asarray(ids) - 1]
    assert imp[took].mean() > imp[~took].mean()
    assert not a.filter(~pl.col("took_up"))["bad"].any()  # no loan, no default
    assert a["amount"].min() >= 1000 and a["amount"].max() <= 50000


def test_cross_sell_report(home: Settings, demo_run: DemoContext) -> None:
    day = book_as_of()
    assert day is not None
    x = evaluate_cross_sell(demo_run.artifacts["world_dir"], day)
    assert x["offers"] == cash_offer_list(day).height
    assert 0 < x["take_up_rate"] < 1
    assert 0 < x["cross_sell_true_pd"] < 1 and 0 < x["direct_cash_true_pd"] < 1
