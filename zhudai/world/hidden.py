"""Fraud that hides: the hidden fraud types of :class:`~zhudai.world.difficulty.HiddenFraud`.

The base world's fraud gives itself away (emulators, new SIMs, a ring's shared spot). Here
legitimate-looking customers are turned into fraud that keeps only the tells a careful
fraud team can still read, each shown with probability ``1 - difficulty``:

- ``hidden_ring``: a ring on clean, aged devices and aged SIMs, mostly applying from home;
  what always remains is a shell employer and contact lists naming each other and the
  organisers.
- ``slow_ring``: a ring on a few clean farm devices, its members arriving over weeks.
- ``mimicry``: a fraudster with genuine-looking orders and card use, built up in the weeks
  before applying, on a newly bought phone.
- ``bought_identity``: real people's identities (their own clean history), used by a buyer
  who cycles a few of them over weeks from one device and IP.
- ``identity_theft``: a thief on a clean, aged device, behind a proxy in the victim's city.
- ``device_resale``: an honest second owner of a former ring device (a good applicant who
  looks bad: tests false positives).
- ``coached``: applicants an offline agent coaches: declarations tuned to the agent's
  sweet spot, applications from the agent's shop, the agent's phone in their contacts.
- ``probing``: probing from clean real devices, cycling identities slowly, each re-declared
  with tweaked fields after a rejection.

Each step is a hook of :func:`zhudai.world.generate_world` that does nothing when no hidden
type has a share, and draws only from the plan's own random stream, so an ``easy`` world is
byte-identical to one made without this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from zhudai.times import US_PER_DAY, US_PER_MINUTE, day_micros
from zhudai.world.applications import (
    _CITY_LAT,
    _CITY_LON,
    LEGIT_DEVICE_LEAD_DAYS,
    LEGIT_SIM_DAYS,
    Applications,
    Context,
    Devices,
)
from zhudai.world.difficulty import HIDDEN_TYPE_FIELDS, HiddenType
from zhudai.world.events import LEGIT_REGISTER_LEAD_DAYS
from zhudai.world.geo import random_ips
from zhudai.world.params import WorldParams
from zhudai.world.population import (
    FRAUD_TYPE_NAMES,
    SHELL_EMPLOYER_SHARE,
    Population,
    Role,
    _group_cumsum_start,
    _groups,
)
from zhudai.world.relations import Contacts
from zhudai.world.sampling import sort_order
from zhudai.world.spending import Traits
from zhudai.world.timeutil import add_months_us


class Kind(IntEnum):
    """Hidden fraud type of a customer (0: none); the order of ``HIDDEN_TYPE_FIELDS``."""

    NONE = 0
    HIDDEN_RING = 1
    SLOW_RING = 2
    MIMICRY = 3
    BOUGHT_IDENTITY = 4
    IDENTITY_THEFT = 5
    DEVICE_RESALE = 6
    COACHED = 7
    PROBING = 8


# Truth names: a hidden variant of a base type is told apart by its prefix.
KIND_NAMES: tuple[str, ...] = tuple(
    f"hidden_{name}" if name in FRAUD_TYPE_NAMES else name for name in HIDDEN_TYPE_FIELDS
)
GOOD_KINDS = (Kind.NONE, Kind.DEVICE_RESALE)
_RING_KINDS = (Kind.HIDDEN_RING, Kind.SLOW_RING)
_IDS_PER_BUYER = 3.0
_CLIENTS_PER_AGENT = 8.0
_IDS_PER_HIDDEN_PROBE = 4.0


@dataclass
class HiddenPlan:
    """Who hides how; every hook reads it and draws from ``rng`` in generation order."""

    rng: np.random.Generator
    types: dict[Kind, HiddenType]
    kind: np.ndarray  # (customers,) Kind
    group: np.ndarray  # buyer / agent of each customer, -1 when none
    window: tuple[int, int]  # application window, microseconds
    aged_devices: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    new_devices: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    n_agents: int = 0

    @property
    def active(self) -> bool:
        return bool((self.kind != Kind.NONE).any())

    def members(self, kind: Kind) -> np.ndarray:
        return np.flatnonzero(self.kind == kind)

    def hides(self, kind: Kind, n: int) -> np.ndarray:
        """One draw per member: True where this member's tell is hidden."""
        return self.rng.random(n) < self.types[kind].difficulty


