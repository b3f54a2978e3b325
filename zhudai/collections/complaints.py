"""Complaints about collection: recorded by the complaints desk (or loaded with a world), each
against a loan and, where known, the call and the collector; counted per collector on the
scorecards. A complaint that names a call is the call's collector's, whatever the desk typed:
a complaint about someone else's call would move a block of another agency's record.

Recording one writes the complaint and its audit entry in one transaction."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import func, insert, select

from zhudai.audit import AuditLog
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.store.db import get_engine
from zhudai.store.models import CallRecord, Complaint, Loan
from zhudai.times import from_local, to_local


class ComplaintChannel(enum.StrEnum):
    HOTLINE = "hotline"
    APP = "app"
    REGULATOR = "regulator"  # the regulator's 12378 hotline, forwarded


class ComplaintCategory(enum.StrEnum):
    ABUSE = "abuse"
    THREAT = "threat"
    THIRD_PARTY_DISCLOSURE = "third_party_disclosure"
    OFF_HOURS = "off_hours"
    IMPERSONATION = "impersonation"
    HARASSMENT = "harassment"  # too many or unwelcome contacts, nothing else unlawful
    OTHER = "other"


_FIRST, _LAST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 12, 31, tzinfo=UTC)


class ComplaintIn(BaseModel):
    """A complaint as the desk records it: about a loan, and a call or a collector if known."""

    model_config = ConfigDict(extra="forbid")
    loan_id: int = Field(ge=1, le=2**63 - 1)
    call_id: int | None = Field(None, ge=1, le=2**63 - 1)
    collector_id: str | None = Field(None, min_length=1, max_length=40)
    received_at: AwareDatetime = Field(ge=_FIRST, le=_LAST)
    channel: ComplaintChannel
    category: ComplaintCategory


@dataclass(frozen=True)
class StoredComplaint:
    id: int
    loan_id: int
    call_id: int | None
    collector_id: str | None
    received_at: datetime  # aware
    channel: str
    category: str
    recorded_by: str


_COLUMNS = (
    Complaint.id,
    Complaint.loan_id,
    Complaint.call_id,
    Complaint.collector_id,
    Complaint.received_at,
    Complaint.channel,
    Complaint.category,
    Complaint.recorded_by,
)


def _stored(row: object) -> StoredComplaint:
    values = dict(row._mapping)  # type: ignore[attr-defined]
    values["received_at"] = from_local(values["received_at"])
    return StoredComplaint(**values)


class ComplaintDesk:
    """Complaints of the store at ``url`` (default: the settings' store)."""

    def __init__(self, url: str | None = None) -> None:
        self.engine = get_engine(url)

    def record(self, complaint: ComplaintIn, *, actor: str) -> StoredComplaint:
        """Store one complaint (the loan and call must exist; a call's collector wins)."""
        with self.engine.begin() as conn:
            if conn.scalar(select(Loan.id).where(Loan.id == complaint.loan_id)) is None:
                raise NotFoundError("loan_id", str(complaint.loan_id))
            collector = complaint.collector_id
            if complaint.call_id is not None:
                call = conn.execute(
                    select(CallRecord.loan_id, CallRecord.collector_id).where(
                        CallRecord.id == complaint.call_id
                    )
                ).first()
                if call is None:
                    raise NotFoundError("call_id", str(complaint.call_id))
                if call.loan_id != complaint.loan_id:
                    raise InvalidInputError("call_id", "is a call on another loan")
                if collector is not None and collector != call.collector_id:
                    raise InvalidInputError("collector_id", "is not the collector of call_id")
                collector = call.collector_id
            values = {
                "loan_id": complaint.loan_id,
                "call_id": complaint.call_id,
                "collector_id": collector,
                "received_at": to_local(complaint.received_at),
                "channel": complaint.channel.value,
                "category": complaint.category.value,
                "recorded_by": actor,
            }
            row = conn.execute(insert(Complaint).returning(*_COLUMNS), values).one()
            AuditLog.append(
                conn,
                actor=actor,
                action="complaint.record",
                subject=f"complaint:{row.id}",
                payload={k: str(v) if isinstance(v, datetime) else v for k, v in values.items()},
            )
        return _stored(row)

    def complaints(
        self, collector_id: str | None = None, limit: int = 100
    ) -> list[StoredComplaint]:
        """The latest complaints, newest first; only one collector's if given."""
        query = select(*_COLUMNS).order_by(Complaint.received_at.desc(), Complaint.id.desc())
        if collector_id is not None:
            query = query.where(Complaint.collector_id == collector_id)
        with self.engine.connect() as conn:
            return [_stored(r) for r in conn.execute(query.limit(limit))]

    def per_collector(self) -> Counter[str]:
        """How many complaints name each collector."""
        query = (
            select(Complaint.collector_id, func.count())
            .where(Complaint.collector_id.is_not(None))
            .group_by(Complaint.collector_id)
        )
        with self.engine.connect() as conn:
            return Counter({str(who): int(n) for who, n in conn.execute(query)})
