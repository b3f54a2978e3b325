"""``/v1/policies``: list, publish, activate and roll back policy versions (hot-swapped into
this worker's decision service; the other workers swap within the API's sync interval)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from zhudai.api.deps import Caller, Keep, Svc, change_hook, require
from zhudai.api.errors import ERROR_RESPONSES
from zhudai.decision.versions import PolicyInfo
from zhudai.store.models import ApiRole

router = APIRouter(prefix="/v1/policies", tags=["policies"], responses=ERROR_RESPONSES)
Name = Path(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$")


def utc(value: datetime | None) -> datetime | None:
    """A stored time (UTC wall clock) as an answer states it (RFC 3339, with its offset)."""
    return None if value is None else value.replace(tzinfo=UTC)


class PolicyPublic(BaseModel):
    name: str
    version: int
    status: str
    content_hash: str
    created_at: datetime | None = None
    activated_at: datetime | None = None

    @classmethod
    def of(cls, info: PolicyInfo) -> PolicyPublic:
        times = {k: utc(getattr(info, k)) for k in ("created_at", "activated_at")}
        return cls(**(vars(info) | times))


class PolicyCreate(BaseModel):
    document: str = Field(min_length=1, max_length=1_000_000, description="The policy YAML.")


class VersionActivate(BaseModel):
    version: int = Field(ge=1, le=2**31 - 1)  # the column is a 32-bit integer


@router.get("", response_model=list[PolicyPublic])
def list_versions(caller: Caller, svc: Svc) -> list[PolicyPublic]:
    require(caller, ApiRole.ANALYST)
    return [PolicyPublic.of(i) for i in svc.origination.decisions.store.versions()]


@router.post("", response_model=PolicyPublic)
def publish(body: PolicyCreate, caller: Caller, svc: Svc, keep: Keep) -> PolicyPublic:
    """Check, test and store the document as the next version (draft)."""
    require(caller)
    hook = change_hook(caller, "policy.publish", PolicyPublic.of, keep)
    info = svc.origination.decisions.store.publish(body.document, origin="api", audit=hook)
    return PolicyPublic.of(info)


@router.post("/{name}/activate", response_model=PolicyPublic)
def activate(
    body: VersionActivate, caller: Caller, svc: Svc, keep: Keep, name: str = Name
) -> PolicyPublic:
    require(caller)
    hook = change_hook(caller, "policy.activate", PolicyPublic.of, keep)
    info = svc.origination.decisions.activate(name, body.version, audit=hook)
    svc.origination.refresh()
    return PolicyPublic.of(info)


@router.post("/{name}/rollback", response_model=PolicyPublic)
def rollback(caller: Caller, svc: Svc, keep: Keep, name: str = Name) -> PolicyPublic:
    require(caller)
    hook = change_hook(caller, "policy.rollback", PolicyPublic.of, keep)
    info = svc.origination.decisions.rollback(name, audit=hook)
    svc.origination.refresh()
    return PolicyPublic.of(info)
