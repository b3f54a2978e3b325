"""live origination: channel and funder codes, funder appetite and daily quotas, retained provider answers, originations (idempotency and funder state)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "funder_quota_days",
        sa.Column("funder_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reserved", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("booked", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["funder_id"], ["funders.id"], name=op.f("fk_funder_quota_days_funder_id_funders")
        ),
        sa.PrimaryKeyConstraint("funder_id", "day", name=op.f("pk_funder_quota_days")),
    )
    op.create_table(
        "originations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("channel_code", sa.String(length=40), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("funder_id", sa.Integer(), nullable=True),
        sa.Column("funder_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("funder_day", sa.Date(), nullable=True),
        sa.Column(
            "funder_status",
            sa.Enum(
                "recommended",
                "accepted",
                "refused",
                "none",
                name="funderstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_originations_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["funder_id"], ["funders.id"], name=op.f("fk_originations_funder_id_funders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_originations")),
        sa.UniqueConstraint("application_id", name=op.f("uq_originations_application_id")),
        sa.UniqueConstraint("external_id", name=op.f("uq_originations_external_id")),
    )
    with op.batch_alter_table("originations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_originations_channel_code"), ["channel_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_originations_decision_id"), ["decision_id"], unique=False
        )

    op.create_table(
        "provider_answers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("cost", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("cached", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("data_enc", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_provider_answers_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_answers")),
        sa.UniqueConstraint(
            "application_id", "provider", name=op.f("uq_provider_answers_application_id")
        ),
    )
    with op.batch_alter_table("provider_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_answers_application_id"), ["application_id"], unique=False
        )

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("employer", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("occupation", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("income_declared", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("device_os", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("extras_enc", sa.Text(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_applications_external_id"), ["external_id"]
        )

    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_channels_code"), ["code"])

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registered_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("funders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("grades", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("products", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("daily_quota", sa.Numeric(precision=18, scale=2), nullable=True)
        )
        batch_op.create_unique_constraint(batch_op.f("uq_funders_code"), ["code"])


def downgrade() -> None:

    with op.batch_alter_table("funders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_funders_code"), type_="unique")
        batch_op.drop_column("daily_quota")
        batch_op.drop_column("products")
        batch_op.drop_column("grades")
        batch_op.drop_column("code")

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("registered_at")

    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_channels_code"), type_="unique")
        batch_op.drop_column("code")

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_applications_external_id"), type_="unique")
        batch_op.drop_column("extras_enc")
        batch_op.drop_column("device_os")
        batch_op.drop_column("income_declared")
        batch_op.drop_column("occupation")
        batch_op.drop_column("employer")
        batch_op.drop_column("external_id")

    with op.batch_alter_table("provider_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_answers_application_id"))

    op.drop_table("provider_answers")
    with op.batch_alter_table("originations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_originations_decision_id"))
        batch_op.drop_index(batch_op.f("ix_originations_channel_code"))

    op.drop_table("originations")
    op.drop_table("funder_quota_days")
