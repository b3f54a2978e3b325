"""``/v1/collections``: a collector's or agency's queue of cases, one case with its history,
proposing an action on a case, which the compliance guard judges before it happens, and the
complaints desk (analysts record complaints; a collector sees those naming its own queue).

A collector key's tenant is its queue (an agent such as ``agent-01`` or an agency such as
``agency-east``, as ``zhudai collections allocate`` fills them): it sees and acts on the
cases assigned to that queue only (any other case is a 404, its existence not disclosed).
Analysts and admins see every live case and act on none. A proposal needs an
``Idempotency-Key`` (a retried proposal must not count a call twice); the platform fills in
the debtor and the phone from the loan's customer, so no phone number travels over the API,
and every judged proposal is kept in the guard's records."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from fastapi import APIRouter, Header, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select

from zhudai.api.deps import Caller, Svc, require
from zhudai.api.errors import ERROR_RESPONSES, ApiError
from zhudai.api.keys import Principal
from zhudai.collections.actions import ActionKind, Party
from zhudai.collections.case_book import CaseBook, LiveCase
from zhudai.collections.complaints import ComplaintDesk, ComplaintIn, StoredComplaint
from zhudai.collections.guard import ComplianceGuard
from zhudai.exceptions import InvalidInputError
from zhudai.privacy import cipher
from zhudai.store.db import get_engine
from zhudai.store.models import ApiRole, Customer, Loan

router = APIRouter(prefix="/v1/collections", tags=["collections"], responses=ERROR_RESPONSES)
CaseId = Path(ge=1, le=2**63 - 1)
_FIRST, _LAST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 12, 31, tzinfo=UTC)


class CasePublic(BaseModel):
    """A live case as its queue sees it (no personal data)."""

    case_id: int
    loan_id: int
    bucket: str
    state: str
    c_score: float | None
    queue: str | None

    @classmethod
    def of(cls, case: LiveCase) -> CasePublic:
        return cls(
            case_id=case.case_id,
            loan_id=case.loan_id,
            bucket=case.bucket,
            state=case.state.value,
            c_score=case.c_score,
            queue=case.assigned_to,
        )


class MovePublic(BaseModel):
    at: datetime
    from_state: str | None
    to_state: str
    reason: str
    actor: str


class CaseDetail(CasePublic):
    promise_due: str | None
    history: list[MovePublic]


class ActionProposal(BaseModel):
    """An action the caller is about to take on the case's debtor or a contact; a call states
    the outcome it will count with once allowed (the guard's contract, without the debtor's
    identity and phone, which the platform fills in)."""

    model_config = ConfigDict(extra="forbid")
    action_id: str = Field(min_length=1, max_length=64)
    kind: ActionKind
    at: AwareDatetime = Field(ge=_FIRST, le=_LAST)
    debtor_tz: str = Field("Asia/Shanghai", min_length=1, max_length=64)
    party: Party = Party.DEBTOR
    answered: bool | None = None
    effective: bool | None = None
    collectors: int | None = Field(None, ge=1, le=20)
    debtor_unreachable: bool = False
    consent_hours: str | None = Field(None, max_length=11)


class GuardAnswer(BaseModel):
    action_id: str | None
    allowed: bool
    rule: str | None
    reason: str


@lru_cache(maxsize=8)
def _guard(url: str) -> ComplianceGuard:
    """One guard per store and worker: day counts on Redis when ``ZHUDAI_REDIS_URL`` is set
    (shared by the workers), records in the store."""
    from zhudai.collections.counts_redis import default_day_counts
    from zhudai.collections.record_store import StoreActionLog

    return ComplianceGuard(counts=default_day_counts(), log=StoreActionLog(url))


def _queue_of(caller: Principal) -> str | None:
    """The caller's queue (a collector's tenant); ``None`` for analysts and admins (all)."""
    if caller.role is not ApiRole.COLLECTOR:
        return None
    if not caller.tenant:
        raise ApiError(403, "X-API-Key", "a collector key needs its queue as tenant")
    return caller.tenant


def _own_case(caller: Principal, svc: Svc, case_id: int) -> LiveCase:
    """The live case, if the caller may see it; else a 404."""
    queue = _queue_of(caller)
    found = [c for c in CaseBook(svc.origination.url).live_cases(queue) if c.case_id == case_id]
    if not found:
        raise ApiError(404, "case_id", f"no such case_id: {case_id!r}")
    return found[0]


@router.get("/cases", response_model=list[CasePublic])
def queue(
    caller: Caller,
    svc: Svc,
    queue: str | None = Query(None, max_length=40, description="Analysts: one queue only."),
) -> list[CasePublic]:
    """The live cases of the caller's queue (a collector), or of every queue."""
    require(caller, ApiRole.COLLECTOR, ApiRole.ANALYST)
    own = _queue_of(caller)
    if own is not None and queue not in (None, own):
        raise ApiError(403, "queue", f"this key works queue {own!r} only")
    cases = CaseBook(svc.origination.url).live_cases(own or queue)
    return [CasePublic.of(c) for c in cases]


