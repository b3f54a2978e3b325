"""The guard's records in the store (``collection_action_records``): every judged action,
allowed or blocked, kept at least the rules' retention years. The phone is kept as its token
(the customers' ``phone`` token, so a record joins a customer) and masked, never in plaintext.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, select

from zhudai.collections.records import ActionRecord, check_retention
from zhudai.collections.rules import GuardRules
from zhudai.privacy import mask_phone, tokenizer
from zhudai.store.db import get_engine
from zhudai.store.models import CollectionActionRecord
from zhudai.times import from_local, to_local, utc_now

_RECORDS: Table = CollectionActionRecord.__table__  # type: ignore[assignment]


class StoreActionLog:
    """The store's records (SQLite by default, or ``url``); each append is its own transaction,
    so a record exists once the guard has answered."""

    def __init__(self, url: str | None = None, rules: GuardRules | None = None) -> None:
        self.engine = get_engine(url)
        self._rules = rules or GuardRules()
        self._tokens = tokenizer()

    def append(self, record: ActionRecord) -> None:
        action = record.action
        with self.engine.begin() as conn:
            conn.execute(
                insert(_RECORDS).values(
                    action_id=action.action_id,
                    debtor_id=action.debtor_id,
                    phone_token=None
                    if action.phone is None
                    else self._tokens.token("phone", action.phone),
                    phone_masked=None if action.phone is None else mask_phone(action.phone),
                    kind=action.kind.value,
                    party=action.party.value,
                    at=to_local(action.at),
                    debtor_tz=action.debtor_tz,
                    details=action.model_dump(
                        mode="json",
                        include={"answered", "effective", "collectors", "debtor_unreachable"},
                    )
                    | {
                        "consent_hours": None
                        if action.consent_hours is None
                        else str(action.consent_hours)
                    },
                    allowed=record.allowed,
                    rule=None if record.rule is None else record.rule.value,
                    reason=record.reason[:300],
                )
            )

    def purge(self, before: datetime, *, now: datetime | None = None) -> int:
        check_retention(self._rules, before, now or utc_now())
        with self.engine.begin() as conn:
            return conn.execute(delete(_RECORDS).where(_RECORDS.c.at < to_local(before))).rowcount

    def recorded(self, debtor_id: str) -> list[dict[str, Any]]:
        """A debtor's records in time order (phone masked; times aware, Asia/Shanghai)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(_RECORDS)
                .where(_RECORDS.c.debtor_id == debtor_id)
                .order_by(_RECORDS.c.at, _RECORDS.c.id)
            ).mappings()
            return [
                {k: v for k, v in row.items() if k not in ("id", "phone_token")}
                | {"at": from_local(row["at"]).isoformat()}
                for row in rows
            ]
