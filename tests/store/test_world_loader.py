"""Loading a generated world, then writing through the public API and plain inserts: the ids the
world brought must not collide with the ids the store hands out next (PostgreSQL sequences)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, UniqueConstraint, func, select

from zhudai.privacy import id_check_char, luhn_check_digit
from zhudai.store.applications import submit_application
from zhudai.store.db import get_engine
from zhudai.store.models import Base, Product
from zhudai.store.world_loader import load_world_dir


def _application(product_code: str) -> dict[str, object]:
    id17 = "44030619880214567"
    card = "622848001234567890"
    return {
        "customer": {
            "id_number": id17 + id_check_char(id17),
            "phone": "13800001111",
            "bank_card": card + luhn_check_digit(card),
            "name": "赵六",
            "city": "深圳",
            "income_declared": 15000,
        },
        "applied_at": datetime(2026, 11, 2, 9, 0),
        "product_code": product_code,
        "amount_requested": 6000,
        "term_months": 6,
        "device_id": "loader-test-device",
    }


def _copy_of_a_row(conn: Connection, table: Table, app_id: int) -> dict[str, Any]:
    """One existing row of ``table`` without its id, changed only where a unique key demands
    (a nullable column becomes NULL, text starts with ``~``, a link to an application points at
    ``app_id``, another integer moves by a million), so the insert can only fail on its id."""
    id_col = table.autoincrement_column
    assert id_col is not None
    row = dict(conn.execute(select(table).order_by(id_col).limit(1)).mappings().one())
    del row[id_col.name]
    unique_keys = [u.columns for u in table.constraints if isinstance(u, UniqueConstraint)]
    unique_keys += [ix.columns for ix in table.indexes if ix.unique]
    for key in unique_keys:
        col = min(key, key=lambda c: (not c.nullable, bool(c.foreign_keys)))
        if col.nullable:
            row[col.name] = None
        elif isinstance(row[col.name], str):
            row[col.name] = "~" + row[col.name][1:]  # same length: fits any VARCHAR(n)
        elif any(fk.column.table.name == "applications" for fk in col.foreign_keys):
            row[col.name] = app_id
        else:
            row[col.name] += 1_000_000
    return row


def test_next_ids_do_not_collide_with_a_loaded_world(db_url: str, world_dir: Path) -> None:
    counts = load_world_dir(world_dir, db_url)
    with_ids = [Base.metadata.tables[t] for t, n in counts.items() if n > 0]
    with_ids = [t for t in with_ids if t.autoincrement_column is not None]
    assert {t.name for t in with_ids} >= {"customers", "applications", "device_events", "loans"}
    engine = get_engine(db_url)
    with engine.connect() as conn:
        loaded_max = {t.name: conn.scalar(select(func.max(t.c.id))) for t in with_ids}
        product = conn.scalar(select(Product.code).limit(1))
    assert product is not None

    app_id = submit_application(_application(product), db_url)  # customer, application, device

    assert app_id > loaded_max["applications"]
    with engine.begin() as conn:
        for table in with_ids:
            new_id = conn.execute(
                table.insert().values(_copy_of_a_row(conn, table, app_id))
            ).inserted_primary_key[0]
            assert new_id > loaded_max[table.name], table.name
