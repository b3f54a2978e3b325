"""Collector and agency scorecards from the book's collection history: calls, contact and
promise rates, the amount recovered, and how many of their calls the compliance guard blocks
when the history is replayed through it, by rule, and the complaints that name them.

The history is the store's ``collection_actions`` (every SMS, automated, agent and agency
action, with its outcome and the recovery credited to it) and ``call_records`` (who made each
agent or agency call, and when it started). All actions go through one guard in time order,
so automated calls count towards a debtor's daily limit as they did; a call's block is its
collector's. The guard needs a phone number to count unanswered attempts: the replay uses a
stand-in per customer (one number each, as the book has), never the customer's real number.
Complaints come from the store's ``complaints`` (the desk's records, or a world's).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import polars as pl
from sqlalchemy import select

from zhudai.collections.complaints import ComplaintDesk
from zhudai.collections.guard import ComplianceGuard
from zhudai.collections.rules import GuardRules
from zhudai.store.db import get_engine
from zhudai.store.models import CallRecord, CollectionAction, Loan
from zhudai.times import from_local

#: The guard's action kind of each stored action type.
GUARD_KIND = {"sms": "sms", "auto_call": "auto_call", "human_call": "human_call",
              "agency": "agency_call"}  # fmt: skip
DEBTOR_TZ = "Asia/Shanghai"


def _history(url: str | None) -> list[Any]:
    query = (
        select(
            CollectionAction.id,
            CollectionAction.ts,
            CollectionAction.action_type,
            CollectionAction.contacted,
            CollectionAction.promise_to_pay,
            CollectionAction.amount_recovered,
            Loan.customer_id,
            CallRecord.collector_id,
            CallRecord.started_at,
        )
        .join(Loan, Loan.id == CollectionAction.loan_id)
        .outerjoin(CallRecord, CallRecord.action_id == CollectionAction.id)
    )
    with get_engine(url).connect() as conn:
        rows = conn.execute(query).all()
    return sorted(rows, key=lambda r: (r.started_at or r.ts, r.id))


def collector_scorecards(url: str | None = None, rules: GuardRules | None = None) -> pl.DataFrame:
    """One row per collector (``team`` in-house or agency): ``calls``, ``contact_rate``,
    ``promise_rate``, ``recovered``, ``blocked`` and ``block_rate``, ``complaints`` and
    ``complaints_per_1k`` (per thousand calls), and one ``blocked_<rule>`` column per rule
    that blocked any call; sorted by team and block rate."""
    guard = ComplianceGuard(rules)
    stats: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"calls": 0, "contacts": 0, "promises": 0, "recovered": 0.0, "blocks": Counter()}
    )
    for r in _history(url):
        kind = GUARD_KIND[str(r.action_type)]
        at = from_local(r.started_at or r.ts)
        action: dict[str, Any] = {
            "action_id": str(r.id), "debtor_id": f"customer-{r.customer_id}",
            "phone": f"1{r.customer_id:010d}", "kind": kind, "at": at.isoformat(),
            "debtor_tz": DEBTOR_TZ, "party": "debtor",
        }  # fmt: skip
        if kind != "sms":
            action |= {"answered": bool(r.contacted), "effective": bool(r.contacted)}
        decision = guard.propose(action)
        if r.collector_id is None:
            continue
        s = stats[r.collector_id]
        s["team"] = "agency" if kind == "agency_call" else "in-house"
        s["calls"] += 1
        s["contacts"] += bool(r.contacted)
        s["promises"] += bool(r.promise_to_pay)
        s["recovered"] += float(r.amount_recovered or 0)
        if decision.rule is not None:
            s["blocks"][decision.rule.value] += 1
    rules_seen = sorted({rule for s in stats.values() for rule in s["blocks"]})
    complaints = ComplaintDesk(url).per_collector()
    rows = [
        {
            "collector": who,
            "team": s["team"],
            "calls": s["calls"],
            "contact_rate": s["contacts"] / s["calls"],
            "promise_rate": s["promises"] / s["calls"],
            "recovered": round(s["recovered"], 2),
            "blocked": sum(s["blocks"].values()),
            "block_rate": sum(s["blocks"].values()) / s["calls"],
            "complaints": complaints[who],
            "complaints_per_1k": 1000 * complaints[who] / s["calls"],
            **{f"blocked_{rule}": s["blocks"][rule] for rule in rules_seen},
        }
        for who, s in stats.items()
    ]
    if not rows:
        return pl.DataFrame(schema={"collector": pl.String, "team": pl.String, "calls": pl.Int64})
    order = ["team", "block_rate", "collector"]
    return pl.DataFrame(rows).sort(order, descending=[False, True, False])


def scorecard_lines(cards: pl.DataFrame) -> list[str]:
    """Per team, then per collector: calls, contact and promise rates, recovered, blocks,
    complaints (count and per thousand calls)."""
    lines = [f"  {'collector':<12}{'team':<10}{'calls':>7}{'contact':>9}{'promise':>9}"
             f"{'recovered':>12}{'blocked':>9}{'rate':>7}{'complaints':>12}{'/1k':>7}"]  # fmt: skip
    for r in cards.iter_rows(named=True):
        lines.append(
            f"  {r['collector']:<12}{r['team']:<10}{r['calls']:>7,}{r['contact_rate']:>9.3f}"
            f"{r['promise_rate']:>9.3f}{r['recovered']:>12,.0f}{r['blocked']:>9,}"
            f"{r['block_rate']:>7.3f}{r['complaints']:>12,}{r['complaints_per_1k']:>7.1f}"
        )
    return lines
