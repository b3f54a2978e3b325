"""The daily allocation (分案) of the live cases: each scored with the C-card on the book's
snapshot of the day and put in a queue by the strategy, within the queues' capacities.

Runs after ``process_cases(day)``; a case keeps its C-score (points) and queue on its row
(``collection_cases.c_score``, ``assigned_to``), where collectors' and agencies' views read it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from zhudai.collections.allocation import (
    AllocationConfig,
    Assignment,
    CaseToAllocate,
    allocate,
    load_allocation,
)
from zhudai.collections.case_book import CaseBook
from zhudai.collections.ccard import installed_ccard, live_points, read_contacts, score_points
from zhudai.loans.bcard import read_behaviour


@dataclass(frozen=True)
class AllocationReport:
    """One day's allocation: cases per treatment and per queue, overflows, cases unscored."""

    day: date
    strategy: str
    cases: int
    treatments: dict[str, int]
    queues: dict[str, int]
    overflowed: int
    unscored: int


def process_allocation(
    day: date,
    url: str | None = None,
    *,
    strategy: str = "ccard",
    config: AllocationConfig | None = None,
    model_dir: str | Path | None = None,
) -> AllocationReport:
    """Score and allocate every live case on ``day``'s snapshot (see the module docstring);
    a case whose loan the C-card cannot see past due is allocated unscored."""
    config = config or load_allocation()
    config.strategy(strategy)  # an unknown strategy fails before any work
    book = CaseBook(url)
    live = book.live_cases()
    scored = score_points(
        installed_ccard(model_dir), live_points(read_behaviour(url), read_contacts(url), day)
    )
    by_loan = {r["loan_id"]: r for r in scored.select(
        "loan_id", "cscore", "p_repay", "amount_overdue").iter_rows(named=True)}  # fmt: skip
    todo = [
        CaseToAllocate(
            c.case_id,
            c.bucket,
            by_loan[c.loan_id]["p_repay"] if c.loan_id in by_loan else None,
            by_loan[c.loan_id]["amount_overdue"] if c.loan_id in by_loan else 0.0,
        )
        for c in live
    ]
    assignments = allocate(todo, config, strategy)
    book.record_scores({loan: row["cscore"] for loan, row in by_loan.items()})
    book.assign({a.case_id: a.queue for a in assignments})
    return _report(day, strategy, assignments, sum(c.p_repay is None for c in todo))


def _report(
    day: date, strategy: str, assignments: list[Assignment], unscored: int
) -> AllocationReport:
    return AllocationReport(
        day,
        strategy,
        len(assignments),
        dict(sorted(Counter(a.treatment for a in assignments).items())),
        dict(sorted(Counter(a.queue for a in assignments).items())),
        sum(a.wanted != a.treatment for a in assignments),
        unscored,
    )


__all__ = ["AllocationReport", "process_allocation"]
