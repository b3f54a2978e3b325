"""Writing one origination: customer, contacts, application, its device event, every provider
answer as received, the decision record and the answer, in the caller's transaction.

Statements are built once at import with bound parameters, so SQLAlchemy compiles each once
and a decision pays only for executing them (building ``insert(...).values(...)`` per call
cost more than the decision itself).
"""

from __future__ import annotations

import zlib
from base64 import b64decode, b64encode
from collections.abc import Mapping
from datetime import UTC
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection

from zhudai.decision.engine import Decision
from zhudai.decision.service import decision_values
from zhudai.money import money
from zhudai.origination.edge import ProtectedApplication
from zhudai.origination.history import ApplicantHistory
from zhudai.privacy import cipher
from zhudai.providers import ProviderAnswer
from zhudai.store.db import json_dumps
from zhudai.store.models import (
    Application,
    ApplicationStatus,
    Contact,
    Customer,
    DecisionRecord,
    DeviceEvent,
    FunderStatus,
    Origination,
    ProviderAnswerRecord,
)

STATUS = {
    "approve": ApplicationStatus.APPROVED,
    "reject": ApplicationStatus.REJECTED,
    "review": ApplicationStatus.REVIEW,
}

_INSERT_CUSTOMER = insert(Customer).returning(Customer.id)
_CONTACT_TOKENS = select(Contact.contact_phone_token).where(
    Contact.customer_id == bindparam("customer_id")
)
_INSERT_CONTACT = insert(Contact)
_INSERT_APPLICATION = insert(Application).returning(Application.id)
_APPLY_EVENT_SEEN = (
    select(DeviceEvent.id)
    .where(
        DeviceEvent.customer_id == bindparam("customer_id"),
        DeviceEvent.ts == bindparam("ts"),
        DeviceEvent.event_type == "apply",
    )
    .limit(1)
)
_INSERT_EVENT = insert(DeviceEvent)
_INSERT_ANSWER = insert(ProviderAnswerRecord)
_INSERT_DECISION = insert(DecisionRecord)
_INSERT_ORIGINATION = insert(Origination)


def encode_answer_data(data: dict[str, Any] | None, provider: str) -> str | None:
    """A provider answer's JSON as stored: compressed, then AES-GCM encrypted (bound to the
    provider's name), so the raw data is kept whole and never readable at rest."""
    if data is None:
        return None
    raw = zlib.compress(json_dumps(data).encode(), 1)
    return cipher().encrypt(b64encode(raw).decode(), f"provider:{provider}")


def decode_answer_data(stored: str | None, provider: str) -> dict[str, Any] | None:
    """The provider answer's JSON back from :func:`encode_answer_data`."""
    if stored is None:
        return None
    raw = b64decode(cipher().decrypt(stored, f"provider:{provider}"))
    data: dict[str, Any] = orjson.loads(zlib.decompress(raw))
    return data


def write_origination(
    conn: Connection,
    app: ProtectedApplication,
    channel_id: int,
    history: ApplicantHistory,
    answers: Mapping[str, ProviderAnswer],
    decision: Decision,
    shadow: Decision | None,
    outcome: str,
    record_extra: dict[str, Any],
    answer: dict[str, Any],
    funder: tuple[int, Decimal] | None,
) -> int:
    """Write everything of one decided application; returns the store's application id."""
    customer_id = history.customer_id
    new_customer = customer_id is None  # no contacts and no events of theirs exist yet
    known: set[str] = set()
    if customer_id is None:
        customer_id = conn.execute(
            _INSERT_CUSTOMER, {**app.customer_columns, "registered_at": app.local_time}
        ).scalar_one()
    else:
        known = set(conn.scalars(_CONTACT_TOKENS, {"customer_id": customer_id}))
    contacts = [
        {"customer_id": customer_id, "contact_phone_token": token, "relation": relation}
        for token, relation in dict(app.contacts).items()
        if token not in known
    ]
    if contacts:
        conn.execute(_INSERT_CONTACT, contacts)
    telecom = answers.get("telecom")
    application_id = conn.execute(
        _INSERT_APPLICATION,
        {
            "customer_id": customer_id,
            "applied_at": app.local_time,
            "channel_id": channel_id,
            "product_code": app.product,
            "amount_requested": money(app.amount),
            "term_months": app.term_months,
            "device_id": app.device_id,
            "device_model": app.device_model,
            "device_os": app.device_os,
            "is_emulator": app.is_emulator,
            "is_rooted": app.is_rooted,
            "ip": app.ip,
            "gps_lat": app.gps_lat,
            "gps_lon": app.gps_lon,
            "declared_city": app.city,
            "sim_age_days": telecom.data.get("sim_age_days")
            if telecom is not None and telecom.data
            else None,
            "id_token": app.id_token,
            "phone_token": app.phone_token,
            "card_token": app.card_token,
            "status": STATUS[outcome],
            "external_id": app.request_id,
            "employer": app.employer,
            "occupation": app.occupation,
            "income_declared": app.monthly_income,
            "extras_enc": app.extras_enc,
        },
    ).scalar_one()
    seen = not new_customer and conn.scalar(
        _APPLY_EVENT_SEEN, {"customer_id": customer_id, "ts": app.local_time}
    )
    if not seen:  # a replay of history may already hold the apply event
        conn.execute(
            _INSERT_EVENT,
            {
                "customer_id": customer_id,
                "application_id": application_id,
                "ts": app.local_time,
                "device_id": app.device_id,
                "ip": app.ip,
                "gps_lat": app.gps_lat,
                "gps_lon": app.gps_lon,
                "event_type": "apply",
            },
        )
    if answers:
        conn.execute(
            _INSERT_ANSWER,
            [
                {
                    "application_id": application_id,
                    "provider": name,
                    "status": a.status.value,
                    "as_of": a.as_of.astimezone(UTC).replace(tzinfo=None),
                    "cost": money(a.cost),
                    "latency_ms": a.latency_ms,
                    "attempts": a.attempts,
                    "cached": a.cached,
                    "error": a.error,
                    "data_enc": encode_answer_data(a.data, name),
                }
                for name, a in answers.items()
            ],
        )
    conn.execute(_INSERT_DECISION, decision_values(decision, application_id, shadow, record_extra))
    conn.execute(
        _INSERT_ORIGINATION,
        {
            "external_id": app.request_id,
            "application_id": application_id,
            "decision_id": decision.decision_id,
            "channel_code": app.channel,
            "answer": answer,
            "funder_id": funder[0] if funder else None,
            "funder_amount": funder[1] if funder else None,
            "funder_day": app.local_time.date() if funder else None,
            "funder_status": FunderStatus.RECOMMENDED if funder else FunderStatus.NONE,
        },
    )
    return int(application_id)
