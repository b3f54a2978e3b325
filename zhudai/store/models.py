"""The lending domain's tables (SQLAlchemy 2 declarative).

Personal data is stored only as ``*_enc`` (AES-GCM ciphertext), ``*_token`` (keyed HMAC for
equality joins) and ``*_masked`` (for display); no plaintext column exists for an ID number,
phone, bank card or name. Money that moves is ``Numeric``; model inputs are floats.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from zhudai.collections.cases import ENDED_STATES, CaseState
from zhudai.loans.ledger import LoanStatus

Money = Numeric(18, 2)
# BIGINT on servers; INTEGER on SQLite so a primary key is the auto-incrementing rowid.
BigId = BigInteger().with_variant(Integer(), "sqlite")
_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVIEW = "review"


class DecisionOutcome(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REVIEW = "review"
    ERROR = "error"


class PolicyStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class CollectionActionType(enum.StrEnum):
    SMS = "sms"
    AUTO_CALL = "auto_call"
    HUMAN_CALL = "human_call"
    AGENCY = "agency"


def _enum(cls: type[enum.StrEnum]) -> Enum:
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=16)


class Channel(Base):
    __tablename__ = "channels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    cost_per_application: Mapped[Decimal] = mapped_column(Money, default=0)
    #: The code partners send (``app_store``, ``ota_partner`` ...); unique in the catalogue.
    code: Mapped[str | None] = mapped_column(String(40), unique=True)


class Product(Base):
    __tablename__ = "products"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    min_amount: Mapped[Decimal] = mapped_column(Money)
    max_amount: Mapped[Decimal] = mapped_column(Money)
    terms: Mapped[list[Any]] = mapped_column(JSON)
    base_apr: Mapped[float] = mapped_column(Float)


class Funder(Base):
    __tablename__ = "funders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    min_score: Mapped[float] = mapped_column(Float)
    max_apr: Mapped[float] = mapped_column(Float)
    monthly_quota: Mapped[Decimal] = mapped_column(Money)
    cost_of_funds: Mapped[float] = mapped_column(Float)
    # Declared appetite for real-time routing (None: no restriction of that kind).
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    grades: Mapped[list[Any] | None] = mapped_column(JSON)
    products: Mapped[list[Any] | None] = mapped_column(JSON)
    daily_quota: Mapped[Decimal | None] = mapped_column(Money)


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    id_token: Mapped[str] = mapped_column(String(32), unique=True)
    id_enc: Mapped[str] = mapped_column(Text)
    id_masked: Mapped[str] = mapped_column(String(18))
    phone_token: Mapped[str] = mapped_column(String(32), index=True)
    phone_enc: Mapped[str] = mapped_column(Text)
    phone_masked: Mapped[str] = mapped_column(String(11))
    card_token: Mapped[str | None] = mapped_column(String(32), index=True)
    card_enc: Mapped[str | None] = mapped_column(Text)
    card_masked: Mapped[str | None] = mapped_column(String(19))
    name_enc: Mapped[str | None] = mapped_column(Text)
    name_masked: Mapped[str | None] = mapped_column(String(40))
    gender: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    province: Mapped[str | None] = mapped_column(String(40))
    city: Mapped[str | None] = mapped_column(String(40))
    occupation: Mapped[str | None] = mapped_column(String(40))
    income_declared: Mapped[float | None] = mapped_column(Float)
    employer_id: Mapped[int | None] = mapped_column(BigId, index=True)
    address_id: Mapped[int | None] = mapped_column(BigId, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    #: When the person signed up with the platform (Asia/Shanghai wall clock), if known.
    registered_at: Mapped[datetime | None] = mapped_column(DateTime)


class Application(Base):
    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    applied_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    product_code: Mapped[str] = mapped_column(ForeignKey("products.code"))
    amount_requested: Mapped[Decimal] = mapped_column(Money)
    term_months: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str | None] = mapped_column(String(64), index=True)
    device_model: Mapped[str | None] = mapped_column(String(64))
    is_emulator: Mapped[bool] = mapped_column(Boolean, default=False)
    is_rooted: Mapped[bool] = mapped_column(Boolean, default=False)
    ip: Mapped[str | None] = mapped_column(String(45), index=True)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    declared_city: Mapped[str | None] = mapped_column(String(40))
    sim_age_days: Mapped[int | None] = mapped_column(Integer)
    id_token: Mapped[str | None] = mapped_column(String(32), index=True)
    phone_token: Mapped[str | None] = mapped_column(String(32))
    card_token: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[ApplicationStatus] = mapped_column(
        _enum(ApplicationStatus), default=ApplicationStatus.SUBMITTED
    )
    # Set by the live origination pipeline (``zhudai.origination``):
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    employer: Mapped[str | None] = mapped_column(String(120))
    occupation: Mapped[str | None] = mapped_column(String(40))  # as declared with this one
    income_declared: Mapped[float | None] = mapped_column(Float)  # monthly, as declared
    device_os: Mapped[str | None] = mapped_column(String(40))
    extras_enc: Mapped[str | None] = mapped_column(Text)  # unknown fields, encrypted JSON
    customer: Mapped[Customer] = relationship()


class BureauReport(Base):
    """Multi-lending (多头借贷) and past-overdue facts as of the application."""

    __tablename__ = "bureau_reports"
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    multi_lending_30d: Mapped[int] = mapped_column(Integer)
    multi_lending_90d: Mapped[int] = mapped_column(Integer)
    multi_lending_180d: Mapped[int] = mapped_column(Integer)
    past_overdue_count: Mapped[int] = mapped_column(Integer)
    max_past_dpd: Mapped[int] = mapped_column(Integer)
    open_loans: Mapped[int] = mapped_column(Integer)
    total_open_balance: Mapped[float] = mapped_column(Float)
    inquiries_30d: Mapped[int] = mapped_column(Integer)


class DeviceEvent(Base):
    """Device / IP / GPS events (login, register, apply, change of phone or card)."""

    __tablename__ = "device_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    ts: Mapped[datetime] = mapped_column(DateTime)
    device_id: Mapped[str | None] = mapped_column(String(64), index=True)
    ip: Mapped[str | None] = mapped_column(String(45))
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    event_type: Mapped[str] = mapped_column(String(20))


class EcommerceOrder(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    ts: Mapped[datetime] = mapped_column(DateTime)
    category: Mapped[str] = mapped_column(String(40))
    amount: Mapped[float] = mapped_column(Float)
    n_items: Mapped[int] = mapped_column(Integer, default=1)
    is_installment: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (Index("ix_orders_customer_ts", "customer_id", "ts"),)


class CardTransaction(Base):
    __tablename__ = "card_txns"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    ts: Mapped[datetime] = mapped_column(DateTime)
    mcc_category: Mapped[str] = mapped_column(String(40))
    amount: Mapped[float] = mapped_column(Float)
    channel: Mapped[str] = mapped_column(String(10))
    is_cash_withdrawal: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (Index("ix_card_txns_customer_ts", "customer_id", "ts"),)


class Contact(Base):
    """A customer's contact (phone tokenised), linked to a customer when the contact is one."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_phone_token: Mapped[str] = mapped_column(String(32), index=True)
    relation: Mapped[str] = mapped_column(String(20))
    contact_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))


