"""API keys: created once (the key is shown only then), kept as a SHA-256 hash, each with a
role and a tenant (the channel or funder code the key acts for), revocable.

A key is 32 random bytes, so an unsalted SHA-256 is as hard to reverse as the key itself and
lets a request find its key with one indexed lookup. Creating and revoking a key each write
an audit entry in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhudai.audit import AuditLog
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.settings import get_settings
from zhudai.store.db import get_engine
from zhudai.store.models import ApiKey, ApiRole, Channel, Funder

KEY_PREFIX = "zk_"
#: Roles that act for one tenant, and the catalogue table that holds its codes.
TENANT_TABLES: dict[ApiRole, type[Channel] | type[Funder]] = {
    ApiRole.CHANNEL: Channel,
    ApiRole.FUNDER: Funder,
}


def hash_key(key: str) -> str:
    """The stored form of a key.

    Examples
    --------
    >>> hash_key("zk_abc")[:12]
    '6cc81d1a9699'
    """
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: one key's name, role and tenant."""

    key_id: int
    name: str
    role: ApiRole
    tenant: str | None


@dataclass(frozen=True)
class ApiKeyInfo:
    """One key as listed: never the key, only its first characters."""

    name: str
    role: str
    tenant: str | None
    prefix: str
    created_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> ApiKeyInfo:
        return cls(row.name, row.role.value, row.tenant, row.prefix, row.created_at, row.revoked_at)


class ApiKeys:
    """The keys of the store at ``url`` (default: the settings' store)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or get_settings().database_url

    def create(
        self, name: str, role: str, tenant: str | None = None, *, actor: str = "cli"
    ) -> tuple[ApiKeyInfo, str]:
        """Create a key; returns its listing and the key itself (shown this once only)."""
        try:
            kind = ApiRole(role)
        except ValueError:
            roles = ", ".join(r.value for r in ApiRole)
            raise InvalidInputError("role", f"must be one of {roles}; got {role!r}") from None
        if not name or len(name) > 80:
            raise InvalidInputError("name", f"must be 1 to 80 characters; got {len(name)}")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with Session(get_engine(self.url)) as s, s.begin():
            table = TENANT_TABLES.get(kind)
            if table is not None:
                if tenant is None:
                    raise InvalidInputError(
                        "tenant", f"a {kind.value} key needs its {kind.value} code"
                    )
                if s.scalar(select(table.id).where(table.code == tenant)) is None:
                    raise NotFoundError("tenant", tenant)
            row = ApiKey(
                name=name, role=kind, tenant=tenant, prefix=key[:10], key_hash=hash_key(key)
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise InvalidInputError("name", f"a key named {name!r} exists already") from None
            AuditLog.append(
                s.connection(),
                actor=actor,
                action="apikey.create",
                subject=name,
                payload={"role": kind.value, "tenant": tenant, "prefix": row.prefix},
            )
            info = ApiKeyInfo.of(row)
        return info, key

    def list(self) -> list[ApiKeyInfo]:
        with Session(get_engine(self.url)) as s:
            return [ApiKeyInfo.of(r) for r in s.scalars(select(ApiKey).order_by(ApiKey.id))]

    def revoke(self, name: str, *, actor: str = "cli") -> ApiKeyInfo:
        """Revoke the key ``name``: its requests get 401 from now on (revoking twice is a no-op)."""
        with Session(get_engine(self.url)) as s, s.begin():
            row = s.scalar(select(ApiKey).where(ApiKey.name == name))
            if row is None:
                raise NotFoundError("name", name)
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC).replace(tzinfo=None)
                s.flush()
                AuditLog.append(
                    s.connection(), actor=actor, action="apikey.revoke", subject=name, payload={}
                )
            return ApiKeyInfo.of(row)

    def principal(self, key_id: int) -> Principal | None:
        """The principal of the unrevoked key ``key_id`` (a web session names its key by id)."""
        q = select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.tenant, ApiKey.revoked_at).where(
            ApiKey.id == key_id
        )
        with get_engine(self.url).connect() as conn:
            row = conn.execute(q).first()
        if row is None or row.revoked_at is not None:
            return None
        return Principal(row.id, row.name, ApiRole(row.role), row.tenant)

    def authenticate(self, key: str) -> Principal | None:
        """The principal of a valid, unrevoked key; ``None`` otherwise."""
        if not key.startswith(KEY_PREFIX):
            return None
        q = select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.tenant, ApiKey.revoked_at).where(
            ApiKey.key_hash == hash_key(key)
        )
        with get_engine(self.url).connect() as conn:
            row = conn.execute(q).first()
        if row is None or row.revoked_at is not None:
            return None
        return Principal(row.id, row.name, ApiRole(row.role), row.tenant)
