"""How the world's borrowers respond to a reminder before or on the due date (电动提醒).

A first installment paid late is late for one of two reasons: the borrower forgot or was
short for a few days (a *minor* lateness: paid within 30 days), or could not pay (*serious*:
30 days or more, or never). A reminder can only help the first kind: it turns a minor
lateness into an on-time payment with a probability that grows with how intrusive and how
timely it is; several reminders combine as independent chances. Serious defaults do not
respond. The same installment and plan always get the same answer.
"""

from __future__ import annotations

import numpy as np

#: P(a minor lateness is paid on time instead) for one reminder, by (kind, days before due).
CURE: dict[tuple[str, int], float] = {
    ("sms", 3): 0.12,
    ("sms", 1): 0.22,
    ("sms", 0): 0.18,
    ("auto_call", 3): 0.2,
    ("auto_call", 1): 0.35,
    ("auto_call", 0): 0.3,
}
#: Days past due from which a lateness is serious (it does not respond to a reminder).
SERIOUS_DPD = 30


def cure_probability(plan: dict[int, str]) -> float:
    """The chance that the reminders of ``plan`` ({days before due: kind}) turn a minor
    lateness into an on-time payment."""
    miss = 1.0
    for days, kind in plan.items():
        miss *= 1.0 - CURE.get((kind, days), 0.0)
    return 1.0 - miss


def paid_late_days(
    days_late: np.ndarray, plans: list[dict[int, str]], keys: np.ndarray, seed: int = 0
) -> np.ndarray:
    """Days late of each installment had its ``plans`` been sent: ``days_late`` as it was
    without reminders (negative: paid early; never paid counts as serious, e.g. a large
    number), 0 where a reminder cured a minor lateness.
    ``keys`` (e.g. loan ids) fix each installment's draw."""
    out = days_late.copy()
    minor = (days_late > 0) & (days_late < SERIOUS_DPD)
    draws = np.array([np.random.default_rng([seed, int(k), 7301]).random() for k in keys])
    p = np.array([cure_probability(plan) for plan in plans])
    out[minor & (draws < p)] = 0
    return out