class ModelVersion(Base):
    """A model artefact on disk (``artifact_path``); at most one version per name is
    ``active``: the one a policy's model of that name is compiled with."""

    __tablename__ = "model_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(8))
    artifact_path: Mapped[str] = mapped_column(Text)
    data_hash: Mapped[str | None] = mapped_column(String(64))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    status: Mapped[PolicyStatus] = mapped_column(
        _enum(PolicyStatus), default=PolicyStatus.DRAFT, server_default="draft"
    )
    activated_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("name", "version"),)


class PolicyVersion(Base):
    """A published policy document; exactly one version per name is ``active`` at a time."""

    __tablename__ = "policy_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    status: Mapped[PolicyStatus] = mapped_column(_enum(PolicyStatus), default=PolicyStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    activated_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("name", "version"),)


class DecisionRecord(Base):
    """The audit record of one decision: enough to replay it exactly.

    ``record`` holds the tokenised inputs, feature values, model versions and the rule trace.
    """

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(String(36), unique=True)
    application_id: Mapped[int | None] = mapped_column(BigId, index=True)
    customer_token: Mapped[str | None] = mapped_column(String(32), index=True)
    policy_name: Mapped[str] = mapped_column(String(80))
    policy_version: Mapped[int] = mapped_column(Integer)
    policy_hash: Mapped[str] = mapped_column(String(64))
    variant: Mapped[str] = mapped_column(String(16), default="champion")
    outcome: Mapped[DecisionOutcome] = mapped_column(_enum(DecisionOutcome))
    credit_limit: Mapped[Decimal | None] = mapped_column(Money)
    apr: Mapped[float | None] = mapped_column(Float)
    term_months: Mapped[int | None] = mapped_column(Integer)
    reason_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    record: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), index=True)


