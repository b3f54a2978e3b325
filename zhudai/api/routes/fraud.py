"""``/v1/lists`` (black and grey list entries with source, reason and expiry) and
``/v1/fraud-cases`` (an analyst's case on an application or a ring: findings, a verdict, the
labels of its applications for the next fraud model). Analysts and admins only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from zhudai.api.deps import Caller, Svc, require
from zhudai.api.errors import ERROR_RESPONSES
from zhudai.fraud.cases import Case, CaseStatus, FraudCases
from zhudai.fraud.list_store import StoredEntry
from zhudai.fraud.lists import KeyType, ListKind
from zhudai.store.models import ApiRole

router = APIRouter(prefix="/v1", tags=["fraud"], responses=ERROR_RESPONSES)
_FIRST = datetime(2000, 1, 1, tzinfo=UTC)
_LAST = datetime(2100, 12, 31, tzinfo=UTC)
_TIME = Field(default=None, ge=_FIRST, le=_LAST)
_ID = Field(min_length=1, max_length=64)
CaseId = Path(ge=1, le=2**63 - 1)


class ListEntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ListKind
    key_type: KeyType
    key: str = Field(min_length=1, max_length=128, description="An id, IP or keyed token.")
    source: str = Field(min_length=1, max_length=80)
    reason: str = Field(min_length=1, max_length=400)
    since: AwareDatetime | None = _TIME
    until: AwareDatetime | None = _TIME


class ListEntryPublic(BaseModel):
    id: int
    kind: ListKind
    key_type: KeyType
    key: str
    source: str
    reason: str
    since: datetime
    until: datetime | None
    created_by: str

    @classmethod
    def of(cls, e: StoredEntry) -> ListEntryPublic:
        return cls(**vars(e))


@router.post("/lists", response_model=ListEntryPublic)
def add_entry(body: ListEntryCreate, caller: Caller, svc: Svc) -> ListEntryPublic:
    """List a key; every worker's fraud check sees it within its next sync (this one's now)."""
    require(caller, ApiRole.ANALYST)
    entry = svc.lists.add(
        body.kind,
        body.key_type,
        body.key,
        source=body.source,
        reason=body.reason,
        since=body.since,
        until=body.until,
        actor=caller.name,
    )
    svc.lists.sync(svc.origination.fraud.lists)
    return ListEntryPublic.of(entry)


@router.get("/lists", response_model=list[ListEntryPublic])
def list_entries(
    caller: Caller,
    svc: Svc,
    kind: ListKind | None = None,
    key_type: KeyType | None = None,
    active: bool = Query(False, description="Only entries in force now."),
    limit: int = Query(100, ge=1, le=1000),
) -> list[ListEntryPublic]:
    require(caller, ApiRole.ANALYST)
    at = datetime.now(UTC) if active else None
    return [ListEntryPublic.of(e) for e in svc.lists.entries(kind, key_type, at, limit)]


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject_type: Literal["application", "ring"]
    subject: str = Field(min_length=1, max_length=64, description="Application id or ring name.")
    application_ids: list[Annotated[str, _ID]] | None = Field(
        default=None, max_length=500, description="A ring's member applications."
    )
    finding: str | None = Field(default=None, min_length=1, max_length=4000)


class FindingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)


class VerdictCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Literal["confirmed", "dismissed"]
    fraud_type: str | None = Field(default=None, min_length=1, max_length=40)


class Finding(BaseModel):
    text: str
    by: str
    at: datetime


class Members(BaseModel):
    devices: list[str]
    phone_tokens: list[str]
    id_tokens: list[str]


class CasePublic(BaseModel):
    id: int
    subject_type: str
    subject: str
    status: str
    fraud_type: str | None
    application_ids: list[str]
    findings: list[Finding]
    members: Members | None
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, c: Case) -> CasePublic:
        return cls.model_validate(vars(c))


def _cases(svc: Svc) -> FraudCases:
    return FraudCases(svc.origination.url)


@router.post("/fraud-cases", response_model=CasePublic)
def open_case(body: CaseCreate, caller: Caller, svc: Svc) -> CasePublic:
    """Open a case on a stored application, or on a ring and its member applications."""
    require(caller, ApiRole.ANALYST)
    case = _cases(svc).open(
        body.subject_type,
        body.subject,
        body.application_ids,
        finding=body.finding,
        actor=caller.name,
    )
    return CasePublic.of(case)


@router.get("/fraud-cases", response_model=list[CasePublic])
def list_cases(
    caller: Caller,
    svc: Svc,
    status: Literal["open", "confirmed", "dismissed"] | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[CasePublic]:
    require(caller, ApiRole.ANALYST)
    chosen = None if status is None else CaseStatus(status)
    return [CasePublic.of(c) for c in _cases(svc).cases(chosen, limit)]


@router.get("/fraud-cases/{case_id}", response_model=CasePublic)
def read_case(caller: Caller, svc: Svc, case_id: int = CaseId) -> CasePublic:
    require(caller, ApiRole.ANALYST)
    return CasePublic.of(_cases(svc).case(case_id))


@router.post("/fraud-cases/{case_id}/findings", response_model=CasePublic)
def add_finding(body: FindingCreate, caller: Caller, svc: Svc, case_id: int = CaseId) -> CasePublic:
    """Record a finding on an open case."""
    require(caller, ApiRole.ANALYST)
    return CasePublic.of(_cases(svc).add_finding(case_id, body.text, actor=caller.name))


@router.post("/fraud-cases/{case_id}/verdict", response_model=CasePublic)
def give_verdict(
    body: VerdictCreate, caller: Caller, svc: Svc, case_id: int = CaseId
) -> CasePublic:
    """Close the case: confirmed (fraud, with its type) or dismissed; its applications are
    labelled for the next fraud model, a confirmed case lists its devices, phones and IDs."""
    require(caller, ApiRole.ANALYST)
    case = _cases(svc).close(case_id, body.verdict, fraud_type=body.fraud_type, actor=caller.name)
    return CasePublic.of(case)
