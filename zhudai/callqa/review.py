"""The review queue: every submitted call is inspected and kept; reviewers work the flagged
calls by severity, then score, and a random sample of the unflagged ones (the audit, which
measures what inspection misses); their verdicts become the next model's training labels."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Table, insert, select, update

from zhudai.callqa.call import Call
from zhudai.callqa.context import Context
from zhudai.callqa.flags import FlagType
from zhudai.callqa.inspector import Inspection, Inspector
from zhudai.callqa.model import collector_words
from zhudai.callqa.workload import AUDIT_SHARE
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.parsing import parse_input
from zhudai.privacy.masking import mask_text
from zhudai.store.db import get_engine
from zhudai.store.models import CallReview
from zhudai.times import from_local, to_local, utc_now

_REVIEWS: Table = CallReview.__table__  # type: ignore[assignment]
FLAGGED, AUDIT, NOT_QUEUED = "flagged", "audit", "none"


def in_audit_sample(call_id: str, share: float = AUDIT_SHARE) -> bool:
    """Whether an unflagged call is drawn for the audit: a uniform draw from the call id's
    hash, so the sample is random over calls yet the same on every run and every worker.

    Examples
    --------
    >>> sum(in_audit_sample(f"c{i}") for i in range(10_000))
    480
    """
    digest = hashlib.sha256(call_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


class QueueItem(BaseModel):
    """A call waiting for a reviewer, as the queue serves it."""

    model_config = ConfigDict(frozen=True)

    call_id: str
    queue: str
    severity: int
    score: float
    started_at: datetime
    debtor_tz: str
    flags: list[dict[str, Any]]
    transcript: str


class ReviewQueue:
    """The queue in the store (SQLite by default, or ``url``)."""

    def __init__(self, inspector: Inspector | None = None, url: str | None = None) -> None:
        self.inspector = inspector or Inspector()
        self.engine = get_engine(url)

    def submit(self, calls: Iterable[Call | Mapping[str, Any]]) -> list[Inspection]:
        """Inspect and keep each call (masked); a call id already kept is refused."""
        found = []
        with self.engine.begin() as conn:
            for raw in calls:
                call = parse_input(Call, raw)
                call = call.model_copy(update={"text": mask_text(call.text)})
                seen = select(_REVIEWS.c.id).where(_REVIEWS.c.call_id == call.call_id)
                if conn.execute(seen).first() is not None:
                    raise InvalidInputError("call_id", f"{call.call_id!r} was already submitted")
                result = self.inspector.inspect(call)
                queue = (
                    FLAGGED
                    if result.flags
                    else AUDIT
                    if in_audit_sample(call.call_id)
                    else NOT_QUEUED
                )
                conn.execute(
                    insert(_REVIEWS).values(
                        call_id=call.call_id,
                        started_at=to_local(call.started_at),
                        debtor_tz=call.debtor_tz,
                        transcript=call.text,
                        flags=[f.model_dump(mode="json") for f in result.flags],
                        severity=max((int(f.severity) for f in result.flags), default=0),
                        score=result.score,
                        queue=queue,
                    )
                )
                found.append(result)
        return found

    def next(self, limit: int = 20) -> list[QueueItem]:
        """The unreviewed calls to hear next: most severe first, then highest score, then
        oldest; the audit sample (no flags) after the flagged calls."""
        if limit < 1:
            raise InvalidInputError("limit", f"must be a positive integer; got {limit}")
        c = _REVIEWS.c
        query = (
            select(_REVIEWS)
            .where(c.queue != NOT_QUEUED, c.verdict.is_(None))
            .order_by(c.severity.desc(), c.score.desc(), c.started_at, c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            QueueItem(
                call_id=r["call_id"],
                queue=r["queue"],
                severity=r["severity"],
                score=r["score"],
                started_at=from_local(r["started_at"]),
                debtor_tz=r["debtor_tz"],
                flags=r["flags"],
                transcript=r["transcript"],
            )
            for r in rows
        ]

    def record_verdict(
        self, call_id: str, violations: Iterable[FlagType | str], reviewer: str
    ) -> None:
        """Keep a reviewer's verdict: the violation types heard (none: the call is clean)."""
        kinds = sorted({parse_input(_Verdict, {"type": v}).type.value for v in violations})
        if not reviewer.strip():
            raise InvalidInputError("reviewer", "must name the reviewer")
        with self.engine.begin() as conn:
            done = conn.execute(
                update(_REVIEWS)
                .where(_REVIEWS.c.call_id == call_id)
                .values(verdict=kinds, reviewer=reviewer[:80], reviewed_at=to_local(utc_now()))
            )
        if done.rowcount == 0:
            raise NotFoundError("call_id", call_id)

    def training_examples(self) -> tuple[list[str], list[frozenset[FlagType]]]:
        """The reviewed calls as the paraphrase model's training data (collector's words and
        the confirmed types)."""
        query = select(_REVIEWS.c.transcript, _REVIEWS.c.verdict).where(
            _REVIEWS.c.verdict.is_not(None)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return (
            [collector_words(Context(text)) for text, _ in rows],
            [frozenset(FlagType(v) for v in verdict) for _, verdict in rows],
        )


class _Verdict(BaseModel):
    type: FlagType
