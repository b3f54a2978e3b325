"""Point-in-time correctness: only events strictly before the application count."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from zhudai.features import (
    BatchFeatureEngine,
    OnlineFeatureEngine,
    feature_set_from_dict,
    load_feature_set,
)


def _plant(world: dict[str, pl.DataFrame], customer: int, at: datetime) -> dict[str, pl.DataFrame]:
    """The world plus, for ``customer``, one huge event of each table at ``at`` and one a day later."""
    out = dict(world)
    for when in (at, at + timedelta(days=1)):
        extra = {
            "orders": {
                "order_id": -1,
                "ts": when,
                "category": "luxury",
                "amount": 1e7,
                "n_items": 9,
                "is_installment": True,
            },
            "card_txns": {
                "txn_id": -1,
                "ts": when,
                "mcc_category": "cash",
                "amount": 1e7,
                "channel": "atm",
                "is_cash_withdrawal": True,
            },
            "device_events": {
                "event_id": -1,
                "ts": when,
                "device_id": 999,
                "ip": "1.2.3.4",
                "event_type": "change_phone",
            },
        }
        for table, row in extra.items():
            frame = out[table]
            planted = (
                pl.DataFrame([row | {"customer_id": customer}])
                .select(frame.columns)
                .cast(frame.schema)
            )
            out[table] = pl.concat([frame, planted])
    return out


def test_events_at_or_after_the_application_are_ignored(world: dict[str, pl.DataFrame]) -> None:
    fs = load_feature_set()
    apps = world["applications"]
    single = apps.group_by("customer_id").len().filter(pl.col("len") == 1)["customer_id"]
    apps = apps.filter(pl.col("customer_id").is_in(single.implode())).head(5)
    app = apps.row(0, named=True)
    planted = _plant(world, app["customer_id"], app["applied_at"])
    engine = BatchFeatureEngine(fs)
    before = engine.compute(apps, world)
    after = engine.compute(apps, planted)
    assert before.equals(after)
    # the planted rows are really there, and would count a microsecond earlier
    earlier = _plant(world, app["customer_id"], app["applied_at"] - timedelta(microseconds=1))
    moved = engine.compute(apps, earlier)
    assert moved["orders_max_amount_7d"][0] == 1e7
    assert moved["card_txns_count_cash_7d"][0] == before["card_txns_count_cash_7d"][0] + 1
    assert (
        moved["device_events_count_change_phone_7d"][0]
        == before["device_events_count_change_phone_7d"][0] + 1
    )

    online = OnlineFeatureEngine(fs)
    events = {
        t: planted[t].filter(pl.col("customer_id") == app["customer_id"])
        for t in ("orders", "card_txns", "device_events")
    }
    clean = {t: world[t].filter(pl.col("customer_id") == app["customer_id"]) for t in events}
    a, b = online.compute(events, app["applied_at"]), online.compute(clean, app["applied_at"])
    assert np.allclose(list(a.values()), list(b.values()), equal_nan=True, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("age", "counted"), [(timedelta(days=30), True), (timedelta(days=30, microseconds=1), False)]
)
def test_a_window_includes_its_far_edge(age: timedelta, counted: bool) -> None:
    fs = feature_set_from_dict(
        {"tables": {"orders": {"windows": [30], "aggregates": [{"agg": "count"}]}}}
    )
    as_of = datetime(2024, 3, 1, 9, 30)
    events = {"orders": [{"ts": as_of - age}]}
    assert OnlineFeatureEngine(fs).compute(events, as_of)["orders_count_30d"] == float(counted)
    apps = pl.DataFrame({"application_id": [1], "customer_id": [1], "applied_at": [as_of]})
    orders = pl.DataFrame({"customer_id": [1], "ts": [as_of - age]})
    assert BatchFeatureEngine(fs).compute(apps, {"orders": orders})["orders_count_30d"][0] == float(
        counted
    )
