"""``/v1/fraud/check`` and ``/v1/prescreen``: free-data checks of an application, nothing bought
or stored."""

from __future__ import annotations

from fastapi import APIRouter

from zhudai.api.deps import Caller, Svc, require, require_own_channel
from zhudai.api.errors import ERROR_RESPONSES
from zhudai.origination.contract import ApplicationRequest, FraudAnswer
from zhudai.origination.pipeline import Screening
from zhudai.store.models import ApiRole

router = APIRouter(prefix="/v1", tags=["screening"], responses=ERROR_RESPONSES)


def _screen(body: ApplicationRequest, caller: Caller, svc: Svc) -> Screening:
    require(caller, ApiRole.CHANNEL, ApiRole.ANALYST)
    require_own_channel(caller, body.channel)
    return svc.origination.screen(body)


@router.post("/fraud/check", response_model=FraudAnswer)
def fraud_check(body: ApplicationRequest, caller: Caller, svc: Svc) -> FraudAnswer:
    """The fraud score and rule hits on device, IP, lists, velocity, probing and the graph."""
    return _screen(body, caller, svc).fraud


@router.post("/prescreen", response_model=Screening)
def prescreen(body: ApplicationRequest, caller: Caller, svc: Svc) -> Screening:
    """The pre-screen policy's outcome before any paid data call, with the fraud check."""
    return _screen(body, caller, svc)
