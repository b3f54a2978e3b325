"""The routes' dependencies as ``Annotated`` aliases: the caller, the services, role checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel
from sqlalchemy import Connection, event

from zhudai.api.errors import ApiError
from zhudai.api.keys import ApiKeys, Principal
from zhudai.api.limits import (
    IdempotencyStore,
    PendingAnswer,
    RateLimiter,
    RedisRateLimiter,
    StoredResponse,
)
from zhudai.audit import AuditLog
from zhudai.callqa.review import ReviewQueue
from zhudai.faults import fault_point
from zhudai.fraud.list_store import StoredLists
from zhudai.origination.pipeline import AuditHook, OriginationService
from zhudai.store.db import AnswerHook
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
    reviews: ReviewQueue

    def audit_hook(self, caller: Principal, action: str, subject: str) -> AuditHook:
        """An audit entry by ``caller``, appended in the transaction of the write it records."""

        def append(conn, payload):  # type: ignore[no-untyped-def]
            AuditLog.append(
                conn, actor=caller.name, action=action, subject=subject, payload=payload
            )
            fault_point("api.in_transaction")  # a crash here: written, nothing committed

        return append


def change_hook(
    caller: Principal,
    action: str,
    public: Callable[[Any], BaseModel],
    keep: AnswerHook | None,
) -> Callable[[Connection, Any], None]:
    """For a versioned change (a policy or model published, activated, rolled back): the
    audit entry and, with an ``Idempotency-Key``, the answer, both written in the change's
    own transaction. ``public(info)`` is the answer the route sends."""

    def hook(conn: Connection, info: Any) -> None:
        answer = public(info).model_dump(mode="json")
        AuditLog.append(
            conn,
            actor=caller.name,
            action=action,
            subject=f"{info.name}@{info.version}",
            payload=answer,
        )
        fault_point("api.in_transaction")
        if keep is not None:
            keep(conn, answer)

    return hook


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _caller(request: Request, _key: str | None = Security(API_KEY_HEADER)) -> Principal:
    principal: Principal = request.state.principal
    return principal


def _keep(request: Request) -> AnswerHook | None:
    """With an ``Idempotency-Key``: a hook that keeps the answer in the write's own
    transaction; once that commits, the guard sends exactly the kept answer and stores none
    after. Without one (or a route whose service takes no hook): ``None``, and the guard
    stores the answer after the write."""
    pending: PendingAnswer | None = getattr(request.state, "idempotency", None)
    if pending is None:
        return None
    services = _services(request)

    def keep(conn: Connection, answer: dict[str, Any]) -> None:
        stored = StoredResponse(pending.request_hash, 200, answer)
        if services.idempotency.keep(conn, pending.key_id, pending.key, stored):
            event.listen(conn, "commit", lambda _: setattr(request.state, "kept", stored))

    return keep


Svc = Annotated[Services, Depends(_services)]
Caller = Annotated[Principal, Depends(_caller)]
#: The answer-keeping hook to hand a service's write (see :func:`_keep`).
Keep = Annotated[AnswerHook | None, Depends(_keep)]


def require(caller: Principal, *roles: ApiRole) -> None:
    """403 unless the caller's role is one of ``roles`` (admin always is)."""
    if caller.role is not ApiRole.ADMIN and caller.role not in roles:
        raise ApiError(403, "X-API-Key", f"a {caller.role.value} key may not do this")


def require_own_channel(caller: Principal, channel: str) -> None:
    """A channel key acts only for its own channel code."""
    if caller.role is ApiRole.CHANNEL and channel != caller.tenant:
        raise ApiError(403, "channel", f"this key submits for channel {caller.tenant!r} only")
