"""``/v1/funder-decisions``: a bank's own approval or refusal of an application routed to it."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from zhudai.api.deps import Caller, Svc, require
from zhudai.api.errors import ERROR_RESPONSES
from zhudai.api.views import check_can_read
from zhudai.origination.lookup import stored_application
from zhudai.store.models import ApiRole

router = APIRouter(prefix="/v1", tags=["funders"], responses=ERROR_RESPONSES)


class FunderDecisionCreate(BaseModel):
    application_id: str = Field(min_length=1, max_length=64)
    accepted: bool


class FunderDecisionPublic(BaseModel):
    application_id: str
    funder_status: Literal["recommended", "accepted", "refused", "none"]


@router.post("/funder-decisions", response_model=FunderDecisionPublic)
def record(body: FunderDecisionCreate, caller: Caller, svc: Svc) -> FunderDecisionPublic:
    """Books (accepted) or releases (refused) the quota reserved for the application."""
    require(caller, ApiRole.FUNDER)
    check_can_read(caller, stored_application(body.application_id, svc.origination.url))
    status = svc.origination.record_funder_decision(
        body.application_id,
        body.accepted,
        audit=svc.audit_hook(caller, "funder.decide", body.application_id),
    )
    return FunderDecisionPublic(application_id=body.application_id, funder_status=status)  # type: ignore[arg-type]