def plan_hidden(rng: np.random.Generator, pop: Population, params: WorldParams) -> HiddenPlan:
    """Pick the hidden fraud among lone legitimate customers and turn them (``pop`` changes:
    roles, rings, probing operations, employers, addresses, cities, times, intent)."""
    types = {Kind(i + 1): getattr(params.hidden, name) for i, name in enumerate(HIDDEN_TYPE_FIELDS)}
    start = day_micros(params.start)
    end = add_months_us(params.start, params.application_months)
    plan = HiddenPlan(
        rng, types, np.zeros(pop.n, np.int8), np.full(pop.n, -1, np.int64), (start, end)
    )
    if params.hidden.total_share() == 0:
        return plan
    alone = np.flatnonzero((pop.role == Role.LEGIT) & (pop.household == np.arange(pop.n)))
    alone = rng.permutation(alone)
    taken = 0
    for kind, t in types.items():
        k = min(int(round(pop.n * t.share)), len(alone) - taken)
        plan.kind[alone[taken : taken + k]] = kind
        taken += k
    fraud = ~np.isin(plan.kind, GOOD_KINDS)
    pop.fraud_intent[fraud] = rng.beta(8, 2, int(fraud.sum()))
    for kind in _RING_KINDS:
        _make_rings(plan, pop, kind, params.ring_size_mean)
    _make_probing(plan, pop)
    pop.role[plan.members(Kind.IDENTITY_THEFT)] = Role.IDENTITY_THEFT
    _make_buyers(plan, pop)
    _make_agents(plan, pop)
    return plan


def _spread(
    plan: HiddenPlan, groups: np.ndarray, members: np.ndarray, span_us: int, gap_us: np.ndarray
) -> np.ndarray:
    """Times of ``members`` (sorted by group): each group starts at a random time that leaves
    ``span_us`` before the window ends, then its members follow after ``gap_us`` each."""
    start, end = plan.window
    n_groups = int(groups.max()) + 1
    begin = start + (plan.rng.random(n_groups) * max(end - start - span_us, 1)).astype(np.int64)
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    cum = np.cumsum(gap_us[order])
    t = np.empty(len(members), np.int64)
    t[order] = begin[g] + cum - _group_cumsum_start(cum, g)
    t = np.clip(t, start, end - 1)
    return t - t % 1_000_000


def _make_rings(plan: HiddenPlan, pop: Population, kind: Kind, size_mean: float) -> None:
    m = plan.members(kind)
    if len(m) < 3:
        plan.kind[m] = Kind.NONE
        return
    rng = plan.rng
    g = _groups(rng, m, size_mean, 3)
    ring = pop.n_rings + g
    pop.role[m] = Role.RING
    pop.ring_id[m] = ring
    first = np.full(int(g.max()) + 1, -1)
    first[g[::-1]] = m[::-1]
    pop.city[m] = pop.city[first[g]]  # a ring recruits in one city
    shell = pop.employer_id.max() + 1 + g
    pop.employer_id[m] = np.where(
        rng.random(len(m)) < SHELL_EMPLOYER_SHARE, shell, pop.employer_id[m]
    )
    shared_address = ~plan.hides(kind, len(m))
    ring_address = pop.address_id.max() + 1 + g
    pop.address_id[m] = np.where(shared_address, ring_address, pop.address_id[m])
    d = plan.types[kind].difficulty
    mean_days = 4.0 if kind is Kind.HIDDEN_RING else 7.0 + 35.0 * d
    gaps = (rng.exponential(mean_days / 3.0, len(m)) * US_PER_DAY).astype(np.int64)
    pop.applied_at[m] = _spread(plan, g, m, int(3 * mean_days * US_PER_DAY), gaps)
    pop.n_rings += int(g.max()) + 1


def _make_probing(plan: HiddenPlan, pop: Population) -> None:
    m = plan.members(Kind.PROBING)
    if len(m) < 2:
        plan.kind[m] = Kind.NONE
        return
    rng = plan.rng
    g = _groups(rng, m, _IDS_PER_HIDDEN_PROBE, 2)
    pop.role[m] = Role.PROBING
    pop.probe_op[m] = pop.n_probe_ops + g
    mean_min = 20.0 + 240.0 * plan.types[Kind.PROBING].difficulty  # slower identity cycling
    gaps = (rng.exponential(mean_min, len(m)) * US_PER_MINUTE).astype(np.int64)
    pop.applied_at[m] = _spread(plan, g, m, int(5 * US_PER_DAY), gaps)
    pop.n_probe_ops += int(g.max()) + 1


