"""Collection of overdue installments: which action is taken, and how the debtor responds.

Each overdue episode (an installment that was not paid on its due date) is worked at fixed
days past due. The action type is drawn from the historical allocation policy (with enough
randomness that its effect can be measured), and the outcome responds to it: a human call
reaches and persuades more debtors than an SMS, an agency does better on old debt. An episode
ends when the debtor pays; minor episodes always end before 30 days, serious ones may never.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhudai.times import US_PER_DAY, US_PER_HOUR

ACTION_TYPES = ("sms", "auto_call", "human_call", "agency")
_CONTACT = np.array([0.35, 0.45, 0.65, 0.6])
_PROMISE = np.array([0.2, 0.3, 0.55, 0.5])
_PAY_IF_PROMISED = np.array([0.55, 0.6, 0.75, 0.75])
_PAY_IF_CONTACTED = np.array([0.1, 0.1, 0.15, 0.2])
_PAY_OTHERWISE = 0.04
SLOTS = np.array([1, 3, 5, 8, 12, 16, 21, 26, 32, 40, 50, 62, 75, 90, 110, 135, 165])


def _policy(dpd: int) -> np.ndarray:
    """Probabilities of each action type at ``dpd`` (the historical allocation, 分案)."""
    if dpd < 5:
        return np.array([0.6, 0.4, 0.0, 0.0])
    if dpd < 16:
        return np.array([0.1, 0.4, 0.5, 0.0])
    if dpd < 30:
        return np.array([0.0, 0.2, 0.8, 0.0])
    if dpd < 60:
        return np.array([0.0, 0.1, 0.55, 0.35])
    return np.array([0.0, 0.05, 0.35, 0.6])


def respond(
    rng: np.random.Generator,
    kind: np.ndarray,
    dpd: int | np.ndarray,
    reach: np.ndarray,
    ability: np.ndarray,
    serious: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How debtors respond to one action each (``kind``: index into ``ACTION_TYPES``) at
    ``dpd`` days past due: contacted, promised, and paid. Serious episodes never pay before
    30 days; from 30 days the payment probability scales with the debtor's ability."""
    n = len(kind)
    contacted = rng.random(n) < _CONTACT[kind] * reach
    promise = contacted & (rng.random(n) < _PROMISE[kind])
    pay_p = np.where(
        promise,
        _PAY_IF_PROMISED[kind],
        np.where(contacted, _PAY_IF_CONTACTED[kind], _PAY_OTHERWISE),
    )
    pay_p = np.where(np.asarray(dpd) >= 30, pay_p * ability, pay_p)
    pays = rng.random(n) < pay_p
    pays &= ~(serious & (np.asarray(dpd) < 30))  # serious episodes are the ones not cured by 30
    return contacted, promise, pays


def next_slot(dpd: int) -> int:
    """The days past due of the slot after ``dpd`` (30 days on after the last one)."""
    later = SLOTS[dpd < SLOTS]
    return int(later[0]) if len(later) else int(dpd) + 30


def self_cures(serious: np.ndarray, next_dpd: int) -> np.ndarray:
    """A minor episode still unpaid at its last slot before 30 days past due pays anyway."""
    return ~serious & (next_dpd >= 30)


@dataclass
class Episodes:
    """Overdue episodes to work: due day, whether it is serious, and the debtor's response."""

    loan: np.ndarray
    due_day: np.ndarray
    serious: np.ndarray
    reach: np.ndarray  # multiplies the contact probability
    ability: np.ndarray  # multiplies the payment probability once 30+ dpd (serious only)


@dataclass
class Worked:
    """Result: each episode's cure dpd (-1 if never paid) and the actions taken."""

    cure_dpd: np.ndarray
    action_episode: np.ndarray
    action_ts: np.ndarray
    action_type: np.ndarray
    action_dpd: np.ndarray
    contacted: np.ndarray
    promise: np.ndarray


def work_episodes(rng: np.random.Generator, ep: Episodes, obs_us: int) -> Worked:
    """Run every episode through the collection slots, stopping at payment or the observation date."""
    m = len(ep.loan)
    cure = np.full(m, -1, np.int64)
    open_ = np.ones(m, bool)
    out: dict[str, list[np.ndarray]] = {
        k: [] for k in ("e", "ts", "type", "dpd", "contacted", "promise")
    }
    for dpd in SLOTS:
        hour = np.clip(rng.normal(14.0, 3.0, m), 8.0, 21.5)
        ts = (ep.due_day + dpd) * US_PER_DAY + (hour * US_PER_HOUR).astype(np.int64)
        active = np.flatnonzero(open_ & (ts < obs_us))
        if len(active) == 0:
            continue
        kind = rng.choice(4, len(active), p=_policy(int(dpd)))
        contacted, promise, pays = respond(
            rng, kind, dpd, ep.reach[active], ep.ability[active], ep.serious[active]
        )
        next_dpd = next_slot(dpd)
        cure_dpd = np.minimum(dpd + rng.integers(0, 7, len(active)), next_dpd - 1)
        minor_last = self_cures(ep.serious[active], next_dpd) & ~pays
        cure_dpd = np.where(minor_last, rng.integers(min(dpd + 1, 29), 30, len(active)), cure_dpd)
        cure_dpd = np.where(ep.serious[active], cure_dpd, np.minimum(cure_dpd, 29))
        paid = pays | minor_last
        cure[active[paid]] = cure_dpd[paid]
        open_[active[paid]] = False
        for key, val in (
            ("e", active),
            ("ts", ts[active]),
            ("type", kind),
            ("dpd", np.full(len(active), dpd)),
            ("contacted", contacted),
            ("promise", promise),
        ):
            out[key].append(val)
    cat = {k: np.concatenate(v) if v else np.empty(0) for k, v in out.items()}
    return Worked(
        cure_dpd=cure,
        action_episode=cat["e"].astype(np.int64),
        action_ts=cat["ts"].astype(np.int64),
        action_type=cat["type"].astype(np.int64),
        action_dpd=cat["dpd"].astype(np.int64),
        contacted=cat["contacted"].astype(bool),
        promise=cat["promise"].astype(bool),
    )
