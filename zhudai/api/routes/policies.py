"""``/v1/policies``: list, publish, activate and roll back policy versions (hot-swapped into
this worker's decision service; other workers pick the change up on their next refresh)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from zhudai.api.deps import Caller, Svc, require
from zhudai.api.errors import ERROR_RESPONSES
from zhudai.audit import AuditLog
from zhudai.decision.versions import PolicyInfo
from zhudai.store.models import ApiRole

router = APIRouter(prefix="/v1/policies", tags=["policies"], responses=ERROR_RESPONSES)
Name = Path(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$")


class PolicyPublic(BaseModel):
    name: str
    version: int
    status: str
    content_hash: str
    created_at: datetime | None = None
    activated_at: datetime | None = None

    @classmethod
    def of(cls, info: PolicyInfo) -> PolicyPublic:
        """The stored times are UTC wall clock; the answer says so (RFC 3339)."""
        times = {k: _utc(getattr(info, k)) for k in ("created_at", "activated_at")}
        return cls(**(vars(info) | times))


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


class PolicyCreate(BaseModel):
    document: str = Field(min_length=1, max_length=1_000_000, description="The policy YAML.")


class PolicyActivate(BaseModel):
    version: int = Field(ge=1, le=2**31 - 1)  # the column is a 32-bit integer


@router.get("", response_model=list[PolicyPublic])
def list_versions(caller: Caller, svc: Svc) -> list[PolicyPublic]:
    require(caller, ApiRole.ANALYST)
    return [PolicyPublic.of(i) for i in svc.origination.decisions.store.versions()]


def _audited(svc: Svc, caller: Caller, action: str, info: PolicyInfo) -> PolicyPublic:
    with svc.origination.engine.begin() as conn:
        AuditLog.append(
            conn,
            actor=caller.name,
            action=action,
            subject=f"{info.name}@{info.version}",
            payload={"content_hash": info.content_hash, "status": info.status},
        )
    return PolicyPublic.of(info)


@router.post("", response_model=PolicyPublic)
def publish(body: PolicyCreate, caller: Caller, svc: Svc) -> PolicyPublic:
    """Check, test and store the document as the next version (draft)."""
    require(caller)
    info = svc.origination.decisions.store.publish(body.document, origin="api")
    return _audited(svc, caller, "policy.publish", info)


@router.post("/{name}/activate", response_model=PolicyPublic)
def activate(body: PolicyActivate, caller: Caller, svc: Svc, name: str = Name) -> PolicyPublic:
    require(caller)
    info = svc.origination.decisions.activate(name, body.version)
    svc.origination.refresh()
    return _audited(svc, caller, "policy.activate", info)


@router.post("/{name}/rollback", response_model=PolicyPublic)
def rollback(caller: Caller, svc: Svc, name: str = Name) -> PolicyPublic:
    require(caller)
    info = svc.origination.decisions.rollback(name)
    svc.origination.refresh()
    return _audited(svc, caller, "policy.rollback", info)
