"""Fixtures of the fraud tests (the Redis server is the session one of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import count

import pytest

from zhudai.privacy import tokenizer

T0 = datetime(2024, 3, 1, 10, 0, 0)
_ids = count(1)


def _application(minutes: float = 0.0, **overrides):
    """One ordinary application from Hangzhou; ``overrides`` replace columns."""
    tok = tokenizer()
    person = overrides.pop("person", 1)
    n = next(_ids)
    row = {
        "application_id": n,
        "customer_id": person,
        "applied_at": T0 + timedelta(minutes=minutes),
        "channel_id": 1,
        "product_code": "cash_installment",
        "amount_requested": 5000.0,
        "term_months": 12,
        "device_id": f"dev-{person}",
        "device_model": "Xiaomi 13",
        "is_emulator": False,
        "is_rooted": False,
        "device_first_seen_at": T0 - timedelta(days=400),
        "ip": f"36.112.{person % 250}.{person % 200 + 1}",
        "ip_prefix24": f"36.112.{person % 250}",
        "gps_lat": 30.26,
        "gps_lon": 120.13,
        "geohash6": "wtmkq1",
        "declared_city": "杭州",
        "ip_city": "杭州",
        "sim_age_days": 900,
        "id_token": tok.token("id", f"id-{person}"),
        "phone_token": tok.token("phone", f"phone-{person}"),
        "card_token": tok.token("card", f"card-{person}"),
    }
    row.update(overrides)
    return row


@pytest.fixture
def application() -> Callable[..., dict]:
    """Factory of hand-made applications in the world's ``applications`` shape."""
    return _application


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory):
    """A generated world of 1,500 customers (fixed seed), shared by the world-level tests."""
    import base64
    import os

    from zhudai.settings import get_settings
    from zhudai.world import generate_world

    saved = {
        k: os.environ.get(k) for k in ("ZHUDAI_ENCRYPTION_KEY", "ZHUDAI_TOKEN_KEY", "ZHUDAI_HOME")
    }
    os.environ["ZHUDAI_ENCRYPTION_KEY"] = base64.b64encode(b"e" * 32).decode()
    os.environ["ZHUDAI_TOKEN_KEY"] = base64.b64encode(b"t" * 32).decode()
    os.environ["ZHUDAI_HOME"] = str(tmp_path_factory.mktemp("home"))
    get_settings.cache_clear()
    try:
        return generate_world(1500, 5, months=2, out_dir=tmp_path_factory.mktemp("world"))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