@router.get("/cases/{case_id}", response_model=CaseDetail)
def case(caller: Caller, svc: Svc, case_id: int = CaseId) -> CaseDetail:
    """One case of the caller's queue with its state history."""
    require(caller, ApiRole.COLLECTOR, ApiRole.ANALYST)
    live = _own_case(caller, svc, case_id)
    full = CaseBook(svc.origination.url).case(case_id)
    return CaseDetail(
        **CasePublic.of(live).model_dump(),
        promise_due=None if full.promise_due is None else full.promise_due.isoformat(),
        history=[
            MovePublic(at=m.at, from_state=m.from_state, to_state=m.to_state, reason=m.reason,
                       actor=m.actor)
            for m in full.history
        ],
    )  # fmt: skip


@router.post("/cases/{case_id}/actions", response_model=GuardAnswer)
def propose(
    body: ActionProposal,
    caller: Caller,
    svc: Svc,
    case_id: int = CaseId,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> GuardAnswer:
    """Ask the compliance guard before acting: allowed (the action counts towards the day's
    limits) or blocked with the rule; either way it is recorded."""
    require(caller, ApiRole.COLLECTOR)
    if idempotency_key is None:
        raise ApiError(422, "Idempotency-Key", "is required to propose an action")
    live = _own_case(caller, svc, case_id)
    url = svc.origination.url
    with get_engine(url).connect() as conn:
        customer_id, phone_enc = conn.execute(
            select(Customer.id, Customer.phone_enc)
            .join(Loan, Loan.customer_id == Customer.id)
            .where(Loan.id == live.loan_id)
        ).one()
    proposal = body.model_dump(exclude_none=True) | {
        "debtor_id": f"customer-{customer_id}",
        "at": body.at.isoformat(),
    }
    if body.kind is not ActionKind.VISIT:
        proposal["phone"] = cipher().decrypt(phone_enc, "phone_enc")
    try:
        decision = _guard(url).propose(proposal)
    except InvalidInputError as exc:
        raise ApiError(422, exc.field, exc.problem) from None
    rule = None if decision.rule is None else decision.rule.value
    return GuardAnswer(
        action_id=decision.action_id, allowed=decision.allowed, rule=rule, reason=decision.reason
    )


class ComplaintPublic(BaseModel):
    id: int
    loan_id: int
    call_id: int | None
    collector_id: str | None
    received_at: datetime
    channel: str
    category: str
    recorded_by: str

    @classmethod
    def of(cls, c: StoredComplaint) -> ComplaintPublic:
        return cls.model_validate(vars(c))


@router.post("/complaints", response_model=ComplaintPublic)
def record_complaint(body: ComplaintIn, caller: Caller, svc: Svc) -> ComplaintPublic:
    """Record a complaint about a loan's collection (a call's collector is taken from the
    call); it counts on that collector's or agency's scorecard."""
    require(caller, ApiRole.ANALYST)
    return ComplaintPublic.of(ComplaintDesk(svc.origination.url).record(body, actor=caller.name))


@router.get("/complaints", response_model=list[ComplaintPublic])
def complaints(
    caller: Caller,
    svc: Svc,
    collector_id: str | None = Query(None, min_length=1, max_length=40),
    limit: int = Query(100, ge=1, le=1000),
) -> list[ComplaintPublic]:
    """The latest complaints, newest first; a collector sees only those naming its queue."""
    require(caller, ApiRole.COLLECTOR, ApiRole.ANALYST)
    own = _queue_of(caller)
    if own is not None and collector_id not in (None, own):
        raise ApiError(403, "collector_id", "a collector sees only its own complaints")
    desk = ComplaintDesk(svc.origination.url)
    return [ComplaintPublic.of(c) for c in desk.complaints(own or collector_id, limit)]


__all__ = ["router"]
