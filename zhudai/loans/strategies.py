"""In-loan strategies (贷中策略): the ``inloan`` policy run over the B-card's scores of the book
at a month-end, and its actions applied, each in its own transaction.

The unit of a decision is a credit line (its scored loans' worst values: the highest PD, the
lowest score and punctuality, the largest recent DPD) or a loan off a line. A line with a loan
past due at the month-end is not decided (the B-card scores the not-overdue; the drawdown
policy already refuses a past-due customer, L03), nor is a unit with no installment due yet
(no behaviour to judge). A line or loan is decided on its state **at
the month-end**: the limit, APR and status before any action effective after it (every action
is effective from the day after its month-end), so re-running a month sees what the first run
saw and proposes the same actions.

Actions (``loan_actions.action``), each keyed ``f"{action}:line:{line_id}:{month_end}"`` (or
``loan:{loan_id}``), so a re-run applies nothing twice:

- ``freeze`` (policy outcome reject on a line): ``credit_lines.status`` -> ``frozen``;
- ``early_warning`` (reject on a loan off a line): the loan goes on the early-warning list
  (the action row is the list; nothing else changes);
- ``limit_increase`` / ``limit_decrease`` (approve, a new ``credit_limit``);
- ``price_down`` / ``price_up`` (approve, a new ``apr``): **on the line's APR, for its future
  drawdowns only**. A booked loan's APR is part of its contract terms and its stored schedule
  (the ledger has no rate history to re-price future interest), so an active loan keeps its
  rate, and a loan off a line is never re-priced. The new APR is checked against the
  settings' cost cap (``ZHUDAI_APR_CAP``) again before it is written.

Each action's transaction holds the line's write lock, the decision record (with the first
action of a unit), the ``loan_actions`` row (reasons with their texts; details with the
month-end, the day it takes effect, ``before`` / ``after``, the decision and the B-score),
the change itself and an audit-chain entry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from zhudai.audit.chain import AuditLog
from zhudai.decision.engine import Decision
from zhudai.decision.service import DecisionService, decision_values
from zhudai.decision.versions import PolicyStore
from zhudai.exceptions import InvalidInputError
from zhudai.loans.bcard import (
    features_at,
    installed_bcard,
    population,
    read_behaviour,
    score_features,
)
from zhudai.loans.lines import FROZEN
from zhudai.money import money
from zhudai.settings import get_settings
from zhudai.store.db import get_engine
from zhudai.store.models import CreditLine, DecisionRecord, Loan, LoanAction
from zhudai.times import to_local, utc_now

POLICY = "inloan"
LINE_ACTIONS = ("freeze", "limit_increase", "limit_decrease", "price_down", "price_up")
EARLY_WARNING = "early_warning"

_LINES: Table = CreditLine.__table__  # type: ignore[assignment]
_LOANS: Table = Loan.__table__  # type: ignore[assignment]
_ACTIONS: Table = LoanAction.__table__  # type: ignore[assignment]

#: Which line field each action changes (the key of its ``before`` / ``after``).
_FIELD = {
    "freeze": "status",
    "limit_increase": "credit_limit",
    "limit_decrease": "credit_limit",
    "price_down": "apr",
    "price_up": "apr",
}


@dataclass
class StrategyReport:
    """What a run decided and applied for one month-end."""

    month_end: date
    scored_loans: int = 0
    units: int = 0
    skipped_past_due: int = 0
    skipped_new: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    applied: Counter[str] = field(default_factory=Counter)
    already_applied: Counter[str] = field(default_factory=Counter)
    actions: list[dict[str, Any]] = field(default_factory=list)


def install_policy(store: PolicyStore) -> int:
    """Publish and activate the shipped ``inloan`` policy unless a version is active; returns
    the active version."""
    from zhudai.decision.loaders import SHIPPED_DIR
    from zhudai.exceptions import NotFoundError

    try:
        return store.get(POLICY)[2]
    except NotFoundError:
        text = (SHIPPED_DIR / f"{POLICY}.yaml").read_text(encoding="utf-8")
        info = store.publish(text, origin=f"{POLICY}.yaml")
        store.activate(POLICY, info.version)
        return info.version


def line_states_at(conn: Connection, month_end: date) -> dict[int, dict[str, Any]]:
    """Every line's ``credit_limit``, ``apr`` and ``status`` at the end of ``month_end``: today's
    values, except a field a strategy action effective after that day changed (its
    ``before``), plus ``drawn`` (today's) and ``application_id``."""
    states = {
        r.id: {
            "credit_limit": money(r.credit_limit),
            "apr": Decimal(str(r.apr)),
            "status": r.status,
            "drawn": money(r.drawn),
            "application_id": r.application_id,
        }
        for r in conn.execute(select(_LINES))
    }
    later = conn.execute(
        select(_ACTIONS.c.line_id, _ACTIONS.c.details)
        .where(_ACTIONS.c.action.in_(LINE_ACTIONS), _ACTIONS.c.line_id.is_not(None))
        .order_by(_ACTIONS.c.id)
    ).all()
    earliest: dict[tuple[int, str], tuple[date, Any]] = {}
    for line_id, details in later:
        effective = date.fromisoformat(details["effective"])
        if effective <= month_end:
            continue
        for name, value in details["before"].items():
            seen = earliest.get((line_id, name))
            if seen is None or effective < seen[0]:
                earliest[(line_id, name)] = (effective, value)
    for (line_id, name), (_, value) in earliest.items():
        if line_id in states:
            states[line_id][name] = _typed(name, value)
    return states


def _typed(name: str, value: Any) -> Any:
    if name == "credit_limit":
        return money(Decimal(str(value)))
    if name == "apr":
        return Decimal(str(value))
    return value


def _units(scored: pl.DataFrame, past_due_lines: set[int]) -> list[dict[str, Any]]:
    """One row per line (its loans' worst values) and per loan off a line."""
    on_line = scored.filter(
        pl.col("line_id").is_not_null() & ~pl.col("line_id").is_in(list(past_due_lines))
    )
    lines = on_line.group_by("line_id").agg(
        loan_id=pl.col("loan_id").min(),
        bpd=pl.col("bpd").max(),
        bscore=pl.col("bscore").min(),
        mob=pl.col("mob").max(),
        on_time_share=pl.col("on_time_share").min(),
        max_dpd_6m=pl.col("max_dpd_6m").max(),
        months_m1plus_6m=pl.col("months_m1plus_6m").max(),
        utilisation=pl.col("utilisation").max(),
        loans=pl.len(),
    )
    off = scored.filter(pl.col("line_id").is_null()).select(
        "line_id",
        "loan_id",
        "bpd",
        "bscore",
        "mob",
        "on_time_share",
        "max_dpd_6m",
        "months_m1plus_6m",
        "utilisation",
        loans=pl.lit(1, pl.UInt32),
    )
    return pl.concat([lines, off], how="diagonal_relaxed").sort("line_id", "loan_id").to_dicts()


def _inputs(
    unit: Mapping[str, Any], line: Mapping[str, Any] | None, loan_apr: float
) -> dict[str, Any]:
    base = {
        k: unit[k]
        for k in ("bscore", "bpd", "mob", "on_time_share", "max_dpd_6m", "months_m1plus_6m")
    }
    if line is None:
        return {
            **base,
            "has_line": False,
            "line_frozen": False,
            "credit_limit": 0.0,
            "drawn": 0.0,
            "utilisation": 0.0,
            "current_apr": loan_apr,
        }
    return {
        **base,
        "has_line": True,
        "line_frozen": line["status"] == FROZEN,
        "credit_limit": float(line["credit_limit"]),
        "drawn": float(line["drawn"]),
        "utilisation": float(unit["utilisation"] or 0.0),
        "current_apr": float(line["apr"]),
    }


def proposed_actions(
    decision: Decision, line: Mapping[str, Any] | None
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """The actions a decision asks for, as ``(action, before, after)`` against the line's
    state at the month-end (``line`` is None for a loan off a line)."""
    outcome = decision.outcome.value
    if outcome == "reject":
        if line is None:
            return [(EARLY_WARNING, {}, {"listed": True})]
        if line["status"] != FROZEN:
            return [("freeze", {"status": line["status"]}, {"status": FROZEN})]
        return []
    if outcome != "approve" or line is None:
        return []
    out = []
    if decision.credit_limit is not None:
        limit = money(Decimal(str(decision.credit_limit)))
        if limit != line["credit_limit"]:
            action = "limit_increase" if limit > line["credit_limit"] else "limit_decrease"
            out.append(
                (action, {"credit_limit": str(line["credit_limit"])}, {"credit_limit": str(limit)})
            )
    if decision.apr is not None:
        apr = Decimal(str(round(decision.apr, 6)))
        if apr != line["apr"]:
            action = "price_down" if apr < line["apr"] else "price_up"
            out.append((action, {"apr": str(line["apr"])}, {"apr": str(apr)}))
    return out


def run_strategies(
    month_end: date,
    decisions: DecisionService,
    url: str | None = None,
    *,
    model_dir: str | Path | None = None,
    model: Any = None,
    actor: str = "system",
    now: datetime | None = None,
) -> StrategyReport:
    """Score the book at ``month_end`` with the B-card, decide every line and loan off a line
    with the ``inloan`` policy, and apply the actions (see the module docstring). ``model``
    (anything with ``predict_pd``) replaces the installed card at ``model_dir``."""
    engine = get_engine(url)
    report = StrategyReport(month_end)
    feats = features_at(read_behaviour(url), month_end)
    scored = score_features(model or installed_bcard(model_dir), population(feats))
    report.scored_loans = scored.height
    past_due = set(
        feats.filter((pl.col("dpd_now") > 0) & pl.col("line_id").is_not_null())["line_id"]
        .unique()
        .to_list()
    )
    with engine.connect() as conn:
        lines = line_states_at(conn, month_end)
        loans = {
            r.id: (r.apr, r.application_id)
            for r in conn.execute(select(_LOANS.c.id, _LOANS.c.apr, _LOANS.c.application_id))
        }
    report.skipped_past_due = len(past_due)
    texts = decisions.policy(POLICY).document.reason_texts
    at = to_local(now or utc_now())
    for unit in _units(scored, past_due):
        if unit["on_time_share"] is None:  # nothing due yet: no behaviour to judge
            report.skipped_new += 1
            continue
        line = lines.get(unit["line_id"]) if unit["line_id"] is not None else None
        loan_apr, loan_app = loans[unit["loan_id"]]
        decision, _ = decisions.evaluate(POLICY, _inputs(unit, line, float(loan_apr)))
        report.units += 1
        report.outcomes[decision.outcome.value] += 1
        report.reasons.update(decision.reason_codes)
        application_id = line["application_id"] if line is not None else loan_app
        recorded = False
        for action, before, after in proposed_actions(decision, line):
            done = _apply(
                engine,
                action,
                unit,
                before,
                after,
                decision,
                None if recorded else application_id,
                texts,
                month_end,
                at,
                actor,
            )
            recorded = recorded or done is not None
            (report.applied if done is not None else report.already_applied)[action] += 1
            if done is not None:
                report.actions.append(done)
    return report


def _key(action: str, unit: Mapping[str, Any], month_end: date) -> str:
    target = f"line:{unit['line_id']}" if action in LINE_ACTIONS else f"loan:{unit['loan_id']}"
    return f"{action}:{target}:{month_end.isoformat()}"


def _apply(
    engine: Any,
    action: str,
    unit: Mapping[str, Any],
    before: dict[str, Any],
    after: dict[str, Any],
    decision: Decision,
    application_id: int | None,
    texts: Mapping[str, str],
    month_end: date,
    at: datetime,
    actor: str,
) -> dict[str, Any] | None:
    """One action in one transaction; ``None`` when its key was applied before."""
    key = _key(action, unit, month_end)
    with engine.begin() as conn:
        line_id = unit["line_id"] if action in LINE_ACTIONS else None
        if line_id is not None:  # the line's write lock first, as a drawdown takes it
            conn.execute(update(_LINES).where(_LINES.c.id == line_id).values(drawn=_LINES.c.drawn))
        if conn.scalar(select(_ACTIONS.c.id).where(_ACTIONS.c.idempotency_key == key)):
            return None
        if action in ("price_down", "price_up"):
            cap = Decimal(str(get_settings().apr_cap))
            if Decimal(after["apr"]) > cap:
                raise InvalidInputError(
                    "apr", f"{after['apr']} is above the cost cap {cap} (ZHUDAI_APR_CAP)"
                )
        if application_id is not None:
            conn.execute(
                insert(DecisionRecord),
                decision_values(
                    decision,
                    application_id,
                    None,
                    {"inloan": {"month_end": month_end.isoformat(), "key": key}},
                ),
            )
        reasons = [{"code": c, "text": texts.get(c, c)} for c in decision.reason_codes]
        details = {
            "month_end": month_end.isoformat(),
            "effective": (month_end + timedelta(days=1)).isoformat(),
            "before": before,
            "after": after,
            "decision_id": decision.decision_id,
            "policy": {"name": decision.policy_name, "version": decision.policy_version},
            "bscore": unit["bscore"],
            "bpd": unit["bpd"],
            "loans": unit["loans"],
        }
        conn.execute(
            insert(_ACTIONS),
            {
                "idempotency_key": key,
                "loan_id": None if line_id is not None else unit["loan_id"],
                "line_id": line_id,
                "action": action,
                "at": at,
                "actor": actor,
                "reasons": reasons,
                "details": details,
            },
        )
        if line_id is not None:
            name = _FIELD[action]
            value: Any = after[name]
            if name == "credit_limit":
                value = money(Decimal(value))
            elif name == "apr":
                value = float(Decimal(value))
            conn.execute(update(_LINES).where(_LINES.c.id == line_id).values({name: value}))
        subject = f"line:{line_id}" if line_id is not None else f"loan:{unit['loan_id']}"
        AuditLog.append(
            conn,
            actor=actor,
            action=f"inloan.{action}",
            subject=subject,
            payload={"key": key, "before": before, "after": after},
        )
    return {"key": key, "action": action, "subject": subject, **details, "reasons": reasons}
