"""Fraud cases: an analyst opens a case on one application or on a ring of them, records
findings, then gives a verdict. A confirmed case lists the devices, phone tokens and ID tokens
of its applications; every verdict labels the case's applications (fraud or not) in
``fraud_labels``, which :func:`fraud_labels` hands to the fraud trainer
(:func:`zhudai.fraud.evaluation.fit_on_results`) for the next model. Each change and its audit
entry are one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import polars as pl
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.engine import Connection

from zhudai.audit.chain import AuditLog
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.store.db import get_engine
from zhudai.store.models import Application, FraudCase, FraudLabel
from zhudai.times import from_local, to_local, utc_now

_CASES: Table = FraudCase.__table__  # type: ignore[assignment]
_LABELS: Table = FraudLabel.__table__  # type: ignore[assignment]
MAX_APPLICATIONS = 500


class CaseSubject(StrEnum):
    APPLICATION = "application"
    RING = "ring"


class CaseStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class Verdict(StrEnum):
    CONFIRMED = "confirmed"  # fraud: the applications are labelled fraud
    DISMISSED = "dismissed"  # not fraud: labelled genuine (a reviewed negative)


@dataclass(frozen=True)
class Case:
    """A fraud case as stored (times aware, Asia/Shanghai)."""

    id: int
    subject_type: CaseSubject
    subject: str
    status: CaseStatus
    fraud_type: str | None
    application_ids: list[str]
    findings: list[dict[str, Any]]
    members: dict[str, list[str]] | None
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None


class FraudCases:
    """The fraud cases of the store at ``url`` (default: the settings' store)."""

    def __init__(self, url: str | None = None) -> None:
        self.engine = get_engine(url)

    def open(
        self,
        subject_type: CaseSubject | str,
        subject: str,
        application_ids: list[str] | None = None,
        *,
        finding: str | None = None,
        actor: str = "system",
    ) -> Case:
        """Open a case on the application ``subject`` or the ring ``subject`` (a ring names
        its member ``application_ids``); every application must be stored."""
        kind = CaseSubject(subject_type)
        ids = [subject] if kind is CaseSubject.APPLICATION else list(application_ids or [])
        if kind is CaseSubject.APPLICATION and application_ids not in (None, [], [subject]):
            raise InvalidInputError("application_ids", "an application case covers its subject")
        if not ids:
            raise InvalidInputError("application_ids", "a ring case needs its applications")
        if len(ids) > MAX_APPLICATIONS:
            raise InvalidInputError("application_ids", f"at most {MAX_APPLICATIONS}")
        ids = list(dict.fromkeys(ids))
        now = to_local(utc_now())
        with self.engine.begin() as conn:
            known = set(
                conn.scalars(
                    select(Application.external_id).where(Application.external_id.in_(ids))
                )
            )
            missing = [a for a in ids if a not in known]
            if missing:
                field = "subject" if kind is CaseSubject.APPLICATION else "application_ids"
                raise NotFoundError(field, missing[0])
            findings = [] if finding is None else [_finding(finding, actor, now)]
            case_id = conn.execute(
                insert(_CASES).returning(_CASES.c.id),
                {
                    "subject_type": kind.value,
                    "subject": subject,
                    "status": CaseStatus.OPEN.value,
                    "application_ids": ids,
                    "findings": findings,
                    "opened_by": actor,
                    "opened_at": now,
                },
            ).scalar_one()
            AuditLog.append(
                conn,
                actor=actor,
                action="fraud_case.open",
                subject=f"case:{case_id}",
                payload={"subject_type": kind.value, "subject": subject, "applications": len(ids)},
            )
            return self._read(conn, case_id)

    def add_finding(self, case_id: int, text: str, *, actor: str = "system") -> Case:
        """Record a finding on an open case."""
        with self.engine.begin() as conn:
            case = self._open_case(conn, case_id)
            findings = [*case.findings, _finding(text, actor, to_local(utc_now()))]
            conn.execute(update(_CASES).where(_CASES.c.id == case_id).values(findings=findings))
            AuditLog.append(
                conn,
                actor=actor,
                action="fraud_case.finding",
                subject=f"case:{case_id}",
                payload={"findings": len(findings)},
            )
            return self._read(conn, case_id)

    def close(
        self,
        case_id: int,
        verdict: Verdict | str,
        *,
        fraud_type: str | None = None,
        actor: str = "system",
    ) -> Case:
        """Give the verdict: the case's applications are labelled (fraud if confirmed); a
        confirmed case keeps its devices, phone tokens and ID tokens."""
        outcome = Verdict(verdict)
        if outcome is Verdict.CONFIRMED and not fraud_type:
            raise InvalidInputError("fraud_type", "a confirmed case names its fraud type")
        now = to_local(utc_now())
        with self.engine.begin() as conn:
            case = self._open_case(conn, case_id)
            members = None
            if outcome is Verdict.CONFIRMED:
                rows = conn.execute(
                    select(
                        Application.device_id, Application.phone_token, Application.id_token
                    ).where(Application.external_id.in_(case.application_ids))
                ).all()
                members = {
                    "devices": sorted({r.device_id for r in rows if r.device_id}),
                    "phone_tokens": sorted({r.phone_token for r in rows if r.phone_token}),
                    "id_tokens": sorted({r.id_token for r in rows if r.id_token}),
                }
            conn.execute(
                update(_CASES)
                .where(_CASES.c.id == case_id)
                .values(
                    status=outcome.value,
                    fraud_type=fraud_type if outcome is Verdict.CONFIRMED else None,
                    members=members,
                    closed_at=now,
                )
            )
            ring = case.subject if case.subject_type is CaseSubject.RING else None
            conn.execute(delete(_LABELS).where(_LABELS.c.application_id.in_(case.application_ids)))
            conn.execute(
                insert(_LABELS),
                [
                    {
                        "application_id": a,
                        "is_fraud": outcome is Verdict.CONFIRMED,
                        "fraud_type": fraud_type if outcome is Verdict.CONFIRMED else None,
                        "ring_id": ring if outcome is Verdict.CONFIRMED else None,
                        "case_id": case_id,
                        "labelled_at": now,
                    }
                    for a in case.application_ids
                ],
            )
            AuditLog.append(
                conn,
                actor=actor,
                action=f"fraud_case.{outcome.value}",
                subject=f"case:{case_id}",
                payload={"fraud_type": fraud_type, "applications": len(case.application_ids)},
            )
            return self._read(conn, case_id)

    def case(self, case_id: int) -> Case:
        with self.engine.connect() as conn:
            return self._read(conn, case_id)

    def cases(self, status: CaseStatus | None = None, limit: int = 100) -> list[Case]:
        """Cases, newest first (of ``status``, if given)."""
        q = select(_CASES).order_by(_CASES.c.id.desc()).limit(limit)
        if status is not None:
            q = q.where(_CASES.c.status == status.value)
        with self.engine.connect() as conn:
            return [_case(r) for r in conn.execute(q)]

    def _open_case(self, conn: Connection, case_id: int) -> Case:
        case = self._read(conn, case_id)
        if case.status is not CaseStatus.OPEN:
            raise InvalidInputError("case_id", f"case {case_id} is {case.status.value}, not open")
        return case

    @staticmethod
    def _read(conn: Connection, case_id: int) -> Case:
        row = conn.execute(select(_CASES).where(_CASES.c.id == case_id)).first()
        if row is None:
            raise NotFoundError("case_id", case_id)
        return _case(row)


def fraud_labels(url: str | None = None) -> pl.DataFrame:
    """The labels the cases gave, in the columns the fraud trainer's ``labels`` take
    (:func:`zhudai.fraud.evaluation.fit_on_results`): application_id, is_fraud, fraud_type,
    ring_id, probing_device."""
    q = select(
        _LABELS.c.application_id, _LABELS.c.is_fraud, _LABELS.c.fraud_type, _LABELS.c.ring_id
    )
    with get_engine(url).connect() as conn:
        rows = conn.execute(q.order_by(_LABELS.c.application_id)).all()
    schema = {
        "application_id": pl.String,
        "is_fraud": pl.Boolean,
        "fraud_type": pl.String,
        "ring_id": pl.String,
    }
    frame = pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
    return frame.with_columns(probing_device=pl.lit(None, dtype=pl.String))


def _finding(text: str, actor: str, at: datetime) -> dict[str, Any]:
    if not text or len(text) > 4000:
        raise InvalidInputError("finding", f"must be 1 to 4000 characters; got {len(text)}")
    return {"text": text, "by": actor, "at": from_local(at).isoformat()}


def _case(row: Any) -> Case:
    return Case(
        id=row.id,
        subject_type=CaseSubject(row.subject_type),
        subject=row.subject,
        status=CaseStatus(row.status),
        fraud_type=row.fraud_type,
        application_ids=list(row.application_ids),
        findings=list(row.findings),
        members=row.members,
        opened_by=row.opened_by,
        opened_at=from_local(row.opened_at),
        closed_at=None if row.closed_at is None else from_local(row.closed_at),
    )
