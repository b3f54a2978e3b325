"""The daily close: every active loan's days past due, bucket and five-level class on a day,
computed over columns, with the buckets each loan entered written to the transition history.

A loan's DPD on a day depends only on the due date of its oldest installment with principal,
interest or fee unpaid (``loans.oldest_unpaid_due``, kept by every posting) and its grace days,
so the close reads five columns, computes in NumPy and writes back only the loans whose DPD
moved (and, in one statement, every unsettled installment's own DPD), in one transaction. It applies the ledger's DPD rule (past due only beyond the grace
days, then counted from the due date): a test compares the two loan by loan and day by day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from sqlalchemy import (
    Date,
    Integer,
    Table,
    Update,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    update,
)

from zhudai.loans.delinquency import BUCKET_BOUNDS, BUCKETS, buckets_of, classifications_of
from zhudai.loans.ledger import LoanStatus
from zhudai.store.db import get_engine
from zhudai.store.models import Installment, Loan, LoanBucketChange

_LOANS: Table = Loan.__table__  # type: ignore[assignment]
_CHANGES: Table = LoanBucketChange.__table__  # type: ignore[assignment]
_INSTALLMENTS: Table = Installment.__table__  # type: ignore[assignment]

# A loan whose snapshot is newer than the day (a posting or a close after it) is not taken
# back in time: the close only moves loans forward.
_READ = select(
    _LOANS.c.id, _LOANS.c.oldest_unpaid_due, _LOANS.c.grace_days, _LOANS.c.dpd, _LOANS.c.bucket
).where(
    _LOANS.c.status == LoanStatus.ACTIVE,
    or_(_LOANS.c.as_of.is_(None), _LOANS.c.as_of <= bindparam("day")),
)
_WRITE = (
    update(_LOANS)
    .where(_LOANS.c.id == bindparam("loan_id"))
    .values(
        dpd=bindparam("new_dpd"),
        bucket=bindparam("new_bucket"),
        classification=bindparam("cls"),
        as_of=bindparam("day"),
    )
)


@dataclass(frozen=True)
class CloseReport:
    """What one close did: loans seen, loans whose DPD or bucket moved, and the book by
    bucket after it (count of loans)."""

    day: date
    loans: int
    dpd_changed: int
    bucket_changed: int
    by_bucket: dict[str, int] = field(default_factory=dict)


def close_day(day: date, url: str | None = None) -> CloseReport:
    """Run the close for ``day`` (idempotent: closing the same day twice changes nothing)."""
    engine = get_engine(url)
    with engine.begin() as conn:
        rows = conn.execute(_READ, {"day": day}).all()
        if not rows:
            return CloseReport(day, 0, 0, 0, dict.fromkeys(BUCKETS, 0))
        ids, oldest, grace, old_dpd, old_bucket = zip(*rows, strict=True)
        ordinal = day.toordinal()
        due = np.fromiter(
            (ordinal if d is None else d.toordinal() for d in oldest), np.int64, len(rows)
        )
        days = ordinal - due
        dpd = np.where(days > np.asarray(grace, dtype=np.int64), days, 0)
        buckets = buckets_of(dpd)
        moved = np.flatnonzero(dpd != np.asarray(old_dpd, dtype=np.int64))
        classes = classifications_of(dpd)
        if len(moved):
            conn.execute(
                _WRITE,
                [
                    {
                        "loan_id": ids[i],
                        "new_dpd": int(dpd[i]),
                        "new_bucket": buckets[i],
                        "cls": classes[i],
                        "day": day,
                    }
                    for i in moved.tolist()
                ],
            )
        old = np.array(old_bucket, dtype=object)
        switched = moved[buckets[moved] != old[moved]]
        changes = [
            {"loan_id": ids[i], "day": entered, "dpd": at, "bucket": bucket}
            for i in switched.tolist()
            for entered, at, bucket in _entries(
                oldest[i], grace[i], BUCKETS.index(old[i]), BUCKETS.index(buckets[i])
            )
        ]
        if changes:
            conn.execute(insert(_CHANGES), changes)
        conn.execute(_installment_dpd(conn.dialect.name), {"day": day})
    counts = Counter(buckets.tolist())
    return CloseReport(
        day,
        len(rows),
        len(moved),
        len(switched),
        {b: counts.get(b, 0) for b in BUCKETS},
    )


def _installment_dpd(dialect: str) -> Update:
    """One statement: each unsettled installment past its due date, of the active loans the
    close covers, gets its days past due on ``:day`` (the installment's own, grace not
    applied, as the posting's projection writes it)."""
    day = bindparam("day", type_=Date)
    since = (
        cast(func.julianday(day) - func.julianday(_INSTALLMENTS.c.due_date), Integer)
        if dialect == "sqlite"
        else cast(day - _INSTALLMENTS.c.due_date, Integer)
    )
    return (
        update(_INSTALLMENTS)
        .where(
            _INSTALLMENTS.c.paid_date.is_(None),
            _INSTALLMENTS.c.due_date < day,
            _INSTALLMENTS.c.loan_id.in_(
                select(_LOANS.c.id).where(
                    _LOANS.c.status == LoanStatus.ACTIVE,
                    or_(_LOANS.c.as_of.is_(None), _LOANS.c.as_of <= day),
                )
            ),
        )
        .values(dpd=since)
    )


#: The least DPD of each bucket (M0 is 0).
_LOWEST = (0, 1, *(bound + 1 for bound in BUCKET_BOUNDS))


def _entries(due: date, grace: int, was: int, now: int) -> list[tuple[date, int, str]]:
    """(day, DPD, bucket) for each bucket a loan entered after bucket ``was``, up to ``now``.

    Between postings a loan's oldest unpaid due date is fixed, so its DPD grows by one a day
    and the day it entered bucket ``b`` is exact even when closes were skipped: the due date
    plus the bucket's least DPD (or the first day past grace, if later)."""
    out = []
    for b in range(was + 1, now + 1):
        first = max(_LOWEST[b], grace + 1)
        out.append((due + timedelta(days=first), first, BUCKETS[b]))
    return out
