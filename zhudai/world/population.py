"""The people of the world: roles, latent traits, demographics, households, rings.

Latent traits are drawn first and everything observable is derived from them, so a trait is
the common cause of what later shows in spending, bureau data and repayment:

- ``income_z`` (income level) and ``stability`` set income, occupation mix and price bands;
- ``over`` (over-indebtedness) drives multi-lending, cash withdrawals and small-amount bursts;
- ``impulsivity`` drives night-time and virtual-goods spending and late payments;
- ``fraud_intent`` is near zero for legitimate people and high for fraud roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from zhudai.times import US_PER_DAY, US_PER_MINUTE, day_micros
from zhudai.world.catalog import CHANNEL_SHARE, CHANNELS, CITIES, OCCUPATION_SHARE, OCCUPATIONS
from zhudai.world.params import WorldParams
from zhudai.world.sampling import categorical
from zhudai.world.timeutil import add_months_us


class Role(IntEnum):
    """Who a customer really is (ground truth)."""

    LEGIT = 0
    RING = 1
    PROBING = 2
    IDENTITY_THEFT = 3


FRAUD_TYPE_NAMES = ("none", "ring", "probing", "identity_theft")
SHELL_EMPLOYER_SHARE = 0.7  # ring members who declare their ring's shell company


@dataclass
class Population:
    """Column arrays, one row per customer (index ``i`` is ``customer_id - 1``)."""

    role: np.ndarray
    ring_id: np.ndarray  # -1 when not in a ring
    probe_op: np.ndarray  # probing operation, -1 when none
    household: np.ndarray
    income_z: np.ndarray
    income: np.ndarray
    stability: np.ndarray
    over: np.ndarray
    impulsivity: np.ndarray
    fraud_intent: np.ndarray
    age: np.ndarray
    male: np.ndarray
    city: np.ndarray
    hukou_city: np.ndarray
    occupation: np.ndarray
    income_declared: np.ndarray
    employer_id: np.ndarray  # -1 when none
    address_id: np.ndarray
    channel: np.ndarray
    applied_at: np.ndarray  # first application, int64 microseconds
    n_rings: int
    n_probe_ops: int

    @property
    def n(self) -> int:
        return len(self.role)


def _groups(rng: np.random.Generator, members: np.ndarray, mean: float, low: int) -> np.ndarray:
    """Split ``members`` into consecutive groups of size ``low + Poisson(mean - low)``.

    Returns the group number of each member (a last short group is merged into the previous).
    """
    if len(members) == 0:
        return np.empty(0, np.int64)
    sizes = low + rng.poisson(max(mean - low, 0.0), len(members) // low + 1)
    bounds = np.cumsum(sizes)
    group = np.searchsorted(bounds, np.arange(len(members)), side="right")
    n_groups = int(group.max()) + 1
    if n_groups > 1 and (group == n_groups - 1).sum() < low:
        group[group == n_groups - 1] = n_groups - 2
    return group


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def build_population(rng: np.random.Generator, n: int, params: WorldParams) -> Population:
    """Draw ``n`` customers with their roles, traits, demographics and first application time."""
    n_ring = int(round(n * params.ring_share))
    n_probe = int(round(n * params.probing_share))
    n_theft = int(round(n * params.identity_theft_share))
    if n_ring and n_ring < 3:
        n_ring = 0
    n_legit = n - n_ring - n_probe - n_theft
    role = np.repeat(
        np.array([Role.LEGIT, Role.RING, Role.PROBING, Role.IDENTITY_THEFT], np.int8),
        [n_legit, n_ring, n_probe, n_theft],
    )
    role = rng.permutation(role)

    ring_id = np.full(n, -1, np.int64)
    ring_members = np.flatnonzero(role == Role.RING)
    ring_id[ring_members] = _groups(rng, ring_members, params.ring_size_mean, 3)
    n_rings = int(ring_id.max()) + 1 if len(ring_members) else 0

    probe_op = np.full(n, -1, np.int64)
    probed = np.flatnonzero(role == Role.PROBING)
    probe_op[probed] = _groups(rng, probed, params.probing_ids_per_device, 2)
    n_ops = int(probe_op.max()) + 1 if len(probed) else 0

    legit = np.flatnonzero(role == Role.LEGIT)
    household = np.arange(n, dtype=np.int64)  # everyone alone by default
    in_household = rng.permutation(legit)[: int(len(legit) * params.household_share)]
    shared = _groups(rng, in_household, 2.6, 2)
    household[in_household] = n + shared
    is_fraud = role != Role.LEGIT

    # --- latent traits ------------------------------------------------------------------------
    occ_p = np.where(
        is_fraud[:, None], _fraud_occupation_share()[None, :], OCCUPATION_SHARE[None, :]
    )
    occupation = categorical(rng, occ_p)
    occ_income = np.array([o[1] for o in OCCUPATIONS])[occupation]
    occ_stab = np.array([o[2] for o in OCCUPATIONS])[occupation]
    city_w = np.array([c[6] for c in CITIES])
    city = rng.choice(len(CITIES), n, p=city_w / city_w.sum())
    # Household members live together; a ring recruits in one city.
    city = city[_first_of_group(household)]
    in_ring = ring_id >= 0
    city[in_ring] = city[_first_of_group(np.where(in_ring, n + ring_id, np.arange(n)))][in_ring]
    age = np.clip(np.round(18 + rng.gamma(3.0, 4.5, n)), 18, 65).astype(np.int64)
    student = occupation == [o[0] for o in OCCUPATIONS].index("student")
    age = np.where(student, rng.integers(18, 24, n), age)  # students are young
    impulsivity = rng.normal(0, 1, n) - 0.025 * (age - 32) + 0.6 * is_fraud
    income_z = (
        occ_income
        + np.array([c[5] for c in CITIES])[city]
        + 0.012 * np.clip(age - 22, 0, 25)
        + rng.normal(0, 0.6, n)
        - 0.4 * is_fraud
    )
    stability = _sigmoid(0.6 * occ_stab + 0.3 * income_z + rng.normal(0, 0.8, n) - 0.8 * is_fraud)
    over = 0.35 * impulsivity - 0.35 * income_z + rng.normal(0, 0.85, n) + 0.4 * is_fraud
    income = np.round(np.exp(8.55 + 0.55 * income_z), -1)
    fraud_intent = np.where(is_fraud, rng.beta(8, 2, n), rng.beta(1, 40, n))
    male = rng.random(n) < np.where(is_fraud, 0.75, 0.55)
    hukou_city = np.where(rng.random(n) < 0.7, city, rng.integers(0, len(CITIES), n))
    overstate = np.exp(np.abs(rng.normal(0, 0.15 + 0.3 * fraud_intent, n)))
    income_declared = np.round(income * overstate, -2)

    employer_id = _relabel(rng, _employers(rng, n, occupation, ring_id, n_rings))
    address_id = _relabel(rng, _addresses(rng, household, ring_id, n_rings))
    channel = _channels(rng, role, over, impulsivity)
    applied_at = _first_application_times(rng, params, role, ring_id, probe_op, n_rings, n_ops)
    return Population(
        role=role,
        ring_id=ring_id,
        probe_op=probe_op,
        household=household,
        income_z=income_z,
        income=income,
        stability=stability,
        over=over,
        impulsivity=impulsivity,
        fraud_intent=fraud_intent,
        age=age,
        male=male,
        city=city,
        hukou_city=hukou_city,
        occupation=occupation,
        income_declared=income_declared,
        employer_id=employer_id,
        address_id=address_id,
        channel=channel,
        applied_at=applied_at,
        n_rings=n_rings,
        n_probe_ops=n_ops,
    )


def _fraud_occupation_share() -> np.ndarray:
    names = [o[0] for o in OCCUPATIONS]
    boost = np.array(
        [
            2.5 if n in ("freelancer", "self_employed", "sales", "delivery_rider") else 1.0
            for n in names
        ]
    )
    p = OCCUPATION_SHARE * boost
    return p / p.sum()


def _first_of_group(group: np.ndarray) -> np.ndarray:
    """Index of the first member of each row's group."""
    _, first, inverse = np.unique(group, return_index=True, return_inverse=True)
    return first[inverse]


