"""The audit chain: each entry's hash covers its own fields and the previous entry's hash.

An append locks the one-row head (``UPDATE audit_head``) before it reads the last hash, so
concurrent writers queue instead of forking the chain (SQLite: one writer at a time;
PostgreSQL: the row lock). The head also keeps the last sequence number, so a deleted last
entry is found like any other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from zhudai.settings import get_settings
from zhudai.store.db import get_engine
from zhudai.store.models import AuditEntry, AuditHead

#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64

_HEAD: Table = AuditHead.__table__  # type: ignore[assignment]
_ENTRY: Table = AuditEntry.__table__  # type: ignore[assignment]
_LOCK_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq + 1)
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)
_SET_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(hash=bindparam("new_hash"))
_INSERT = insert(_ENTRY)


def entry_hash(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 of an entry's fields in canonical JSON (sorted keys) and the previous hash.

    Examples
    --------
    >>> h = entry_hash(1, datetime(2026, 1, 2, 3, 4, 5), "ops", "apikey.create", "k1", {}, GENESIS)
    >>> len(h), h == entry_hash(1, datetime(2026, 1, 2, 3, 4, 5), "ops", "apikey.create", "k1", {"x": 1}, GENESIS)
    (64, False)
    """
    body = [seq, at.isoformat(timespec="microseconds"), actor, action, subject, payload, prev_hash]
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """The result of a verification: how many entries were checked and the first problem."""

    checked: int
    problem: str | None = None
    first_bad_seq: int | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def line(self) -> str:
        if self.problem is None:
            return f"audit chain intact: {self.checked} entries"
        return f"audit chain broken at entry {self.first_bad_seq}: {self.problem}"


class AuditLog:
    """The audit log of the store at ``url`` (default: the settings' store).

    Examples
    --------
    >>> from zhudai.store.migrate import upgrade
    >>> url = upgrade("sqlite://")
    >>> log = AuditLog(url)
    >>> with log.engine.begin() as conn:
    ...     log.append(conn, actor="admin", action="apikey.create", subject="k1", payload={})
    1
    >>> log.verify().line()
    'audit chain intact: 1 entries'
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = url or get_settings().database_url

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        return get_engine(self.url)

    @staticmethod
    def append(
        conn: Connection, *, actor: str, action: str, subject: str, payload: dict[str, Any]
    ) -> int:
        """Append one entry inside the caller's transaction ``conn``; returns its number."""
        conn.execute(_LOCK_HEAD)
        seq, prev = conn.execute(_READ_HEAD).one()
        at = datetime.now(UTC).replace(tzinfo=None)
        digest = entry_hash(seq, at, actor, action, subject, payload, prev)
        conn.execute(
            _INSERT,
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": action,
                "subject": subject,
                "payload": payload,
                "prev_hash": prev,
                "hash": digest,
            },
        )
        conn.execute(_SET_HEAD, {"new_hash": digest})
        return int(seq)

    def entries(self, limit: int = 50) -> list[dict[str, Any]]:
        """The last ``limit`` entries, newest first."""
        q = select(_ENTRY).order_by(_ENTRY.c.seq.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def verify(self) -> ChainReport:
        """Walk the chain in order; the first entry whose hash, link or number is wrong is
        named (an edited entry fails its own hash; a deleted or moved one breaks the link or
        the numbering of the next; a deleted last entry leaves the head ahead of the chain)."""
        expected, prev, checked = 1, GENESIS, 0
        with self.engine.connect() as conn:
            head_seq, head_hash = conn.execute(_READ_HEAD).one()
            for row in conn.execute(select(_ENTRY).order_by(_ENTRY.c.seq)):
                if row.seq != expected:
                    return ChainReport(checked, f"missing (the next entry is {row.seq})", expected)
                digest = entry_hash(
                    row.seq, row.at, row.actor, row.action, row.subject, row.payload, row.prev_hash
                )
                if digest != row.hash:
                    return ChainReport(
                        checked, "edited: its content does not match its hash", expected
                    )
                if row.prev_hash != prev:
                    return ChainReport(
                        checked, "does not follow the previous entry (moved or replaced)", expected
                    )
                prev, expected, checked = row.hash, expected + 1, checked + 1
        if head_seq != checked or head_hash != prev:
            return ChainReport(checked, f"missing (the head records {head_seq} entries)", expected)
        return ChainReport(checked)
