"""Black and grey lists in the store, shared by every worker: :class:`StoredLists` writes an
entry (and its audit entry) in one transaction and copies the store's entries into a fraud
engine's in-process :class:`~zhudai.fraud.lists.FraudLists`, so a check stays a dict lookup.

Times in the store are the Asia/Shanghai wall clock, like every other table; the engine's
axis is :func:`zhudai.times.epoch_seconds` of that wall clock.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select

from zhudai.audit.chain import AuditLog
from zhudai.fraud.lists import FraudLists, KeyType, ListKind
from zhudai.store.db import get_engine
from zhudai.store.models import FraudListEntry
from zhudai.times import epoch_seconds, from_local, to_local, utc_now


@dataclass(frozen=True)
class StoredEntry:
    """One stored list entry (``since`` and ``until`` aware, Asia/Shanghai)."""

    id: int
    kind: ListKind
    key_type: KeyType
    key: str
    source: str
    reason: str
    since: datetime
    until: datetime | None
    created_by: str


class StoredLists:
    """The lists of the store at ``url``; :meth:`sync` keeps an engine's lists up to date."""

    def __init__(self, url: str | None = None) -> None:
        self.engine = get_engine(url)
        self._seen = 0  # the highest entry id copied into a FraudLists by sync
        self._lock = threading.Lock()

    def add(
        self,
        kind: ListKind | str,
        key_type: KeyType | str,
        key: str,
        *,
        source: str,
        reason: str,
        until: datetime | None = None,
        since: datetime | None = None,
        actor: str = "system",
    ) -> StoredEntry:
        """List ``key`` (checked as :meth:`FraudLists.add` checks it: no plaintext number,
        ``until`` after ``since``) from ``since`` (default now) until ``until`` (None: no
        expiry); aware times."""
        start = to_local(since or utc_now())
        end = None if until is None else to_local(until)
        checked = FraudLists().add(
            kind,
            key_type,
            key,
            source=source,
            reason=reason,
            since=epoch_seconds(start),
            until=None if end is None else epoch_seconds(end),
        )
        row = {
            "kind": checked.kind.value,
            "key_type": checked.key_type.value,
            "key": key,
            "source": source,
            "reason": reason,
            "since": start,
            "until": end,
            "created_by": actor,
        }
        table: Table = FraudListEntry.__table__  # type: ignore[assignment]
        with self.engine.begin() as conn:
            entry_id = conn.execute(insert(table).returning(table.c.id), row).scalar_one()
            AuditLog.append(
                conn,
                actor=actor,
                action="list.add",
                subject=f"list:{entry_id}",
                payload={"kind": row["kind"], "key_type": row["key_type"], "source": source},
            )
        return _entry(entry_id, row)

    def entries(
        self,
        kind: ListKind | None = None,
        key_type: KeyType | None = None,
        active_at: datetime | None = None,
        limit: int = 1000,
    ) -> list[StoredEntry]:
        """Entries, newest first, of ``kind`` / ``key_type`` and active at ``active_at``."""
        t = FraudListEntry
        q = select(FraudListEntry).order_by(t.id.desc()).limit(limit)
        if kind is not None:
            q = q.where(t.kind == kind.value)
        if key_type is not None:
            q = q.where(t.key_type == key_type.value)
        if active_at is not None:
            at = to_local(active_at)
            q = q.where(t.since <= at, (t.until.is_(None)) | (t.until > at))
        with self.engine.connect() as conn:
            return [_entry(r.id, r._asdict()) for r in conn.execute(q)]

    def sync(self, lists: FraudLists) -> int:
        """Copy the entries stored since the last call into ``lists``; how many were new."""
        with self._lock:
            t: Table = FraudListEntry.__table__  # type: ignore[assignment]
            q = select(t).where(t.c.id > self._seen).order_by(t.c.id)
            with self.engine.connect() as conn:
                rows = conn.execute(q).all()
            for r in rows:
                lists.add(
                    r.kind,
                    r.key_type,
                    r.key,
                    source=r.source,
                    reason=r.reason,
                    since=epoch_seconds(r.since),
                    until=None if r.until is None else epoch_seconds(r.until),
                )
                self._seen = r.id
            return len(rows)


def _entry(entry_id: int, row: Mapping[str, Any]) -> StoredEntry:
    until = row["until"]
    return StoredEntry(
        id=entry_id,
        kind=ListKind(str(row["kind"])),
        key_type=KeyType(str(row["key_type"])),
        key=str(row["key"]),
        source=str(row["source"]),
        reason=str(row["reason"]),
        since=from_local(row["since"]),
        until=None if until is None else from_local(until),
        created_by=str(row["created_by"]),
    )
