"""Taking over a bank's existing book: its loans, schedules and repayments arrive as files
(loaded into ``loans``, ``installments`` and ``repayments`` by the store's loader, the way the
synthetic world's bank files are), and the platform recomputes every loan with its own ledger.

Reconciliation reports every difference between the bank's figures and the ledger's: each
installment's due date, principal and interest, what was paid into it, and its days past due
reached (a settled one: days late when settled; an open one: on the take-over day). The
bank's schedule is the contract, so the ledger runs on it (its rounding and due dates, which
the report compares with what the platform would have computed from the terms); each
repayment gets its value date and allocation, and each loan its delinquency snapshot and
bucket history, in one transaction per chunk of loans.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.engine import Connection

from zhudai.exceptions import InvalidInputError
from zhudai.loans.book import (
    REPAYMENT,
    allocation_json,
    project,
    settled_on,
    stored_schedule,
    terms_of,
)
from zhudai.loans.ledger import Component, Ledger, Line
from zhudai.money import ZERO, money
from zhudai.store.db import get_engine
from zhudai.store.models import Installment, Loan, Repayment

_LOANS: Table = Loan.__table__  # type: ignore[assignment]
_LINES: Table = Installment.__table__  # type: ignore[assignment]
_PAYMENTS: Table = Repayment.__table__  # type: ignore[assignment]

#: Loans recomputed per transaction.
CHUNK = 500
#: Difference columns of the reconciliation CSV.
FIELDS = ("loan_id", "period", "field", "bank", "platform")


@dataclass
class Reconciliation:
    """What the take-over found: loans and repayments taken, and each difference."""

    as_of: date
    loans: int = 0
    repayments: int = 0
    differences: list[dict[str, Any]] = field(default_factory=list)

    def by_field(self) -> dict[str, tuple[int, int]]:
        """Per field: (differences, loans with one)."""
        count = Counter(d["field"] for d in self.differences)
        loans = {f: len({d["loan_id"] for d in self.differences if d["field"] == f}) for f in count}
        return {f: (count[f], loans[f]) for f in sorted(count)}

    def write_csv(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(self.differences)
        return path


def onboard(as_of: date, url: str | None = None) -> Reconciliation:
    """Recompute every loan not yet in the platform's book (no snapshot yet) as of the
    take-over day ``as_of``; returns the reconciliation."""
    engine = get_engine(url)
    report = Reconciliation(as_of)
    with engine.connect() as conn:
        pending = list(conn.scalars(select(_LOANS.c.id).where(_LOANS.c.as_of.is_(None))))
    for start in range(0, len(pending), CHUNK):
        with engine.begin() as conn:
            for loan_id in pending[start : start + CHUNK]:
                _take_over(conn, loan_id, as_of, report)
    return report


def _take_over(conn: Connection, loan_id: int, as_of: date, report: Reconciliation) -> None:
    loan = conn.execute(select(_LOANS).where(_LOANS.c.id == loan_id)).one()
    terms = terms_of(loan)
    contract = stored_schedule(conn, loan)
    ours = Ledger(terms).schedule
    _differ(
        report,
        loan_id,
        0,
        [
            ("installments", len(contract), len(ours)),
            ("scheduled_principal", sum((r.principal for r in contract), ZERO), terms.principal),
        ],
    )
    for row, theirs in zip(ours, contract, strict=False):
        _differ(
            report,
            loan_id,
            row.period,
            [
                ("due_date", theirs.due_date, row.due_date),
                ("principal_due", theirs.principal, row.principal),
                ("interest_due", theirs.interest, row.interest),
            ],
        )
    ledger = Ledger(terms, contract)
    bank = {
        r.installment_no: r
        for r in conn.execute(
            select(_LINES.c.installment_no, _LINES.c.paid_amount, _LINES.c.dpd).where(
                _LINES.c.loan_id == loan_id
            )
        ).all()
    }
    payments = conn.execute(
        select(_PAYMENTS.c.id, _PAYMENTS.c.idempotency_key, _PAYMENTS.c.paid_at, _PAYMENTS.c.amount)
        .where(_PAYMENTS.c.loan_id == loan_id, _PAYMENTS.c.kind == REPAYMENT)
        .order_by(_PAYMENTS.c.paid_at, _PAYMENTS.c.id)
    ).all()
    values = []
    for p in payments:
        try:
            allocation = ledger.post(p.idempotency_key, p.paid_at.date(), Decimal(p.amount))
        except InvalidInputError as exc:  # e.g. paid before the loan started: reported, kept
            _differ(report, loan_id, 0, [("repayment", p.idempotency_key, f"refused: {exc}")])
            continue
        values.append(
            {"pid": p.id, "day": p.paid_at.date(), "allocation": allocation_json(allocation)}
        )
    if values:
        conn.execute(
            update(_PAYMENTS)
            .where(_PAYMENTS.c.id == bindparam("pid"))
            .values(value_date=bindparam("day"), allocation=bindparam("allocation")),
            values,
        )
    report.repayments += len(values)
    project(conn, loan, ledger, as_of, since=ledger.terms.start)
    state = ledger.state_at(as_of)
    settled = settled_on(ledger)
    for line in state.lines:
        filed = bank.get(line.period)
        if filed is None:
            continue
        paid = sum((line.paid[c] for c in Component), ZERO)
        _differ(
            report,
            loan_id,
            line.period,
            [
                ("paid_amount", money(filed.paid_amount or 0), paid),
                ("dpd", filed.dpd, reached_dpd(line, settled.get(line.period), as_of)),
            ],
        )
    report.loans += 1


def _differ(
    report: Reconciliation, loan_id: int, period: int, pairs: list[tuple[str, Any, Any]]
) -> None:
    for name, bank, ours in pairs:
        if bank != ours:
            report.differences.append(
                {
                    "loan_id": loan_id,
                    "period": period,
                    "field": name,
                    "bank": bank,
                    "platform": ours,
                }
            )


def reached_dpd(line: Line, settled: date | None, as_of: date) -> int:
    """Days past due an installment reached: late days when settled, else on ``as_of``."""
    if settled is not None:
        return max((settled - line.due_date).days, 0)
    if line.contractual_unpaid > 0:
        return max((as_of - line.due_date).days, 0)
    return 0