class ProviderAnswerRecord(Base):
    """An external data provider's answer, kept as received (encrypted) with its time and cost,
    so a feature defined later can be back-filled exactly as it was at decision time."""

    __tablename__ = "provider_answers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[datetime] = mapped_column(DateTime)  # UTC
    cost: Mapped[Decimal] = mapped_column(Money)
    latency_ms: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer)
    cached: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    data_enc: Mapped[str | None] = mapped_column(Text)  # the answer's JSON, AES-GCM
    __table_args__ = (UniqueConstraint("application_id", "provider"),)


class FunderStatus(enum.StrEnum):
    RECOMMENDED = "recommended"  # quota reserved, waiting for the bank's own decision
    ACCEPTED = "accepted"  # the bank approved: quota booked
    REFUSED = "refused"  # the bank refused: quota released
    NONE = "none"  # no funder recommended


class Origination(Base):
    """One application through the live pipeline: the partner's id (the idempotency key), the
    answer it got, and the recommended funder's state."""

    __tablename__ = "originations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    decision_id: Mapped[str] = mapped_column(String(36), index=True)
    channel_code: Mapped[str] = mapped_column(String(40), index=True)
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    funder_id: Mapped[int | None] = mapped_column(ForeignKey("funders.id"))
    funder_amount: Mapped[Decimal | None] = mapped_column(Money)
    funder_day: Mapped[date | None] = mapped_column(Date)
    funder_status: Mapped[FunderStatus] = mapped_column(
        _enum(FunderStatus), default=FunderStatus.NONE
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class FunderQuotaDay(Base):
    """A funder's daily quota use: reserved (recommended, undecided) and booked (accepted).
    Reservations are one conditional UPDATE, so concurrent requests never overshoot."""

    __tablename__ = "funder_quota_days"
    funder_id: Mapped[int] = mapped_column(ForeignKey("funders.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reserved: Mapped[Decimal] = mapped_column(Money, default=0)
    booked: Mapped[Decimal] = mapped_column(Money, default=0)


class CreditLine(Base):
    """A credit line (授信额度): an approval's limit, drawn down by loans; ``drawn`` is the
    principal outstanding on its loans, kept with every drawdown and repayment."""

    __tablename__ = "credit_lines"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    funder_id: Mapped[int | None] = mapped_column(ForeignKey("funders.id"))
    product_code: Mapped[str] = mapped_column(ForeignKey("products.code"))
    credit_limit: Mapped[Decimal] = mapped_column(Money)
    drawn: Mapped[Decimal] = mapped_column(Money, default=0)
    apr: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default="open")
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    expires_on: Mapped[date | None] = mapped_column(Date)


class Loan(Base):
    """A loan's contract terms and, kept with every posting and daily close, its delinquency
    snapshot. Loans onboarded from a bank's files carry only the first ten columns' meaning;
    the terms default to the platform's conventions (monthly interest, no fee, no grace)."""

    __tablename__ = "loans"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # a single loan's application; a credit line's drawdowns share the line's
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    funder_id: Mapped[int | None] = mapped_column(ForeignKey("funders.id"))
    product_code: Mapped[str] = mapped_column(ForeignKey("products.code"))
    booked_at: Mapped[datetime] = mapped_column(DateTime)
    principal: Mapped[Decimal] = mapped_column(Money)
    apr: Mapped[float] = mapped_column(Float)
    term_months: Mapped[int] = mapped_column(Integer)
    repayment_method: Mapped[str] = mapped_column(String(24))
    status: Mapped[LoanStatus] = mapped_column(_enum(LoanStatus), default=LoanStatus.ACTIVE)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("credit_lines.id"), index=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    day_count: Mapped[str] = mapped_column(String(8), default="monthly", server_default="monthly")
    fee_per_period: Mapped[Decimal] = mapped_column(Money, default=0, server_default="0")
    penalty_apr: Mapped[float | None] = mapped_column(Float)
    grace_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    allocation_order: Mapped[str] = mapped_column(
        String(40),
        default="penalty,fee,interest,principal",
        server_default="penalty,fee,interest,principal",
    )
    waterfall: Mapped[str] = mapped_column(
        String(20), default="installment_first", server_default="installment_first"
    )
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    oldest_unpaid_due: Mapped[date | None] = mapped_column(Date, index=True)
    principal_outstanding: Mapped[Decimal | None] = mapped_column(Money)
    dpd: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bucket: Mapped[str] = mapped_column(String(4), default="M0", server_default="M0")
    classification: Mapped[str] = mapped_column(
        String(16), default="normal", server_default="normal"
    )
    as_of: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)


class Installment(Base):
    __tablename__ = "installments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    installment_no: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    principal_due: Mapped[Decimal] = mapped_column(Money)
    interest_due: Mapped[Decimal] = mapped_column(Money)
    paid_date: Mapped[date | None] = mapped_column(Date)
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=0)
    dpd: Mapped[int] = mapped_column(Integer, default=0)
    fee_due: Mapped[Decimal] = mapped_column(Money, default=0, server_default="0")
    penalty_due: Mapped[Decimal] = mapped_column(Money, default=0, server_default="0")
    __table_args__ = (UniqueConstraint("loan_id", "installment_no"),)


