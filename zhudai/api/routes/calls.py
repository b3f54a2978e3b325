"""``/v1/calls``: collection calls submitted for inspection (the dialler or a collector's
system), the review queue and the reviewers' verdicts (analysts and admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from zhudai.api.deps import Caller, Svc, require
from zhudai.api.errors import ERROR_RESPONSES
from zhudai.callqa.flags import FlagType
from zhudai.store.models import ApiRole

router = APIRouter(prefix="/v1", tags=["call inspection"], responses=ERROR_RESPONSES)
CallId = Annotated[str, Path(min_length=1, max_length=64)]


class CallCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: str = Field(min_length=1, max_length=64)
    started_at: AwareDatetime
    debtor_tz: str = Field(min_length=1, max_length=64, description="IANA zone of the debtor.")
    text: str = Field(max_length=200_000, description="The transcript.")


class FlagPublic(BaseModel):
    type: FlagType
    severity: str
    start: int
    end: int
    evidence: str
    rule: str
    explanation: str


class InspectionPublic(BaseModel):
    call_id: str
    flags: list[FlagPublic]
    score: float


class QueueItemPublic(BaseModel):
    call_id: str
    queue: str
    severity: int
    score: float
    started_at: datetime
    debtor_tz: str
    flags: list[dict[str, Any]]
    transcript: str


class VerdictCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    violations: list[FlagType] = Field(
        max_length=len(FlagType), description="Types heard; empty: the call is clean."
    )


class VerdictPublic(BaseModel):
    call_id: str
    violations: list[FlagType]
    reviewer: str


@router.post("/calls", response_model=InspectionPublic)
def submit_call(body: CallCreate, caller: Caller, svc: Svc) -> InspectionPublic:
    """Inspect a call and keep it (masked) in the review queue."""
    require(caller, ApiRole.COLLECTOR, ApiRole.ANALYST)
    (found,) = svc.reviews.submit([body.model_dump()])
    flags = [
        FlagPublic(**f.contract(), rule=f.rule, explanation=f.explanation)  # type: ignore[arg-type]
        for f in found.flags
    ]
    return InspectionPublic(call_id=found.call_id, flags=flags, score=found.score)


@router.get("/calls/queue", response_model=list[QueueItemPublic])
def review_queue(
    caller: Caller, svc: Svc, limit: int = Query(20, ge=1, le=500)
) -> list[QueueItemPublic]:
    """The unreviewed calls to hear next: most severe first, then by score; the audit last."""
    require(caller, ApiRole.ANALYST)
    return [QueueItemPublic(**item.model_dump()) for item in svc.reviews.next(limit)]


@router.post("/calls/{call_id}/verdict", response_model=VerdictPublic)
def record_verdict(call_id: CallId, body: VerdictCreate, caller: Caller, svc: Svc) -> VerdictPublic:
    """Keep the caller's verdict on a call; it trains the next paraphrase model."""
    require(caller, ApiRole.ANALYST)
    svc.reviews.record_verdict(call_id, body.violations, caller.name)
    return VerdictPublic(
        call_id=call_id, violations=sorted(set(body.violations)), reviewer=caller.name
    )