def _make_buyers(plan: HiddenPlan, pop: Population) -> None:
    m = plan.members(Kind.BOUGHT_IDENTITY)
    if len(m) == 0:
        return
    rng = plan.rng
    g = _groups(rng, m, _IDS_PER_BUYER, 1) if len(m) > 1 else np.zeros(1, np.int64)
    plan.group[m] = g
    mean_days = 3.0 + 12.0 * plan.types[Kind.BOUGHT_IDENTITY].difficulty  # weeks, not minutes
    gaps = (rng.exponential(mean_days, len(m)) * US_PER_DAY).astype(np.int64)
    pop.applied_at[m] = _spread(plan, g, m, int(8 * mean_days * US_PER_DAY), gaps)


def _make_agents(plan: HiddenPlan, pop: Population) -> None:
    m = plan.members(Kind.COACHED)
    if len(m) == 0:
        return
    rng = plan.rng
    m = m[np.argsort(pop.city[m], kind="stable")]  # an agent coaches people of one city
    g = _groups(rng, m, _CLIENTS_PER_AGENT, 1) if len(m) > 1 else np.zeros(1, np.int64)
    plan.group[m] = g
    plan.n_agents = int(g.max()) + 1
    first = np.full(plan.n_agents, -1)
    first[g[::-1]] = m[::-1]
    pop.city[m] = pop.city[first[g]]
    # The agent's sweet spot: a round declared income the agent knows gets through.
    target = np.round(rng.uniform(8000, 15000, plan.n_agents), -3)
    pop.income_declared[m] = np.maximum(pop.income_declared[m], target[g])
    gaps = (rng.exponential(2.0, len(m)) * US_PER_DAY).astype(np.int64)
    pop.applied_at[m] = _spread(plan, g, m, int(40 * US_PER_DAY), gaps)


def disguise_devices(
    plan: HiddenPlan, pop: Population, devices: Devices, cust_device: np.ndarray
) -> Devices:
    """Clean devices for hidden fraud, buyers' devices, resold farm devices; returns the
    (possibly longer) device table and changes ``cust_device`` and resale times in place."""
    if not plan.active:
        return devices
    rng = plan.rng
    n = pop.n
    hidden_ring = plan.members(Kind.HIDDEN_RING)
    cust_device[hidden_ring] = hidden_ring  # each member on their own phone
    aged = [cust_device[hidden_ring], cust_device[plan.members(Kind.SLOW_RING)]]
    clean = list(aged)
    for kind in (Kind.PROBING, Kind.IDENTITY_THEFT):
        own = cust_device[plan.members(kind)]
        clean.append(own)
        aged.append(own[plan.hides(kind, len(own))])
    mimic = plan.members(Kind.MIMICRY)
    new = [cust_device[mimic[~plan.hides(Kind.MIMICRY, len(mimic))]]]

    buyers = plan.members(Kind.BOUGHT_IDENTITY)
    total = len(devices.model)
    if len(buyers):
        n_buyers = int(plan.group[buyers].max()) + 1
        cust_device[buyers] = total + plan.group[buyers]
        extra = total + np.arange(n_buyers)
        hidden = plan.hides(Kind.BOUGHT_IDENTITY, n_buyers)
        aged.append(extra[hidden])
        new.append(extra[~hidden])
        clean.append(extra)
        donors = rng.choice(np.flatnonzero(~devices.emulator[:n]), n_buyers)
        devices = Devices(
            model=np.r_[devices.model, devices.model[donors]],
            emulator=np.r_[devices.emulator, np.zeros(n_buyers, bool)],
            rooted=np.r_[devices.rooted, np.zeros(n_buyers, bool)],
            owner_role=np.r_[devices.owner_role, np.full(n_buyers, Role.LEGIT, np.int8)],
        )
    cleaned = np.concatenate(clean)
    real = np.flatnonzero(~devices.emulator[:n] & (devices.owner_role[:n] == Role.LEGIT))
    devices.model[cleaned] = devices.model[rng.choice(real, len(cleaned))]
    devices.emulator[cleaned] = False
    devices.rooted[cleaned] = False
    plan.aged_devices = np.unique(np.concatenate(aged))
    plan.new_devices = np.unique(np.concatenate(new))
    _resell(plan, pop, devices, cust_device)
    return devices


