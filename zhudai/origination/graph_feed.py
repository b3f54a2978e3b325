"""Sharing the live graph between API workers, through the store.

Each worker keeps its own relationship graph in memory (the ring score needs it within a
check); velocity and probing memory are shared through Redis, the graph is not. So every
worker reads, every few seconds, the applications the others decided (they are in the
``applications`` table with their contacts) and adds them, with their outcome, to its graph.
A ring spread over several workers is thus one cluster everywhere within one sync interval;
at start-up the same read loads the store's history into an empty graph.

Ids are read again a little behind the last one seen, because on PostgreSQL a lower id can
commit after a higher one; an application the graph holds already is skipped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine

from zhudai.fraud.engine import FraudEngine
from zhudai.store.models import Application, ApplicationStatus, Contact

#: Ids re-read behind the last one seen (transactions that committed out of id order).
LOOKBACK_IDS = 1000
#: Applications read per query.
BATCH = 5000

_NEW = (
    select(
        Application.id,
        Application.external_id,
        Application.applied_at,
        Application.customer_id,
        Application.device_id,
        Application.ip,
        Application.id_token,
        Application.phone_token,
        Application.card_token,
        Application.employer,
        Application.status,
    )
    .where(Application.id > bindparam("after"), Application.external_id.is_not(None))
    .order_by(Application.id)
    .limit(BATCH)
)
_CONTACTS = select(Contact.customer_id, Contact.contact_phone_token).where(
    Contact.customer_id.in_(bindparam("customers", expanding=True))
)


class GraphFeed:
    """Adds to ``fraud``'s live graph the applications other workers decided."""

    def __init__(self, engine: Engine, fraud: FraudEngine) -> None:
        self.engine = engine
        self.fraud = fraud
        self.seen = 0  # the highest application id read

    def catch_up(self) -> int:
        """Read the applications stored since the last call; returns how many were added."""
        scorer = self.fraud.ring_scorer
        if scorer is None:
            return 0
        added = 0
        after = max(self.seen - LOOKBACK_IDS, 0)
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(_NEW, {"after": after}).all()
                if not rows:
                    return added
                after = rows[-1].id
                self.seen = max(self.seen, after)
                fresh = [r for r in rows if not scorer.holds(r.external_id)]
                contacts: dict[int, list[str]] = {}
                if fresh:
                    customers = sorted({r.customer_id for r in fresh})
                    for customer, token in conn.execute(_CONTACTS, {"customers": customers}):
                        contacts.setdefault(customer, []).append(token)
            for row in fresh:
                rejected = row.status == ApplicationStatus.REJECTED
                added += self.fraud.add_decided_elsewhere(_record(row, contacts), rejected)
            if len(rows) < BATCH:
                return added


def _record(row: Any, contacts: dict[int, list[str]]) -> dict[str, Any]:
    """The graph's view of a stored application: the fields the pipeline gives it."""
    return {
        "application_id": row.external_id,
        "applied_at": row.applied_at,
        "device_id": row.device_id,
        "ip": row.ip,
        "id_token": row.id_token,
        "phone_token": row.phone_token,
        "card_token": row.card_token,
        "employer_id": row.employer,
        "contact_phone_tokens": contacts.get(row.customer_id, []),
    }