class Repayment(Base):
    """A money movement; ``idempotency_key`` makes a retried posting a no-op. A reversal is a
    row of its own (``kind='reversal'``) naming the key it reverses; ``allocation`` says where
    a repayment's money went when it was posted."""

    __tablename__ = "repayments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    paid_at: Mapped[datetime] = mapped_column(DateTime)
    amount: Mapped[Decimal] = mapped_column(Money)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    value_date: Mapped[date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12), default="repayment", server_default="repayment")
    reverses: Mapped[str | None] = mapped_column(String(64))
    allocation: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class LoanBucketChange(Base):
    """A day on which a loan's bucket changed (the transition history roll rates read)."""

    __tablename__ = "loan_bucket_changes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))  # the unique key indexes it
    day: Mapped[date] = mapped_column(Date)
    dpd: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(4))
    __table_args__ = (UniqueConstraint("loan_id", "day"),)


class LoanAction(Base):
    """An audited action on a loan or a line: restructure, write-off, settlement, a limit or
    price change, a freeze; ``idempotency_key`` makes a retried action a no-op."""

    __tablename__ = "loan_actions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("credit_lines.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(80))
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


_LIVE_CASE = text(f"state NOT IN ({', '.join(repr(s.value) for s in sorted(ENDED_STATES))})")


class CollectionCase(Base):
    """A loan's collection case (``zhudai.collections.cases``): at most one live per loan."""

    __tablename__ = "collection_cases"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    bucket: Mapped[str] = mapped_column(String(4))
    c_score: Mapped[float | None] = mapped_column(Float)
    assigned_to: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    state: Mapped[CaseState] = mapped_column(
        _enum(CaseState), default=CaseState.OPEN, server_default=CaseState.OPEN.value, index=True
    )
    promise_due: Mapped[date | None] = mapped_column(Date)
    __table_args__ = (
        Index(
            "uq_collection_cases_live_loan",
            "loan_id",
            unique=True,
            sqlite_where=_LIVE_CASE,
            postgresql_where=_LIVE_CASE,
        ),
    )


class CollectionCaseMove(Base):
    """One move of a case's state, in time order (the opening has no ``from_state``)."""

    __tablename__ = "collection_case_moves"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collection_cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    from_state: Mapped[CaseState | None] = mapped_column(_enum(CaseState))
    to_state: Mapped[CaseState] = mapped_column(_enum(CaseState))
    reason: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(80))


class CollectionAction(Base):
    __tablename__ = "collection_actions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("collection_cases.id"))
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    ts: Mapped[datetime] = mapped_column(DateTime)
    action_type: Mapped[CollectionActionType] = mapped_column(_enum(CollectionActionType))
    dpd_at_action: Mapped[int] = mapped_column(Integer)
    contacted: Mapped[bool] = mapped_column(Boolean, default=False)
    promise_to_pay: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_within_7d: Mapped[bool] = mapped_column(Boolean, default=False)
    amount_recovered: Mapped[Decimal] = mapped_column(Money, default=0)


class CollectionActionRecord(Base):
    """A collection action the compliance guard judged, allowed or blocked, with its rule and
    reason (``zhudai.collections.records``); kept at least the rules' retention years. The
    phone is kept as a token (equality only) and masked."""

    __tablename__ = "collection_action_records"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    action_id: Mapped[str] = mapped_column(String(64), index=True)
    debtor_id: Mapped[str] = mapped_column(String(64), index=True)
    phone_token: Mapped[str | None] = mapped_column(String(64))
    phone_masked: Mapped[str | None] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(16))
    party: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    debtor_tz: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    allowed: Mapped[bool] = mapped_column(Boolean)
    rule: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(300))


