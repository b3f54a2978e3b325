"""A store with one product, one customer and a few applications to book loans against, on
SQLite and on the real PostgreSQL of ``tests/conftest.py``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert

from zhudai.store.db import get_engine
from zhudai.store.migrate import upgrade
from zhudai.store.models import Application, Customer, Product

APPLICATIONS = [f"APP-{k}" for k in range(1, 6)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def book_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = (
        f"sqlite:///{tmp_path / 'book.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_db_url")
    )
    upgrade(url)
    with get_engine(url).begin() as conn:
        conn.execute(
            insert(Product),
            {
                "code": "cash_installment",
                "name": "cash",
                "min_amount": Decimal(500),
                "max_amount": Decimal(50000),
                "terms": [3, 6, 12, 36],
                "base_apr": 0.18,
            },
        )
        conn.execute(
            insert(Customer),
            {
                "id": 1,
                "id_token": "t" * 32,
                "id_enc": "x",
                "id_masked": "1101**********1234",
                "phone_token": "p" * 32,
                "phone_enc": "x",
                "phone_masked": "138****0000",
            },
        )
        conn.execute(
            insert(Application),
            [
                {
                    "id": k,
                    "customer_id": 1,
                    "applied_at": datetime(2024, 1, 10, 9),
                    "product_code": "cash_installment",
                    "amount_requested": Decimal(1200),
                    "term_months": 3,
                    "external_id": external,
                }
                for k, external in enumerate(APPLICATIONS, start=1)
            ],
        )
    yield url
