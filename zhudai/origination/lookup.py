"""Reading a decided application back: what ``zhudai application show`` and the API print.

Personal data appears only masked; provider answers are listed with their status, time, cost
and latency (their data stays encrypted at rest and is read only by back-fills)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select

from zhudai.exceptions import NotFoundError
from zhudai.store.customers import reveal
from zhudai.store.db import session_scope
from zhudai.store.models import (
    Application,
    DecisionRecord,
    Funder,
    Origination,
    ProviderAnswerRecord,
)


def stored_application(
    external_id: str, url: str | None = None, *, reveal_personal: bool = False
) -> dict[str, Any]:
    """The stored record of the partner's application ``external_id``, with its trace;
    personal data masked, or decrypted where ``reveal_personal`` (an authorised use, e.g. the
    funder's own identity check)."""
    with session_scope(url) as s:
        o = s.scalar(select(Origination).where(Origination.external_id == external_id))
        if o is None:
            raise NotFoundError("application_id", external_id)
        a = s.get(Application, o.application_id)
        assert a is not None
        c = a.customer
        record = s.scalar(
            select(DecisionRecord.record).where(DecisionRecord.decision_id == o.decision_id)
        )
        answers = s.scalars(
            select(ProviderAnswerRecord)
            .where(ProviderAnswerRecord.application_id == a.id)
            .order_by(ProviderAnswerRecord.id)
        )
        return {
            "application_id": external_id,
            "answer": o.answer,
            "channel": o.channel_code,
            "funder": {
                "status": o.funder_status.value,
                "funder_id": o.funder_id,
                "code": None if o.funder_id is None else s.get(Funder, o.funder_id).code,  # type: ignore[union-attr]
                "amount": None if o.funder_amount is None else float(o.funder_amount),
                "day": None if o.funder_day is None else o.funder_day.isoformat(),
            },
            "application": {
                "store_id": a.id,
                "applied_at_local": a.applied_at.isoformat(),
                "channel_id": a.channel_id,
                "product": a.product_code,
                "amount": float(a.amount_requested),
                "term_months": a.term_months,
                "status": a.status.value,
                "device_id": a.device_id,
                "ip": a.ip,
                "applicant": {
                    "id_number": reveal(c, "id") if reveal_personal else c.id_masked,
                    "phone": reveal(c, "phone") if reveal_personal else c.phone_masked,
                    "bank_card": reveal(c, "card") if reveal_personal else c.card_masked,
                    "name": reveal(c, "name") if reveal_personal else c.name_masked,
                    "city": c.city,
                },
            },
            "providers": [
                {
                    "provider": p.provider,
                    "status": p.status,
                    "as_of_utc": p.as_of.isoformat(),
                    "cost": float(p.cost),
                    "latency_ms": p.latency_ms,
                    "attempts": p.attempts,
                    "cached": p.cached,
                    "error": p.error,
                }
                for p in answers
            ],
            "decision": record,
        }


def decided_inputs(policy: str, url: str | None = None) -> pd.DataFrame:
    """The inputs and features each live decision of ``policy`` saw, with the partner's
    ``application_id`` and the store's ``store_application_id``: a back-test's history."""
    query = select(DecisionRecord.application_id, DecisionRecord.record).where(
        DecisionRecord.policy_name == policy
    )
    with session_scope(url) as s:
        rows = s.execute(query).all()
    return pd.DataFrame(
        [
            {
                **r["features"],
                **r["inputs"],
                "application_id": r["origination"]["application_id"],
                "store_application_id": store_id,
            }
            for store_id, r in rows
            if "origination" in r
        ]
    )
