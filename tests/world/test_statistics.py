"""The intended causal relations hold statistically on a 4,000-customer world."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from zhudai.world import WorldParams, credit_labels


def _labelled(world: Path) -> pl.DataFrame:
    apps = pl.read_parquet(world / "applications.parquet")
    bureau = pl.read_parquet(world / "bureau.parquet").drop("customer_id")
    return credit_labels(world).join(apps, on="application_id").join(bureau, on="application_id")


def test_bad_rate_rises_with_multi_lending_band(world: Path) -> None:
    df = _labelled(world).with_columns(
        band=pl.when(pl.col("multi_lending_90d") == 0)
        .then(0)
        .when(pl.col("multi_lending_90d") <= 2)
        .then(1)
        .otherwise(2)
    )
    rates = df.group_by("band").agg(pl.col("bad").mean(), pl.len()).sort("band")
    assert rates["len"].min() >= 100
    bad = rates["bad"].to_list()
    assert bad[0] < bad[1] < bad[2], rates
    assert bad[2] > 2 * bad[0]


def test_overall_bad_rate_is_plausible_and_matches_true_pd(world: Path) -> None:
    truth = pl.read_parquet(world / "truth" / "applications.parquet")
    df = credit_labels(world).join(truth, on="application_id")
    assert 0.04 < df["bad"].mean() < 0.15
    assert df["bad"].mean() == pytest.approx(df["true_pd"].mean(), abs=0.02)


def test_channel_quality_differs(world: Path) -> None:
    df = _labelled(world).join(pl.read_parquet(world / "channels.parquet"), on="channel_id")
    rate = dict(df.group_by("kind").agg(pl.col("bad").mean()).iter_rows())
    assert rate["ota_partner"] < rate["app_store"] < rate["social_ads"]
    assert rate["supply_chain_platform"] < rate["offline_agent"]


def test_ring_members_share_devices_far_more(world: Path) -> None:
    apps = pl.read_parquet(world / "applications.parquet").join(
        pl.read_parquet(world / "truth" / "applications.parquet"), on="application_id"
    )
    sharers = apps.group_by("device_id").agg(pl.col("customer_id").n_unique().alias("n"))
    apps = apps.join(sharers, on="device_id")
    in_ring = apps.filter(pl.col("ring_id").is_not_null())
    legit = apps.filter(pl.col("fraud_type") == "none")
    assert in_ring.height > 30
    ring_share = (in_ring["n"] > 1).mean()
    legit_share = (legit["n"] > 1).mean()
    assert ring_share > 0.8 and legit_share < 0.1
    # Shared contacts and addresses also tie a ring together.
    customers = pl.read_parquet(world / "customers.parquet")
    persons = pl.read_parquet(world / "truth" / "persons.parquet")
    c = customers.join(persons, on="customer_id")
    addr = c.group_by("address_id").agg(pl.len().alias("k"))
    c = c.join(addr, on="address_id")
    assert (c.filter(pl.col("ring_id").is_not_null())["k"] > 1).mean() > 3 * (
        c.filter(pl.col("fraud_type") == "none")["k"] > 1
    ).mean()
    contacts = pl.read_parquet(world / "contacts.parquet")
    listed = contacts.group_by("contact_phone_token").agg(
        pl.col("customer_id").n_unique().alias("m")
    )
    cc = contacts.join(listed, on="contact_phone_token").join(persons, on="customer_id")
    ring_c = cc.filter(pl.col("ring_id").is_not_null())
    legit_c = cc.filter(pl.col("fraud_type") == "none")
    assert (ring_c["m"] > 1).mean() > 3 * (legit_c["m"] > 1).mean()


def test_probing_devices_show_many_identities(world: Path) -> None:
    apps = pl.read_parquet(world / "applications.parquet").join(
        pl.read_parquet(world / "truth" / "applications.parquet"), on="application_id"
    )
    per_device = apps.group_by("device_id").agg(
        pl.col("id_token").n_unique().alias("ids"),
        pl.col("phone_token").n_unique().alias("phones"),
        pl.col("probing_device").first(),
        (pl.col("fraud_type") == "none").all().alias("legit"),
    )
    probing = per_device.filter(pl.col("probing_device"))
    others = per_device.filter(pl.col("legit"))
    assert probing.height >= 2
    assert probing["ids"].median() >= 5
    assert probing["phones"].mean() > probing["ids"].mean()  # phones cycled too
    assert others["ids"].quantile(0.999) <= 4
    # Retries after rejection: some probed identities applied more than once.
    probed = apps.filter(pl.col("fraud_type") == "probing")
    assert probed.group_by("customer_id").len()["len"].max() >= 2
    # Within its first five attempts a probing device has already cycled several identities.
    first5 = apps.filter(pl.col("probing_device")).sort("applied_at").group_by("device_id").head(5)
    assert first5.group_by("device_id").agg(pl.col("id_token").n_unique())["id_token"].median() >= 3


def test_violation_share_matches_setting(world: Path) -> None:
    v = pl.read_parquet(world / "truth" / "transcripts.parquet")["violation"]
    assert v.len() > 1000
    share = (v != "none").mean()
    assert share == pytest.approx(WorldParams().violation_share, abs=0.025)
    calls = pl.read_parquet(world / "call_transcripts.parquet").join(
        pl.read_parquet(world / "truth" / "transcripts.parquet"), on="call_id"
    )
    hour = calls["started_at"].dt.hour()
    off = (hour >= 22) | (hour < 8)
    assert (off == (calls["violation"] == "off_hours")).all()
    abuse = calls.filter(pl.col("violation") == "abuse")["text"]
    assert abuse.str.contains("老赖|脑子有病|废物").all()


def test_spending_patterns_differ_between_high_and_low_risk(world: Path) -> None:
    persons = pl.read_parquet(world / "truth" / "persons.parquet").filter(
        pl.col("fraud_type") == "none"
    )
    risk = persons.with_columns(r=pl.col("impulsivity") + pl.col("over_indebtedness"))
    hi = risk.filter(pl.col("r") > pl.col("r").quantile(0.8))["customer_id"]
    lo = risk.filter(pl.col("r") < pl.col("r").quantile(0.2))["customer_id"]

    def profile(table: str) -> pl.DataFrame:
        ev = pl.read_parquet(world / f"{table}.parquet").sort("customer_id", "ts")
        ev = ev.with_columns(
            night=pl.col("ts").dt.hour() < 6,
            small=pl.col("amount") < 30,
            burst=(pl.col("ts").diff().over("customer_id").dt.total_minutes() < 30)
            & (pl.col("amount") < 30),
            weekend=pl.col("ts").dt.weekday() >= 6,
        )
        return ev.group_by("customer_id").agg(pl.col("night", "small", "burst", "weekend").mean())

    for table in ("orders", "card_txns"):
        p = profile(table)
        h = p.filter(pl.col("customer_id").is_in(hi.implode())).mean()
        low = p.filter(pl.col("customer_id").is_in(lo.implode())).mean()
        assert h["night"][0] > 2 * low["night"][0], table
        assert h["burst"][0] > 2 * low["burst"][0], table
    stable = persons.filter(pl.col("income_stability") > 0.75)["customer_id"]
    unstable = persons.filter(pl.col("income_stability") < 0.25)["customer_id"]
    p = profile("orders")
    assert (
        p.filter(pl.col("customer_id").is_in(stable.implode()))["weekend"].mean()
        > p.filter(pl.col("customer_id").is_in(unstable.implode()))["weekend"].mean() + 0.05
    )


def test_collection_outcomes_respond_to_action_type(world: Path) -> None:
    actions = pl.read_parquet(world / "collection_actions.parquet").filter(
        pl.col("dpd_at_action").is_between(5, 15)
    )
    rate = dict(actions.group_by("action_type").agg(pl.col("paid_within_7d").mean()).iter_rows())
    contact = dict(actions.group_by("action_type").agg(pl.col("contacted").mean()).iter_rows())
    assert rate["human_call"] > rate["sms"]
    assert contact["human_call"] > contact["auto_call"] > contact["sms"]


def test_weak_data_and_bureau_carry_risk_beyond_demographics(world: Path) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict

    df = _labelled(world).join(
        pl.read_parquet(world / "customers.parquet").select(
            "customer_id", "age_at_application", "gender", "income_declared"
        ),
        on="customer_id",
    )
    orders = (
        pl.read_parquet(world / "orders.parquet")
        .group_by("customer_id")
        .agg(
            night=(pl.col("ts").dt.hour() < 6).mean(),
            small=(pl.col("amount") < 30).mean(),
            n=pl.len(),
            inst=pl.col("is_installment").mean(),
        )
    )
    cards = (
        pl.read_parquet(world / "card_txns.parquet")
        .group_by("customer_id")
        .agg(cash=pl.col("is_cash_withdrawal").mean(), cnight=(pl.col("ts").dt.hour() < 6).mean())
    )
    df = (
        df.join(orders, on="customer_id", how="left")
        .join(cards, on="customer_id", how="left")
        .fill_null(0)
    )
    y = df["bad"].to_numpy()
    demo = df.select(
        pl.col("age_at_application"),
        (pl.col("gender") == "M").cast(pl.Int8),
        pl.col("income_declared").log(),
    ).to_numpy()
    weak = np.c_[demo, df.select("night", "small", "n", "inst", "cash", "cnight").to_numpy()]

    def auc(x: np.ndarray) -> float:
        x = (x - x.mean(0)) / (x.std(0) + 1e-9)
        p = cross_val_predict(LogisticRegression(max_iter=500), x, y, cv=4, method="predict_proba")[
            :, 1
        ]
        return roc_auc_score(y, p)

    assert auc(weak) > auc(demo) + 0.05


def test_spring_festival_raises_late_payments(world: Path) -> None:
    inst = pl.read_parquet(world / "installments.parquet").filter(pl.col("paid_date").is_not_null())
    late = inst.with_columns(late=pl.col("dpd") > 0, month=pl.col("due_date").dt.month())
    rate = dict(late.group_by("month").agg(pl.col("late").mean()).iter_rows())
    spring = rate[2]
    ordinary = np.mean([rate[m] for m in (4, 5, 6, 7, 8)])
    assert spring > 1.25 * ordinary
