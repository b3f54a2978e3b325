"""Contacts: who lists whom, and where legitimate and fraudulent sharing comes from.

Phones are referenced by index into one phone space that the generator fills with distinct
numbers: ``[0, n)`` are the customers' own phones; :class:`PhoneSpace` lays out the rest.
Legitimate links: household members list each other (family), some list a colleague, and a
few popular non-customer numbers are listed by many people. Fraud links: ring members list
each other and their ring's organiser phones; probing identities share a small contact list
per operation (the black market reuses it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhudai.world.params import WorldParams
from zhudai.world.population import Population, Role
from zhudai.world.sampling import sort_order

RELATIONS = ("family", "friend", "colleague", "other")
_ORGANISERS_PER_RING = 2
_POOL_PER_OP = 5


@dataclass
class PhoneSpace:
    """Offsets of each kind of phone in the shared phone index space."""

    n_customers: int
    n_app_extra: int
    n_rings: int
    n_ops: int
    n_popular: int

    @property
    def organisers(self) -> int:
        return self.n_customers + self.n_app_extra

    @property
    def probe_pool(self) -> int:
        return self.organisers + _ORGANISERS_PER_RING * self.n_rings

    @property
    def popular(self) -> int:
        return self.probe_pool + _POOL_PER_OP * self.n_ops

    @property
    def random(self) -> int:
        """First index of one-off random contact numbers."""
        return self.popular + self.n_popular


@dataclass
class Contacts:
    """Contact rows: owner customer index, phone index, relation index."""

    owner: np.ndarray
    phone: np.ndarray
    relation: np.ndarray
    n_random: int


def build_contacts(
    rng: np.random.Generator, pop: Population, params: WorldParams, space: PhoneSpace
) -> Contacts:
    """Every customer's contact list."""
    n = pop.n
    owners: list[np.ndarray] = []
    phones: list[np.ndarray] = []
    relations: list[np.ndarray] = []

    def add(o: np.ndarray, p: np.ndarray, r: np.ndarray | int) -> None:
        owners.append(o.astype(np.int64))
        phones.append(p.astype(np.int64))
        relations.append(np.broadcast_to(r, o.shape).astype(np.int64))

    # Household members list each other as family.
    in_hh = np.flatnonzero(np.bincount(pop.household)[pop.household] > 1)
    for me, other in _pairs_within(pop.household, in_hh, range(1, 4)):
        add(me, other, 0)

    # A colleague: the next customer with the same employer.
    emp = np.flatnonzero(pop.employer_id >= 0)
    emp = emp[np.argsort(pop.employer_id[emp], kind="stable")]
    same = pop.employer_id[emp[1:]] == pop.employer_id[emp[:-1]]
    pick = same & (rng.random(len(same)) < 0.3)
    add(emp[1:][pick], emp[:-1][pick], 2)

    # Ring members list other members and the ring's organisers.
    ring = np.flatnonzero(pop.ring_id >= 0)
    for me, other in _pairs_within(pop.ring_id, ring, (1, 2, 3)):
        keep = rng.random(len(me)) < 0.85
        add(me[keep], other[keep], 1)
    for j in range(_ORGANISERS_PER_RING):
        keep = rng.random(len(ring)) < 0.8
        add(ring[keep], space.organisers + _ORGANISERS_PER_RING * pop.ring_id[ring[keep]] + j, 3)

    # Probing identities share their operation's contact list.
    probed = np.flatnonzero(pop.probe_op >= 0)
    for _ in range(3):
        add(
            probed,
            space.probe_pool
            + _POOL_PER_OP * pop.probe_op[probed]
            + rng.integers(0, _POOL_PER_OP, len(probed)),
            rng.integers(0, 4, len(probed)),
        )

    # Fill up with popular and one-off numbers.
    have = np.bincount(np.concatenate(owners), minlength=n) if owners else np.zeros(n, np.int64)
    want = 1 + rng.poisson(params.contacts_mean - 1, n)
    want = np.where(pop.role == Role.PROBING, 0, want)
    extra = np.maximum(want - have, 0)
    who = np.repeat(np.arange(n), extra)
    popular = rng.random(len(who)) < 0.05
    n_random = int((~popular).sum())
    phone = np.empty(len(who), np.int64)
    phone[popular] = space.popular + rng.integers(0, space.n_popular, int(popular.sum()))
    phone[~popular] = space.random + np.arange(n_random)
    add(who, phone, rng.choice(4, len(who), p=[0.3, 0.4, 0.15, 0.15]))

    owner = np.concatenate(owners)
    ph = np.concatenate(phones)
    rel = np.concatenate(relations)
    order = sort_order(owner, ph)
    owner, ph, rel = owner[order], ph[order], rel[order]
    dup = np.r_[False, (owner[1:] == owner[:-1]) & (ph[1:] == ph[:-1])]
    return Contacts(owner=owner[~dup], phone=ph[~dup], relation=rel[~dup], n_random=n_random)


def _pairs_within(
    group: np.ndarray, members: np.ndarray, steps
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each step, (member, the member ``step`` places further round its group's circle)."""
    if len(members) == 0:
        return []
    members = members[np.argsort(group[members], kind="stable")]
    g = group[members]
    first = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
    size = np.diff(np.r_[first, len(members)])
    start_of = np.repeat(first, size)
    size_of = np.repeat(size, size)
    pos = np.arange(len(members)) - start_of
    out = []
    for step in steps:
        keep = step < size_of
        other = members[start_of + (pos + step) % size_of]
        out.append((members[keep], other[keep]))
    return out
