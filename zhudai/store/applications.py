"""Submitting an application: customer, application, bureau facts and the device event are
written in one transaction, after the product and channel are checked to exist."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from zhudai.exceptions import NotFoundError
from zhudai.parsing import parse_input
from zhudai.store.customers import upsert_customer
from zhudai.store.db import session_scope
from zhudai.store.models import Application, BureauReport, Channel, DeviceEvent, Product
from zhudai.store.schemas import ApplicationCreate

_BUREAU_FIELDS = (
    "multi_lending_30d",
    "multi_lending_90d",
    "multi_lending_180d",
    "past_overdue_count",
    "max_past_dpd",
    "open_loans",
    "total_open_balance",
    "inquiries_30d",
)
_CONTEXT_FIELDS = (
    "applied_at",
    "product_code",
    "channel_id",
    "amount_requested",
    "term_months",
    "device_id",
    "device_model",
    "is_emulator",
    "is_rooted",
    "ip",
    "gps_lat",
    "gps_lon",
    "declared_city",
    "sim_age_days",
)


def _check_references(session: Session, a: ApplicationCreate) -> None:
    if session.get(Product, a.product_code) is None:
        raise NotFoundError("product_code", a.product_code)
    if a.channel_id is not None and session.get(Channel, a.channel_id) is None:
        raise NotFoundError("channel_id", a.channel_id)


def submit_application(data: Mapping[str, Any] | ApplicationCreate, url: str | None = None) -> int:
    """Validate and store one application; returns its id. Nothing is written on any error."""
    a = parse_input(ApplicationCreate, data)
    with session_scope(url) as session:
        _check_references(session, a)
        customer = upsert_customer(session, a.customer)
        app = Application(
            customer_id=customer.id,
            id_token=customer.id_token,
            phone_token=customer.phone_token,
            card_token=customer.card_token,
            **{f: getattr(a, f) for f in _CONTEXT_FIELDS},
        )
        session.add(app)
        session.flush()
        session.add(
            BureauReport(application_id=app.id, **{f: getattr(a, f) for f in _BUREAU_FIELDS})
        )
        session.add(
            DeviceEvent(
                customer_id=customer.id,
                application_id=app.id,
                ts=a.applied_at,
                device_id=a.device_id,
                ip=a.ip,
                gps_lat=a.gps_lat,
                gps_lon=a.gps_lon,
                event_type="apply",
            )
        )
        return app.id