class CallRecord(Base):
    """A collection call; the transcript is stored with personal data masked."""

    __tablename__ = "call_records"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("collection_actions.id"))
    collector_id: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    duration_s: Mapped[int] = mapped_column(Integer)
    transcript: Mapped[str] = mapped_column(Text)


class Complaint(Base):
    """A complaint about a collection call or collector, as the complaints desk received it
    (the platform's hotline, its app or the regulator's 12378 hotline); counted on the
    collector and agency scorecards. No free text, so no personal data; times as
    Asia/Shanghai wall clock."""

    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call_records.id"))
    collector_id: Mapped[str | None] = mapped_column(String(40), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    recorded_by: Mapped[str] = mapped_column(String(80), default="world")


class CallReview(Base):
    """A call submitted to inspection (``zhudai.callqa``): its flags, its place in the review
    queue (``flagged``, ``audit`` for the random sample of unflagged calls, ``none``) and the
    reviewer's verdict (the violation types confirmed; empty: clean), which trains the next
    paraphrase model. The transcript is kept masked; times as Asia/Shanghai wall clock."""

    __tablename__ = "call_reviews"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    debtor_tz: Mapped[str] = mapped_column(String(64))
    transcript: Mapped[str] = mapped_column(Text)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    severity: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    queue: Mapped[str] = mapped_column(String(16), index=True)
    verdict: Mapped[list[str] | None] = mapped_column(JSON)
    reviewer: Mapped[str | None] = mapped_column(String(80))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)


# -- the partner API: keys, idempotency, the audit chain (``zhudai.api``, ``zhudai.audit``) --
class ApiRole(enum.StrEnum):
    CHANNEL = "channel"  # a sales channel: submits applications for its own channel code
    FUNDER = "funder"  # a bank: sees and decides what was routed to it
    ANALYST = "analyst"  # risk and fraud analysts
    COLLECTOR = "collector"  # collections staff
    ADMIN = "admin"  # policies, models, keys


class ApiKey(Base):
    """A partner's API key: only its SHA-256 is kept (the key is shown once, at creation)."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[ApiRole] = mapped_column(_enum(ApiRole))
    #: The channel or funder code the key acts for (None: not bound to one, e.g. an analyst).
    tenant: Mapped[str | None] = mapped_column(String(40))
    prefix: Mapped[str] = mapped_column(String(12))  # shown in listings, never the whole key
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class IdempotentResponse(Base):
    """The stored answer of a write sent with an ``Idempotency-Key`` (per API key)."""

    __tablename__ = "idempotent_responses"
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))  # method, path and body
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class AuditEntry(Base):
    """One entry of the append-only audit log; ``hash`` covers its fields and ``prev_hash``."""

    __tablename__ = "audit_entries"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's last sequence number and hash (one row): appends lock it, so concurrent
    writers queue instead of forking the chain, and a deleted last entry is still seen."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigId)
    hash: Mapped[str] = mapped_column(String(64))


class FraudListEntry(Base):
    """A black or grey list entry, shared by every worker: the key (a device id, an IP, a
    geohash or a keyed token, never a plaintext number), who listed it, why and until when
    (UTC; ``until`` None: no expiry)."""

    __tablename__ = "fraud_list_entries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    key_type: Mapped[str] = mapped_column(String(12))
    key: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(400))
    since: Mapped[datetime] = mapped_column(DateTime)
    until: Mapped[datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    __table_args__ = (Index("ix_fraud_list_entries_key", "key_type", "key"),)


class FraudCase(Base):
    """An analyst's case on one application or a ring of them: findings as they are recorded,
    then a verdict; a confirmed case keeps the devices, phone and ID tokens it covers."""

    __tablename__ = "fraud_cases"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(12))  # application | ring
    subject: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # open | confirmed | dismissed
    fraud_type: Mapped[str | None] = mapped_column(String(40))
    application_ids: Mapped[list[Any]] = mapped_column(JSON)
    findings: Mapped[list[Any]] = mapped_column(JSON)
    members: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    opened_by: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class FraudLabel(Base):
    """An application's fraud label from a closed case: what the next fraud model learns from
    (one row per application; a later case's verdict replaces an earlier one)."""

    __tablename__ = "fraud_labels"
    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    is_fraud: Mapped[bool] = mapped_column(Boolean)
    fraud_type: Mapped[str | None] = mapped_column(String(40))
    ring_id: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("fraud_cases.id"), index=True)
    labelled_at: Mapped[datetime] = mapped_column(DateTime)
