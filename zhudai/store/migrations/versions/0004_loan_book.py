"""loan book: credit lines, loan terms and delinquency snapshot, postings with value dates
and allocations, bucket changes, audited loan actions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:01:57.680306
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("funder_id", sa.Integer(), nullable=True),
        sa.Column("product_code", sa.String(length=40), nullable=False),
        sa.Column("credit_limit", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("drawn", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("apr", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_credit_lines_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_credit_lines_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["funder_id"], ["funders.id"], name=op.f("fk_credit_lines_funder_id_funders")
        ),
        sa.ForeignKeyConstraint(
            ["product_code"], ["products.code"], name=op.f("fk_credit_lines_product_code_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_lines")),
        sa.UniqueConstraint("external_id", name=op.f("uq_credit_lines_external_id")),
    )
    with op.batch_alter_table("credit_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_lines_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "loan_actions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("loan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["credit_lines.id"], name=op.f("fk_loan_actions_line_id_credit_lines")
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_loan_actions_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_actions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_loan_actions_idempotency_key")),
    )
    with op.batch_alter_table("loan_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_actions_line_id"), ["line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_actions_loan_id"), ["loan_id"], unique=False)

    op.create_table(
        "loan_bucket_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("loan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_loan_bucket_changes_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_bucket_changes")),
        sa.UniqueConstraint("loan_id", "day", name=op.f("uq_loan_bucket_changes_loan_id")),
    )
    with op.batch_alter_table("installments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "fee_due", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "penalty_due", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False
            )
        )

    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(sa.Column("start_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("day_count", sa.String(length=8), server_default="monthly", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "fee_per_period",
                sa.Numeric(precision=18, scale=2),
                server_default="0",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("penalty_apr", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("grace_days", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "allocation_order",
                sa.String(length=40),
                server_default="penalty,fee,interest,principal",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "waterfall",
                sa.String(length=20),
                server_default="installment_first",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("oldest_unpaid_due", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("principal_outstanding", sa.Numeric(precision=18, scale=2), nullable=True)
        )
        batch_op.add_column(sa.Column("dpd", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("bucket", sa.String(length=4), server_default="M0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "classification", sa.String(length=16), server_default="normal", nullable=False
            )
        )
        batch_op.add_column(sa.Column("as_of", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_loans_line_id"), ["line_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_loans_oldest_unpaid_due"), ["oldest_unpaid_due"], unique=False
        )
        batch_op.create_unique_constraint(batch_op.f("uq_loans_external_id"), ["external_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_loans_line_id_credit_lines"), "credit_lines", ["line_id"], ["id"]
        )

    with op.batch_alter_table("repayments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("value_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("kind", sa.String(length=12), server_default="repayment", nullable=False)
        )
        batch_op.add_column(sa.Column("reverses", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("allocation", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("repayments", schema=None) as batch_op:
        batch_op.drop_column("allocation")
        batch_op.drop_column("reverses")
        batch_op.drop_column("kind")
        batch_op.drop_column("value_date")

    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_loans_line_id_credit_lines"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_loans_external_id"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_loans_oldest_unpaid_due"))
        batch_op.drop_index(batch_op.f("ix_loans_line_id"))
        batch_op.drop_column("closed_on")
        batch_op.drop_column("as_of")
        batch_op.drop_column("classification")
        batch_op.drop_column("bucket")
        batch_op.drop_column("dpd")
        batch_op.drop_column("principal_outstanding")
        batch_op.drop_column("oldest_unpaid_due")
        batch_op.drop_column("version")
        batch_op.drop_column("waterfall")
        batch_op.drop_column("allocation_order")
        batch_op.drop_column("grace_days")
        batch_op.drop_column("penalty_apr")
        batch_op.drop_column("fee_per_period")
        batch_op.drop_column("day_count")
        batch_op.drop_column("start_date")
        batch_op.drop_column("line_id")
        batch_op.drop_column("external_id")

    with op.batch_alter_table("installments", schema=None) as batch_op:
        batch_op.drop_column("penalty_due")
        batch_op.drop_column("fee_due")

    op.drop_table("loan_bucket_changes")
    with op.batch_alter_table("loan_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_actions_loan_id"))
        batch_op.drop_index(batch_op.f("ix_loan_actions_line_id"))

    op.drop_table("loan_actions")
    with op.batch_alter_table("credit_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_lines_customer_id"))

    op.drop_table("credit_lines")