def _relabel(rng: np.random.Generator, ids: np.ndarray) -> np.ndarray:
    """Shuffle id labels (1..K, -1 kept), so an id's size or order reveals nothing about roles."""
    known = ids >= 0
    values, inverse = np.unique(ids[known], return_inverse=True)
    out = np.full(len(ids), -1, np.int64)
    out[known] = rng.permutation(len(values))[inverse] + 1
    return out


def _employers(
    rng: np.random.Generator, n: int, occupation: np.ndarray, ring_id: np.ndarray, n_rings: int
) -> np.ndarray:
    """Real employers (a few large, many small) for employees; rings mostly share a shell company."""
    names = [o[0] for o in OCCUPATIONS]
    no_employer = np.isin(
        occupation, [names.index(x) for x in ("self_employed", "freelancer", "student")]
    )
    n_firms = max(10, n // 25)
    # Skewed firm sizes: the largest firm holds about n_firms ** (-1 / 1.8) of employees.
    firm = (n_firms * rng.random(n) ** 1.8).astype(np.int64)
    firm = rng.permutation(n_firms)[firm] + 1
    employer = np.where(no_employer, -1, firm)
    in_ring = ring_id >= 0
    shell = n_firms + 1 + ring_id
    return (
        np.where(in_ring & (rng.random(n) < SHELL_EMPLOYER_SHARE), shell, employer).astype(np.int64)
        if n_rings
        else employer
    )


def _addresses(
    rng: np.random.Generator, household: np.ndarray, ring_id: np.ndarray, n_rings: int
) -> np.ndarray:
    """One address per household; ring members share one or two addresses of their ring."""
    _, address = np.unique(household, return_inverse=True)
    address = address.astype(np.int64) + 1
    if n_rings:
        ring_addr = address.max() + 1 + 2 * ring_id + (rng.random(len(ring_id)) < 0.3)
        address = np.where((ring_id >= 0) & (rng.random(len(ring_id)) < 0.8), ring_addr, address)
    return address


def _channels(
    rng: np.random.Generator, role: np.ndarray, over: np.ndarray, impulsivity: np.ndarray
) -> np.ndarray:
    """Acquisition channel: risky people and fraud are pulled towards risky channels."""
    shift = np.array([c[3] for c in CHANNELS])
    pull = np.log(np.array([c[4] for c in CHANNELS]))
    logits = (
        np.log(CHANNEL_SHARE)[None, :] + (0.3 * over + 0.15 * impulsivity)[:, None] * shift[None, :]
    )
    logits = np.where(
        (role != Role.LEGIT)[:, None], np.log(CHANNEL_SHARE)[None, :] + pull[None, :], logits
    )
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return categorical(rng, p)


def _first_application_times(
    rng: np.random.Generator,
    params: WorldParams,
    role: np.ndarray,
    ring_id: np.ndarray,
    probe_op: np.ndarray,
    n_rings: int,
    n_ops: int,
) -> np.ndarray:
    """Legitimate people arrive uniformly; a ring applies within days; probing in a session."""
    start = day_micros(params.start)
    end = add_months_us(params.start, params.application_months)
    span = end - start
    t = start + (rng.random(len(role)) * span).astype(np.int64)
    daytime = _daytime_offset(rng, len(role))
    t = t - t % US_PER_DAY + daytime
    if n_rings:
        ring_start = start + (rng.random(n_rings) * (span - 30 * US_PER_DAY)).astype(np.int64)
        members = ring_id >= 0
        spread = (rng.exponential(4.0, members.sum()) * US_PER_DAY).astype(np.int64)
        t[members] = ring_start[ring_id[members]] + spread
    if n_ops:
        op_start = start + (rng.random(n_ops) * (span - 5 * US_PER_DAY)).astype(np.int64)
        probed = np.flatnonzero(probe_op >= 0)
        order = probed[np.argsort(probe_op[probed], kind="stable")]
        gaps = (rng.exponential(8.0, len(order)) * US_PER_MINUTE).astype(np.int64)
        ops = probe_op[order]
        within = np.cumsum(gaps) - _group_cumsum_start(np.cumsum(gaps), ops)
        t[order] = op_start[ops] + within
    t = np.clip(t, start, end - 1)
    return t - t % 1_000_000  # whole seconds


def _group_cumsum_start(cum: np.ndarray, group: np.ndarray) -> np.ndarray:
    """For a cumulative sum over rows sorted by ``group``, the value before each group starts."""
    first = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
    base = np.r_[0, cum][first]
    return np.repeat(base, np.diff(np.r_[first, len(group)]))


def _daytime_offset(rng: np.random.Generator, n: int) -> np.ndarray:
    """Time of day of a legitimate action: mostly 8-23h, peaking in the evening."""
    hour = np.clip(rng.normal(15.5, 4.0, n), 0, 23.99)
    return (hour * 3_600_000_000).astype(np.int64)
