"""The Alembic migrations build exactly the schema the models declare, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from zhudai.store.db import get_engine
from zhudai.store.migrate import current_revision, head_revision, upgrade
from zhudai.store.models import Base


def test_upgrade_matches_models(db_url: str) -> None:
    assert current_revision(db_url) is None
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    upgrade(db_url)  # idempotent
    with get_engine(db_url).connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []


def test_upgrade_keeps_a_store_with_loans(db_url: str) -> None:
    """A store at 0003 holding a loan, its installments and a repayment upgrades to the head
    (on SQLite the loans table is rebuilt while other tables point at it) with every row kept."""
    upgrade(db_url, "0003")
    engine = get_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO products (code, name, min_amount, max_amount, terms, base_apr)"
                " VALUES ('p', 'p', 1, 100, '[3]', 0.1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO customers (id, id_token, id_enc, id_masked, phone_token, phone_enc,"
                " phone_masked) VALUES (1, 't', 'x', 'x', 'p', 'x', 'x')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO applications (id, customer_id, applied_at, product_code,"
                " amount_requested, term_months, is_emulator, is_rooted, status)"
                " VALUES (1, 1, '2024-01-01 00:00:00', 'p', 100, 3, false, false, 'approved')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO loans (id, application_id, customer_id, product_code, booked_at,"
                " principal, apr, term_months, repayment_method, status) VALUES"
                " (1, 1, 1, 'p', '2024-01-01 00:00:00', 100, 0.1, 3, 'equal_principal', 'active')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO installments (loan_id, installment_no, due_date, principal_due,"
                " interest_due, paid_amount, dpd) VALUES (1, 1, '2024-02-01', 34, 1, 0, 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO repayments (loan_id, paid_at, amount, idempotency_key)"
                " VALUES (1, '2024-02-01 10:00:00', 35, 'k1')"
            )
        )
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    with engine.connect() as conn:
        loan = conn.execute(text("SELECT application_id, dpd, bucket FROM loans")).one()
        assert tuple(loan) == (1, 0, "M0")  # the new columns take their defaults
        assert conn.execute(text("SELECT count(*) FROM installments")).scalar() == 1
        assert conn.execute(text("SELECT kind FROM repayments")).scalar() == "repayment"
