"""The routes' dependencies as ``Annotated`` aliases: the caller, the services, role checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from zhudai.api.errors import ApiError
from zhudai.api.keys import ApiKeys, Principal
from zhudai.api.limits import IdempotencyStore, RateLimiter, RedisRateLimiter
from zhudai.audit import AuditLog
from zhudai.faults import fault_point
from zhudai.fraud.list_store import StoredLists
from zhudai.origination.pipeline import AuditHook, OriginationService
from zhudai.store.models import ApiRole

#: Declares the key in the OpenAPI spec; the guard middleware has already checked it.
API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False)


@dataclass
class Services:
    """What the routes call: one instance per app (per worker process)."""

    origination: OriginationService
    keys: ApiKeys
    idempotency: IdempotencyStore
    limiter: RateLimiter | RedisRateLimiter
    lists: StoredLists

    def audit_hook(self, caller: Principal, action: str, subject: str) -> AuditHook:
        """An audit entry by ``caller``, appended in the transaction of the write it records."""

        def append(conn, payload):  # type: ignore[no-untyped-def]
            AuditLog.append(
                conn, actor=caller.name, action=action, subject=subject, payload=payload
            )
            fault_point("api.in_transaction")  # a crash here: written, nothing committed

        return append


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _caller(request: Request, _key: str | None = Security(API_KEY_HEADER)) -> Principal:
    principal: Principal = request.state.principal
    return principal


Svc = Annotated[Services, Depends(_services)]
Caller = Annotated[Principal, Depends(_caller)]


def require(caller: Principal, *roles: ApiRole) -> None:
    """403 unless the caller's role is one of ``roles`` (admin always is)."""
    if caller.role is not ApiRole.ADMIN and caller.role not in roles:
        raise ApiError(403, "X-API-Key", f"a {caller.role.value} key may not do this")


def require_own_channel(caller: Principal, channel: str) -> None:
    """A channel key acts only for its own channel code."""
    if caller.role is ApiRole.CHANNEL and channel != caller.tenant:
        raise ApiError(403, "channel", f"this key submits for channel {caller.tenant!r} only")
