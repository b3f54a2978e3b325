"""Small hand-made world frames (the column names of docs/world-tables.md) for feature tests."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

START = datetime(2024, 1, 1)
ORDER_CATEGORIES = [
    "groceries",
    "home",
    "baby",
    "books",
    "apparel",
    "digital",
    "luxury",
    "game_topup",
    "virtual_goods",
]
MCC = [
    "supermarket",
    "restaurant",
    "fuel",
    "transport",
    "utilities",
    "online_shopping",
    "gaming",
    "jewelry",
    "cash",
]
OCCUPATIONS = [
    "civil_servant",
    "teacher",
    "office_worker",
    "engineer",
    "sales",
    "student",
    "freelancer",
]


def _times(rng: np.random.Generator, n: int, start: datetime, days: int) -> list[datetime]:
    """Random times; a quarter of them land on exact whole seconds of a round hour (ties)."""
    offsets = rng.integers(0, days * 86_400_000_000, n)
    offsets[: n // 4] -= offsets[: n // 4] % 3_600_000_000
    return [start + timedelta(microseconds=int(o)) for o in offsets]


def make_world(n_customers: int = 40, seed: int = 3) -> dict[str, pl.DataFrame]:
    """A tiny world: customers, applications (some customers twice), bureau and three event tables.

    Events span 14 months around the applications, so every window edge, the as-of boundary
    and events after the application all occur.
    """
    rng = np.random.default_rng(seed)
    customer_ids = np.arange(1, n_customers + 1)
    customers = pl.DataFrame(
        {
            "customer_id": customer_ids,
            "gender": rng.choice(["M", "F"], n_customers).tolist(),
            "age_at_application": rng.integers(18, 60, n_customers),
            "occupation": rng.choice(OCCUPATIONS + ["astronaut"], n_customers).tolist(),
            "income_declared": rng.choice([0.0, 3000.0, 8000.0, 15000.0], n_customers),
            "registered_at": _times(rng, n_customers, START - timedelta(days=400), 300),
        }
    )
    app_customers = np.r_[customer_ids, rng.choice(customer_ids, n_customers // 4)]
    n_apps = len(app_customers)
    applied_at = _times(rng, n_apps, START + timedelta(days=365), 60)
    applications = pl.DataFrame(
        {
            "application_id": np.arange(1000, 1000 + n_apps),
            "customer_id": app_customers,
            "applied_at": applied_at,
            "channel_id": rng.integers(1, 9, n_apps),
            "product_code": rng.choice(
                ["cash_installment", "air_ticket_installment", "other"], n_apps
            ).tolist(),
            "amount_requested": rng.choice([1000.0, 5000.0, 20000.0], n_apps),
            "term_months": rng.choice([3, 6, 12], n_apps),
            "is_emulator": rng.random(n_apps) < 0.1,
            "is_rooted": rng.random(n_apps) < 0.1,
            "device_first_seen_at": [
                t - timedelta(days=int(d))
                for t, d in zip(applied_at, rng.integers(0, 300, n_apps), strict=True)
            ],
            "declared_city": rng.choice(["上海", "北京"], n_apps).tolist(),
            "ip_city": rng.choice(["上海", "北京", None], n_apps).tolist(),
            "sim_age_days": rng.integers(1, 2000, n_apps).astype(float),
        }
    )
    # bureau for all but the last application (a missing bureau row gives missing fields)
    bureau = pl.DataFrame(
        {
            "application_id": applications["application_id"][:-1],
            "customer_id": applications["customer_id"][:-1],
            **{
                c: rng.integers(0, 6, n_apps - 1)
                for c in (
                    "multi_lending_30d",
                    "multi_lending_90d",
                    "multi_lending_180d",
                    "past_overdue_count",
                    "max_past_dpd",
                    "open_loans",
                    "inquiries_30d",
                )
            },
            "total_open_balance": rng.choice([0.0, 1000.0, 30000.0], n_apps - 1),
        }
    )

    def events(n: int) -> dict[str, object]:
        return {
            "customer_id": rng.choice(customer_ids[:-2], n),
            "ts": _times(rng, n, START - timedelta(days=10), 440),
        }

    n_orders = n_customers * 30
    orders = pl.DataFrame(
        {
            "order_id": np.arange(n_orders),
            **events(n_orders),
            "category": rng.choice(ORDER_CATEGORIES, n_orders).tolist(),
            "amount": np.round(rng.lognormal(4.5, 1.3, n_orders), 2),
            "n_items": rng.integers(1, 5, n_orders),
            "is_installment": rng.random(n_orders) < 0.2,
        }
    )
    n_txns = n_customers * 40
    card_txns = pl.DataFrame(
        {
            "txn_id": np.arange(n_txns),
            **events(n_txns),
            "mcc_category": rng.choice(MCC, n_txns).tolist(),
            "amount": np.round(rng.lognormal(4.0, 1.4, n_txns), 2),
            "channel": rng.choice(["pos", "online", "atm"], n_txns).tolist(),
            "is_cash_withdrawal": rng.random(n_txns) < 0.1,
        }
    )
    n_dev = n_customers * 10
    device_events = pl.DataFrame(
        {
            "event_id": np.arange(n_dev),
            **events(n_dev),
            "device_id": rng.integers(1, 30, n_dev),
            "ip": rng.choice(["10.0.0.1", "10.0.0.2", "10.0.3.9"], n_dev).tolist(),
            "event_type": rng.choice(
                ["login", "register", "apply", "change_phone", "bind_card"], n_dev
            ).tolist(),
        }
    )
    return {
        "applications": applications,
        "customers": customers,
        "bureau": bureau,
        "orders": orders,
        "card_txns": card_txns,
        "device_events": device_events,
    }


@pytest.fixture(scope="session")
def world() -> dict[str, pl.DataFrame]:
    """The tiny world, shared by the tests of this package (read-only)."""
    return make_world()
