"""``/v1/reports``: channel and funder economics. A channel's key sees its own channel's row
and a funder's key its own funder's row (no total: it would disclose the others); analysts
and admins see every row and the total."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query
from pydantic import BaseModel

from zhudai.acquisition.channel_economics import book_as_of, economics
from zhudai.api.deps import Caller, Services, Svc, require
from zhudai.api.errors import ERROR_RESPONSES, ApiError
from zhudai.api.keys import Principal
from zhudai.api.views import READ_ALL
from zhudai.store.models import ApiRole

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=ERROR_RESPONSES)


class EconomicsRow(BaseModel):
    """One group's figures (see ``docs/acquisition.md`` for each definition); ``None`` where
    nothing can be measured yet (no loan old enough)."""

    group: str
    applications: int
    approved: int
    approval_rate: float
    funded: int
    funded_rate: float
    principal: float | None
    fpd7_rate: float | None
    fpd30_rate: float | None
    bad_rate: float | None
    acquisition_cost: float
    cost_per_funded: float | None
    revenue: float
    expected_loss: float | None
    profit: float | None
    roi: float | None


class EconomicsReport(BaseModel):
    as_of: date
    by: str
    rows: list[EconomicsRow]


def _report(
    caller: Principal, svc: Services, by: str, tenant_role: ApiRole, as_of: date | None
) -> EconomicsReport:
    require(caller, tenant_role, *READ_ALL)
    url = svc.origination.url
    day = as_of or book_as_of(url)
    if day is None:
        raise ApiError(422, "as_of", "the loan book has no daily close yet; give as_of")
    table = economics(by, as_of=day, url=url)
    if caller.role is tenant_role:
        table = table.filter(table[by] == caller.tenant)
    rows = [EconomicsRow(group=r.pop(by), **r) for r in table.to_dicts()]
    return EconomicsReport(as_of=day, by=by, rows=rows)


@router.get("/channels", response_model=EconomicsReport)
def channels(caller: Caller, svc: Svc, as_of: date | None = Query(None)) -> EconomicsReport:
    """Economics by channel (a channel's key: its own channel only)."""
    return _report(caller, svc, "channel", ApiRole.CHANNEL, as_of)


@router.get("/funders", response_model=EconomicsReport)
def funders(caller: Caller, svc: Svc, as_of: date | None = Query(None)) -> EconomicsReport:
    """Economics by funder (a funder's key: its own funder only)."""
    return _report(caller, svc, "funder", ApiRole.FUNDER, as_of)
