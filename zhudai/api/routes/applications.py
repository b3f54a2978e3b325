"""``/v1/applications``: decide one application synchronously; read one back."""

from __future__ import annotations

from fastapi import APIRouter, Path

from zhudai.api.deps import Caller, Keep, Svc, require, require_own_channel
from zhudai.api.errors import ERROR_RESPONSES
from zhudai.api.views import ApplicationView, application_view, check_can_read, reveals_personal
from zhudai.origination.contract import ApplicationRequest, DecisionAnswer
from zhudai.origination.lookup import stored_application
from zhudai.store.models import ApiRole

router = APIRouter(prefix="/v1/applications", tags=["applications"], responses=ERROR_RESPONSES)


@router.post("", response_model=DecisionAnswer)
def submit(body: ApplicationRequest, caller: Caller, svc: Svc, keep: Keep) -> DecisionAnswer:
    """The origination contract, answered synchronously (the same id twice: the stored answer).
    With an ``Idempotency-Key``, the answer is kept in the decision's own transaction."""
    require(caller, ApiRole.CHANNEL)
    require_own_channel(caller, body.channel)
    audit = svc.audit_hook(caller, "application.decide", body.application_id)
    return svc.origination.decide(body, audit=audit, keep=keep)


@router.get("/{application_id}", response_model=ApplicationView, response_model_exclude_none=True)
def read(
    caller: Caller, svc: Svc, application_id: str = Path(min_length=1, max_length=64)
) -> ApplicationView:
    """The stored application, its answer and, by role, the funder state and the trace."""
    require(caller, ApiRole.CHANNEL, ApiRole.FUNDER, ApiRole.ANALYST)
    url = svc.origination.url
    record = stored_application(application_id, url)
    check_can_read(caller, record)
    if reveals_personal(caller):
        record = stored_application(application_id, url, reveal_personal=True)
    return application_view(caller, record)
