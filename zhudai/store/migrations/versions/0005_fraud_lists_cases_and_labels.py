"""fraud lists, cases and labels

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:28:23.239437
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_cases",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subject_type", sa.String(length=12), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("fraud_type", sa.String(length=40), nullable=True),
        sa.Column("application_ids", sa.JSON(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=True),
        sa.Column("opened_by", sa.String(length=80), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_cases")),
    )
    op.create_table(
        "fraud_list_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key_type", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_list_entries")),
    )
    with op.batch_alter_table("fraud_list_entries", schema=None) as batch_op:
        batch_op.create_index("ix_fraud_list_entries_key", ["key_type", "key"], unique=False)

    op.create_table(
        "fraud_labels",
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("is_fraud", sa.Boolean(), nullable=False),
        sa.Column("fraud_type", sa.String(length=40), nullable=True),
        sa.Column("ring_id", sa.String(length=64), nullable=True),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("labelled_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["fraud_cases.id"], name=op.f("fk_fraud_labels_case_id_fraud_cases")
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_fraud_labels")),
    )
    with op.batch_alter_table("fraud_labels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fraud_labels_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fraud_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fraud_labels_case_id"))

    op.drop_table("fraud_labels")
    with op.batch_alter_table("fraud_list_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_fraud_list_entries_key")

    op.drop_table("fraud_list_entries")
    op.drop_table("fraud_cases")
