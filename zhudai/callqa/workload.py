"""Reviewer workload: how many reviewers cover every call with the inspection, against
reviewing every call by hand, from the measured flag and miss rates.

Figures from the trade (``shared/domain.md``): a reviewer manages about 50 calls a day at 8+
minutes each; a call the AI pre-scored takes 3-5 minutes; manual inspection samples 2-5%.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict

#: Minutes a reviewer spends on a call heard in full, without a pre-score.
FULL_REVIEW_MINUTES = 8.0
#: Minutes on a call the inspection flagged (evidence spans shown): the middle of 3-5.
FLAGGED_REVIEW_MINUTES = 4.0
#: A reviewer's day: 50 calls heard in full.
REVIEWER_MINUTES_PER_DAY = 50 * FULL_REVIEW_MINUTES
#: Share of the unflagged calls drawn at random for an audit (heard in full).
AUDIT_SHARE = 0.05
#: Reviewers of a call volume that full manual review needs: the claim's 50.
CLAIM_FULL_REVIEWERS = 50


class Workload(BaseModel):
    """Reviewer-minutes and reviewers, by hand and with the inspection, for ``calls`` calls."""

    model_config = ConfigDict(frozen=True)

    calls: int
    flagged: int
    audited: float
    full_minutes: float
    inspected_minutes: float
    reviewers_full_per_day: float
    reviewers_inspected_per_day: float
    reviewers_per_claim_50: int
    cut: float
    catch_rate: float


def workload(calls: int, flagged: int, violations: int, caught: int, days: float) -> Workload:
    """The workload of ``calls`` calls over ``days`` days, of which ``flagged`` were flagged
    and ``caught`` of the ``violations`` calls with a violation were among them. The audit of
    the unflagged calls finds its share of the missed ones, so the catch rate is
    ``(caught + AUDIT_SHARE x missed) / violations``; full manual review is taken to catch all.

    Examples
    --------
    >>> w = workload(calls=1000, flagged=120, violations=100, caught=98, days=10)
    >>> w.full_minutes, w.inspected_minutes, round(w.cut, 3), round(w.catch_rate, 4)
    (8000.0, 832.0, 0.896, 0.981)
    """
    audited = AUDIT_SHARE * (calls - flagged)
    full = calls * FULL_REVIEW_MINUTES
    inspected = flagged * FLAGGED_REVIEW_MINUTES + audited * FULL_REVIEW_MINUTES
    per_day = REVIEWER_MINUTES_PER_DAY * max(days, 1e-9)
    missed = violations - caught
    return Workload(
        calls=calls,
        flagged=flagged,
        audited=round(audited, 1),
        full_minutes=full,
        inspected_minutes=inspected,
        reviewers_full_per_day=round(full / per_day, 2),
        reviewers_inspected_per_day=round(inspected / per_day, 2),
        reviewers_per_claim_50=math.ceil(CLAIM_FULL_REVIEWERS * inspected / full) if full else 0,
        cut=1 - inspected / full if full else 0.0,
        catch_rate=(caught + AUDIT_SHARE * missed) / violations if violations else 1.0,
    )