def _resell(plan: HiddenPlan, pop: Population, devices: Devices, cust_device: np.ndarray) -> None:
    """Hand each resale customer a real device of a visible ring after the ring stopped using
    it (the ring's last first application plus the retry month, then 40-120 days). One owner
    per device: customers beyond the devices free in time stay ordinary customers."""
    owners = plan.members(Kind.DEVICE_RESALE)
    ring = np.flatnonzero((pop.role == Role.RING) & (plan.kind == Kind.NONE))
    if len(owners) == 0:
        return
    last = np.full(len(devices.model), -1, np.int64)
    np.maximum.at(last, cust_device[ring], pop.applied_at[ring])
    farm = np.flatnonzero((last >= 0) & ~devices.emulator & (devices.owner_role == Role.RING))
    sold = plan.rng.uniform(40, 120, len(farm)) * US_PER_DAY
    at = last[farm] + 30 * US_PER_DAY + sold.astype(np.int64)
    free = plan.rng.permutation(np.flatnonzero(at < plan.window[1]))
    plan.kind[owners[len(free) :]] = Kind.NONE
    owners = owners[: len(free)]
    pick = free[: len(owners)]
    cust_device[owners] = farm[pick]
    t = at[pick] - at[pick] % US_PER_DAY + pop.applied_at[owners] % US_PER_DAY  # own hour
    pop.applied_at[owners] = t - t % 1_000_000


def disguise_context(plan: HiddenPlan, pop: Population, ctx: Context) -> None:
    """Aged SIMs, home IPs and places for hidden rings; a buyer's IP and spot."""
    if not plan.active:
        return
    rng = plan.rng
    aged_sim = [plan.members(k) for k in _RING_KINDS]
    for kind in (Kind.PROBING, Kind.IDENTITY_THEFT):
        m = plan.members(kind)
        aged_sim.append(m[plan.hides(kind, len(m))])
    sims = np.concatenate(aged_sim)
    ctx.sim_age[sims] = np.exp(rng.normal(*LEGIT_SIM_DAYS, len(sims))).astype(np.int64) + 1
    for kind in _RING_KINDS:  # members who apply from home instead of the ring's spot
        m = plan.members(kind)
        m = m[plan.hides(kind, len(m))]
        home = np.c_[_CITY_LAT[pop.city[m]], _CITY_LON[pop.city[m]]]
        ctx.home_loc[m] = home + rng.normal(0, 0.06, (len(m), 2))
        ctx.fraud_loc[m] = ctx.home_loc[m]
        ctx.fraud_ips[m] = ctx.home_ip[m][:, None]
    buyers = plan.members(Kind.BOUGHT_IDENTITY)
    if len(buyers):
        g = plan.group[buyers]
        n_buyers = int(g.max()) + 1
        city = pop.city[buyers]
        buyer_city = np.full(n_buyers, -1)
        buyer_city[g[::-1]] = city[::-1]
        ctx.home_ip[buyers] = random_ips(rng, buyer_city)[g]
        spot = np.c_[_CITY_LAT[buyer_city], _CITY_LON[buyer_city]]
        spot = spot + rng.normal(0, 0.05, (n_buyers, 2))
        ctx.home_loc[buyers] = spot[g]
        ctx.office_prefix[buyers] = -1


def relocate(plan: HiddenPlan, pop: Population, ctx: Context, apps: Applications) -> None:
    """Where hidden applications are made: thieves behind a proxy in the victim's city,
    coached applicants at their agent's shop."""
    if not plan.active:
        return
    rng = plan.rng
    kind = plan.kind[apps.cust]
    thief = plan.members(Kind.IDENTITY_THEFT)
    proxied = np.zeros(pop.n, bool)
    proxied[thief[plan.hides(Kind.IDENTITY_THEFT, len(thief))]] = True
    rows = np.flatnonzero(proxied[apps.cust])
    c = apps.cust[rows]
    apps.ip[rows] = random_ips(rng, pop.city[c])
    _place(apps, rows, ctx.home_loc[c] + rng.normal(0, 0.0005, (len(rows), 2)))
    if plan.n_agents:
        coached = plan.members(Kind.COACHED)
        at_shop = np.zeros(pop.n, bool)
        at_shop[coached[~plan.hides(Kind.COACHED, len(coached))]] = True
        first = np.full(plan.n_agents, -1)
        first[plan.group[coached][::-1]] = coached[::-1]
        shop_city = pop.city[first]
        shop_ip = random_ips(rng, shop_city)
        shop = np.c_[_CITY_LAT[shop_city], _CITY_LON[shop_city]]
        shop = shop + rng.normal(0, 0.05, (plan.n_agents, 2))
        rows = np.flatnonzero(at_shop[apps.cust] & (kind == Kind.COACHED))
        g = plan.group[apps.cust[rows]]
        apps.ip[rows] = shop_ip[g]
        _place(apps, rows, shop[g] + rng.normal(0, 0.0003, (len(rows), 2)))


