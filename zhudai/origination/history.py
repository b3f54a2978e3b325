"""What the platform itself knows about an applicant before the application: the stored
customer (and when they registered), when the device was first seen, and the customer's own
app events (logins, card bindings, phone changes, applications). Every read is bounded by the
application's time, so a replay of history sees only its past."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection

from zhudai.features.online import Events
from zhudai.store.models import Customer, DeviceEvent


@dataclass(frozen=True)
class ApplicantHistory:
    customer_id: int | None
    registered_at: datetime | None
    device_first_seen_at: datetime | None
    device_events: Events = ()


# Built once with bound parameters (compiled once; see zhudai.origination.recorder).
_CUSTOMER = select(Customer.id, Customer.registered_at).where(
    Customer.id_token == bindparam("id_token")
)
_FIRST_SEEN = select(func.min(DeviceEvent.ts)).where(
    DeviceEvent.device_id == bindparam("device_id"), DeviceEvent.ts < bindparam("before")
)
_EVENTS = select(
    DeviceEvent.ts, DeviceEvent.device_id, DeviceEvent.ip, DeviceEvent.event_type
).where(DeviceEvent.customer_id == bindparam("customer_id"), DeviceEvent.ts < bindparam("before"))


def applicant_history(
    conn: Connection, id_token: str, device_id: str, before: datetime
) -> ApplicantHistory:
    """The platform's own history of this identity and device strictly before ``before``
    (naive Asia/Shanghai wall clock, like every stored event time)."""
    customer = conn.execute(_CUSTOMER, {"id_token": id_token}).first()
    first_seen = conn.scalar(_FIRST_SEEN, {"device_id": device_id, "before": before})
    events: Events = ()
    if customer is not None:
        rows = conn.execute(_EVENTS, {"customer_id": customer.id, "before": before}).all()
        if rows:  # columns, the time as microseconds (the online engine's fast input)
            ts, device, ip, kind = zip(*rows, strict=True)
            events = {
                "ts": np.array(ts, dtype="datetime64[us]").astype(np.int64),
                "device_id": device,
                "ip": ip,
                "event_type": kind,
            }
    return ApplicantHistory(
        customer_id=customer.id if customer is not None else None,
        registered_at=customer.registered_at if customer is not None else None,
        device_first_seen_at=first_seen,
        device_events=events,
    )
