"""complaints: debtors' complaints about collection calls and collectors

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("loan_id", _ID, nullable=False),
        sa.Column("call_id", _ID, nullable=True),
        sa.Column("collector_id", sa.String(length=40), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call_records.id"], name=op.f("fk_complaints_call_id_call_records")
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_complaints_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaints_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_complaints_collector_id"), ["collector_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_collector_id"))
        batch_op.drop_index(batch_op.f("ix_complaints_loan_id"))
    op.drop_table("complaints")