def _place(apps: Applications, rows: np.ndarray, loc: np.ndarray) -> None:
    apps.lat[rows] = np.round(loc[:, 0], 6)
    apps.lon[rows] = np.round(loc[:, 1], 6)


def built_up(plan: HiddenPlan, traits: Traits) -> None:
    """Mimicry's spending: a normal year's orders and card use, packed into the last
    ``30 + 90 x difficulty`` days before applying (the history was built for the loan)."""
    mimic = plan.kind[traits.idx] == Kind.MIMICRY
    if not mimic.any():
        return
    days = 30.0 + 90.0 * plan.types[Kind.MIMICRY].difficulty
    traits.days = np.where(mimic, np.minimum(days, traits.days), traits.days)


def registrations(plan: HiddenPlan, pop: Population, registered_at: np.ndarray) -> np.ndarray:
    """Hidden fraud that registered long before applying, as legitimate people do."""
    if not plan.active:
        return registered_at
    m = np.flatnonzero(np.isin(plan.kind, [*_RING_KINDS, Kind.PROBING, Kind.IDENTITY_THEFT]))
    difficulty = np.array([0.0, *(t.difficulty for t in plan.types.values())])
    m = m[plan.rng.random(len(m)) < difficulty[plan.kind[m]]]
    lead = plan.rng.exponential(LEGIT_REGISTER_LEAD_DAYS, len(m)) * US_PER_DAY
    out = registered_at.copy()
    t = pop.applied_at[m] - lead.astype(np.int64)
    out[m] = t - t % 1_000_000
    return out


def first_seen(plan: HiddenPlan, apps: Applications, seen: np.ndarray) -> np.ndarray:
    """Device first-seen times: aged hidden devices long before, new ones days before."""
    if not plan.active:
        return seen
    first = np.full(len(seen), np.iinfo(np.int64).max)
    np.minimum.at(first, apps.device, apps.applied_at)
    out = seen.copy()
    for devs, lead in (
        (plan.aged_devices, plan.rng.exponential(LEGIT_DEVICE_LEAD_DAYS, len(plan.aged_devices))),
        (plan.new_devices, plan.rng.uniform(0.5, 20.0, len(plan.new_devices))),
    ):
        devs_used = first[devs] < np.iinfo(np.int64).max
        t = first[devs] - (lead * US_PER_DAY).astype(np.int64)
        out[devs[devs_used]] = (t - t % 1_000_000)[devs_used]
    return out


def agent_contacts(plan: HiddenPlan, contacts: Contacts, first_free_phone: int) -> Contacts:
    """Coached applicants list their agent's phone (phone indices from ``first_free_phone``)."""
    if not plan.n_agents:
        return contacts
    coached = plan.members(Kind.COACHED)
    coached = coached[
        ~plan.hides(Kind.COACHED, len(coached)) | (plan.rng.random(len(coached)) < 0.5)
    ]
    owner = np.r_[contacts.owner, coached]
    phone = np.r_[contacts.phone, first_free_phone + plan.group[coached]]
    relation = np.r_[contacts.relation, np.full(len(coached), 3, np.int64)]  # "other"
    order = sort_order(owner, phone)
    return Contacts(owner[order], phone[order], relation[order], contacts.n_random)


@dataclass(frozen=True)
class FraudTypes:
    """Truth fraud type of every customer: ``names[code]``, and whether it is fraud."""

    names: tuple[str, ...]
    code: np.ndarray
    is_fraud: np.ndarray


def fraud_types(plan: HiddenPlan, pop: Population) -> FraudTypes:
    """Base roles, with hidden kinds named after them (``easy``: the base names only)."""
    base = pop.role != Role.LEGIT
    if not plan.active:
        return FraudTypes(FRAUD_TYPE_NAMES, pop.role.astype(np.int64), base)
    offset = len(FRAUD_TYPE_NAMES) - 1
    code = np.where(plan.kind > 0, offset + plan.kind.astype(np.int64), pop.role)
    is_fraud = base | ~np.isin(plan.kind, GOOD_KINDS)
    return FraudTypes(FRAUD_TYPE_NAMES + KIND_NAMES, code, is_fraud)
