"""collection cases and actions: a state and a promise's due day per case, each case's moves,
and the record of every action the compliance guard judged

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_STATES = (
    "open",
    "in_progress",
    "promise_to_pay",
    "broken_promise",
    "hardship",
    "resolved",
    "closed",
)


def _state() -> sa.Enum:
    return sa.Enum(*_STATES, name="casestate", native_enum=False, length=16)


_LIVE_CASE = sa.text("state NOT IN ('resolved', 'closed')")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("collection_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", _state(), server_default="open", nullable=False))
        batch_op.add_column(sa.Column("promise_due", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_collection_cases_state"), ["state"], unique=False)
        batch_op.create_index(  # a loan has at most one live case
            "uq_collection_cases_live_loan",
            ["loan_id"],
            unique=True,
            sqlite_where=_LIVE_CASE,
            postgresql_where=_LIVE_CASE,
        )
    op.create_table(
        "collection_case_moves",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_state", _state(), nullable=True),
        sa.Column("to_state", _state(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["collection_cases.id"],
            name=op.f("fk_collection_case_moves_case_id_collection_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_case_moves")),
    )
    with op.batch_alter_table("collection_case_moves", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_case_moves_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "collection_action_records",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("action_id", sa.String(length=64), nullable=False),
        sa.Column("debtor_id", sa.String(length=64), nullable=False),
        sa.Column("phone_token", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=24), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("party", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("debtor_tz", sa.String(length=64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_action_records")),
    )
    with op.batch_alter_table("collection_action_records", schema=None) as batch_op:
        for column in ("action_id", "debtor_id", "at"):
            batch_op.create_index(
                batch_op.f(f"ix_collection_action_records_{column}"), [column], unique=False
            )


def downgrade() -> None:
    with op.batch_alter_table("collection_action_records", schema=None) as batch_op:
        for column in ("action_id", "debtor_id", "at"):
            batch_op.drop_index(batch_op.f(f"ix_collection_action_records_{column}"))
    op.drop_table("collection_action_records")
    with op.batch_alter_table("collection_case_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_case_moves_case_id"))
    op.drop_table("collection_case_moves")
    with op.batch_alter_table("collection_cases", schema=None) as batch_op:
        batch_op.drop_index("uq_collection_cases_live_loan")
        batch_op.drop_index(batch_op.f("ix_collection_cases_state"))
        batch_op.drop_column("promise_due")
        batch_op.drop_column("state")
