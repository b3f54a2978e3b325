"""Applications with their context (device, IP, GPS, SIM), bureau data and the historical decision.

Applications arrive in rounds: every customer applies once; rejected legitimate people and
ring members may retry days later, probing operations retry within minutes with another
product or phone number. The historical policy is a noisy score on observable data only, so
booked loans keep enough bad ones to learn from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhudai.times import US_PER_DAY, US_PER_MINUTE, day_micros
from zhudai.world.catalog import CHANNELS, CITIES, DEVICE_MODELS, EMULATOR_MODELS, PRODUCTS
from zhudai.world.geo import ip_city, random_ips
from zhudai.world.params import WorldParams
from zhudai.world.population import Population, Role
from zhudai.world.risk import true_pd
from zhudai.world.sampling import categorical, sort_order
from zhudai.world.timeutil import add_months_us

REJECT_REASONS = (
    "multi_lending",
    "bureau_overdue",
    "device_risk",
    "location_mismatch",
    "new_sim",
    "score_low",
)
_CITY_LAT = np.array([c[3] for c in CITIES])
_CITY_LON = np.array([c[4] for c in CITIES])
_PRODUCT_MIX = np.array([c[5] for c in CHANNELS])
LEGIT_SIM_DAYS = (np.log(900), 0.9)  # log-normal (mean log, sd log) of legitimate SIM ages
LEGIT_DEVICE_LEAD_DAYS = 400.0  # mean days the platform saw a legitimate device before


@dataclass
class Devices:
    """Attributes of every device index (the owner's role is ground truth)."""

    model: np.ndarray
    emulator: np.ndarray
    rooted: np.ndarray
    owner_role: np.ndarray


@dataclass
class Context:
    """Per-customer places and things that applications draw from."""

    device: np.ndarray  # device index of each customer's applications
    home_ip: np.ndarray
    office_prefix: np.ndarray  # -1 when no employer
    fraud_ips: np.ndarray  # (customer, 2) ring/probing IP pool, -1 when none
    fraud_loc: np.ndarray  # (customer, 2) lat/lon of a ring or probing spot, nan when none
    home_loc: np.ndarray  # (customer, 2)
    sim_age: np.ndarray


@dataclass
class Applications:
    """Column arrays, one row per application, sorted by time (row ``j`` is id ``j + 1``)."""

    cust: np.ndarray
    round: np.ndarray
    applied_at: np.ndarray
    channel: np.ndarray
    product: np.ndarray
    amount: np.ndarray
    term: np.ndarray
    device: np.ndarray
    ip: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    sim_age: np.ndarray
    phone: np.ndarray  # phone index: < n the customer's own, else an extra number
    bureau: dict[str, np.ndarray]
    score: np.ndarray
    approved: np.ndarray
    reject_reason: np.ndarray  # index into REJECT_REASONS, -1 when approved
    true_pd: np.ndarray

    @property
    def n(self) -> int:
        return len(self.cust)


def _take(arrays: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[idx] for k, v in arrays.items()}


def build_devices(rng: np.random.Generator, pop: Population) -> tuple[Devices, np.ndarray]:
    """Devices of every customer, ring and probing operation; returns them and each customer's device.

    Legitimate customers own one device (a fifth of households share one); ring members pick
    from a small pool per ring; probing operations run one to three devices, mostly emulators.
    """
    n = pop.n
    device = np.arange(n, dtype=np.int64)
    _, head_idx, inverse = np.unique(pop.household, return_index=True, return_inverse=True)
    share_device = rng.random(len(head_idx)) < 0.2
    device = np.where(share_device[inverse], head_idx[inverse], device)

    ring_sizes = np.bincount(pop.ring_id[pop.ring_id >= 0], minlength=pop.n_rings)
    ring_devs = np.maximum(1, np.ceil(ring_sizes / 4).astype(np.int64))
    ring_offset = n + np.r_[0, np.cumsum(ring_devs)[:-1]]
    members = np.flatnonzero(pop.ring_id >= 0)
    r = pop.ring_id[members]
    device[members] = ring_offset[r] + (rng.random(len(members)) * ring_devs[r]).astype(np.int64)

    op_devs = 1 + rng.binomial(2, 0.35, pop.n_probe_ops)
    op_offset = n + ring_devs.sum() + np.r_[0, np.cumsum(op_devs)[:-1]]
    probed = np.flatnonzero(pop.probe_op >= 0)
    o = pop.probe_op[probed]
    device[probed] = op_offset[o] + (rng.random(len(probed)) * op_devs[o]).astype(np.int64)

    total = n + int(ring_devs.sum()) + int(op_devs.sum())
    owner_role = np.full(total, Role.LEGIT, np.int8)
    owner_role[:n] = pop.role
    owner_role[n : n + ring_devs.sum()] = Role.RING
    owner_role[n + ring_devs.sum() :] = Role.PROBING
    income_z = np.full(total, -0.8)
    income_z[:n] = pop.income_z
    emulator_p = np.array([0.002, 0.05, 0.7, 0.03])[owner_role]
    rooted_p = np.array([0.02, 0.2, 0.6, 0.15])[owner_role]
    emulator = rng.random(total) < emulator_p
    rooted = ~emulator & (rng.random(total) < rooted_p)
    tier = np.digitize(income_z + rng.normal(0, 0.7, total), [-0.6, 0.1, 0.8])
    tiers = np.array([m[1] for m in DEVICE_MODELS])
    names = np.array([m[0] for m in DEVICE_MODELS])
    pick = np.array([rng.choice(np.flatnonzero(tiers == t), total) for t in range(4)])
    model = names[pick[tier, np.arange(total)]]
    model = np.where(
        emulator, np.array(EMULATOR_MODELS)[rng.integers(0, len(EMULATOR_MODELS), total)], model
    )
    return Devices(model=model, emulator=emulator, rooted=rooted, owner_role=owner_role), device


def build_context(rng: np.random.Generator, pop: Population, device: np.ndarray) -> Context:
    """Home and office IPs, ring/probing IP pools and spots, home location, SIM age."""
    n = pop.n
    _, head_idx, inverse = np.unique(pop.household, return_index=True, return_inverse=True)
    home_ip = random_ips(rng, pop.city[head_idx])[inverse]

    office_prefix = np.full(n, -1, np.int64)
    has_emp = pop.employer_id >= 0
    emp, first, emp_inv = np.unique(
        pop.employer_id[has_emp], return_index=True, return_inverse=True
    )
    office = random_ips(rng, pop.city[np.flatnonzero(has_emp)[first]]) & ~np.int64(255)
    office_prefix[has_emp] = office[emp_inv]

    fraud_ips = np.full((n, 2), -1, np.int64)
    fraud_loc = np.full((n, 2), np.nan)
    for group, count in ((pop.ring_id, pop.n_rings), (pop.probe_op, pop.n_probe_ops)):
        if count == 0:
            continue
        members = np.flatnonzero(group >= 0)
        g = group[members]
        if group is pop.ring_id:
            first_member = np.full(count, -1)
            first_member[g[::-1]] = members[::-1]
            g_city = pop.city[first_member]
        else:
            g_city = rng.integers(0, len(CITIES), count)
        ips = random_ips(rng, np.repeat(g_city, 2)).reshape(count, 2)
        spot = np.c_[_CITY_LAT[g_city], _CITY_LON[g_city]] + rng.normal(0, 0.05, (count, 2))
        fraud_ips[members] = ips[g]
        fraud_loc[members] = spot[g]

    _, addr_first, addr_inv = np.unique(pop.address_id, return_index=True, return_inverse=True)
    addr_city = pop.city[addr_first]
    addr_loc = np.c_[_CITY_LAT[addr_city], _CITY_LON[addr_city]] + rng.normal(
        0, 0.06, (len(addr_first), 2)
    )
    home_loc = addr_loc[addr_inv]
    home_loc = np.where(np.isnan(fraud_loc) | (pop.role != Role.RING)[:, None], home_loc, fraud_loc)

    lo = np.array([0, 40, 1, 1])[pop.role]
    hi = np.array([0, 400, 45, 20])[pop.role]
    legit_age = np.exp(rng.normal(*LEGIT_SIM_DAYS, n))
    sim_age = (
        np.where(pop.role == Role.LEGIT, legit_age, rng.uniform(lo, hi + 1e-9)).astype(np.int64) + 1
    )
    return Context(device, home_ip, office_prefix, fraud_ips, fraud_loc, home_loc, sim_age)


def build_applications(
    rng: np.random.Generator, pop: Population, ctx: Context, devices: Devices, params: WorldParams
) -> Applications:
    """All applications: first attempts, then retries after rejection, sorted by time."""
    n = pop.n
    start = day_micros(params.start)
    # A retry may come up to a month after the window; every loan still has 6+ months observed.
    end = add_months_us(params.start, params.application_months) + 31 * US_PER_DAY
    cust = np.arange(n)
    product = categorical(rng, _PRODUCT_MIX, pop.channel)
    rows = _round(
        rng,
        pop,
        ctx,
        devices,
        cust,
        pop.applied_at,
        product,
        np.zeros(n, np.int64),
        np.arange(n),
        0,
    )
    threshold = float(np.quantile(rows["score_parts"].sum(axis=1), params.approval_rate))
    _decide(rows, threshold)
    rounds = [rows]
    n_extra_phones = 0
    for round_no in (1, 2):
        prev = rounds[-1]
        role = pop.role[prev["cust"]]
        rejected = ~prev["approved"]
        retry_p = np.where(
            role == Role.PROBING,
            0.85,
            np.where(role == Role.IDENTITY_THEFT, 0.0, params.retry_share),
        )
        retry_p = retry_p if round_no == 1 else np.where(role == Role.PROBING, retry_p, 0.0)
        again = np.flatnonzero(rejected & (rng.random(len(role)) < retry_p))
        if len(again) == 0:
            break
        c = prev["cust"][again]
        probing = pop.role[c] == Role.PROBING
        wait = np.where(
            probing,
            (5.0 + rng.exponential(25.0, len(c))) * US_PER_MINUTE,
            rng.uniform(1, 30, len(c)) * US_PER_DAY,
        )
        t = np.minimum(prev["applied_at"][again] + wait.astype(np.int64), end)
        t = t - t % 1_000_000
        prod = np.where(
            probing & (rng.random(len(c)) < 0.5),
            rng.integers(0, len(PRODUCTS), len(c)),
            prev["product"][again],
        )
        new_phone = probing & (rng.random(len(c)) < 0.6)
        phone = prev["phone"][again].copy()
        phone[new_phone] = n + n_extra_phones + np.arange(new_phone.sum())
        n_extra_phones += int(new_phone.sum())
        rows = _round(
            rng,
            pop,
            ctx,
            devices,
            c,
            t,
            prod,
            t - pop.applied_at[c],
            phone,
            round_no,
            prev["amount"][again] * 0.7,
        )
        rows["sim_age"] = np.where(new_phone, rng.integers(0, 10, len(c)), rows["sim_age"])
        _decide(rows, threshold)
        rounds.append(rows)
    all_rows = {k: np.concatenate([r[k] for r in rounds]) for k in rounds[0]}
    order = sort_order(all_rows["applied_at"] // 1_000_000, all_rows["cust"], all_rows["round"])
    a = _take(all_rows, order)
    month = a["applied_at"].astype("datetime64[us]").astype("datetime64[M]").astype(
        np.int64
    ) - np.datetime64(params.start, "M").astype(np.int64)
    pd_ = true_pd(
        pop,
        a["cust"],
        a["channel"],
        a["product"],
        a["amount"],
        a["term"],
        month,
        params.default_rate_scale,
    )
    bureau_keys = [k for k in a if k.startswith("b_")]
    return Applications(
        cust=a["cust"],
        round=a["round"],
        applied_at=np.maximum(a["applied_at"], start),
        channel=a["channel"],
        product=a["product"],
        amount=a["amount"],
        term=a["term"],
        device=a["device"],
        ip=a["ip"],
        lat=a["lat"],
        lon=a["lon"],
        sim_age=a["sim_age"],
        phone=a["phone"],
        bureau={k[2:]: a[k] for k in bureau_keys},
        score=a["score"],
        approved=a["approved"],
        reject_reason=a["reject_reason"],
        true_pd=pd_,
    )


def _round(
    rng: np.random.Generator,
    pop: Population,
    ctx: Context,
    devices: Devices,
    cust: np.ndarray,
    applied_at: np.ndarray,
    product: np.ndarray,
    elapsed: np.ndarray,
    phone: np.ndarray,
    round_no: int,
    amount: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """One attempt per row of ``cust``: product terms, amount, context, bureau and score."""
    m = len(cust)
    role = pop.role[cust]
    terms = [np.array(p[4]) for p in PRODUCTS]
    term = _pick_term(rng, product, terms)
    lo = np.array([p[2] for p in PRODUCTS])[product]
    hi = np.array([p[3] for p in PRODUCTS])[product]
    if amount is None:
        mid = np.sqrt(lo * hi)
        amount = np.exp(
            np.log(mid) + 0.5 * pop.income_z[cust] + 0.25 * pop.over[cust] + rng.normal(0, 0.5, m)
        )
        amount = np.where(role == Role.LEGIT, amount, hi * rng.uniform(0.35, 1.0, m))
    amount = np.round(np.clip(amount, lo, hi), -2)
    ip, lat, lon = _ips_and_places(rng, pop, ctx, cust)
    row = {
        "cust": cust,
        "round": np.full(m, round_no, np.int64),
        "applied_at": applied_at,
        "channel": pop.channel[cust],
        "product": product,
        "amount": amount,
        "term": term,
        "device": ctx.device[cust],
        "ip": ip,
        "lat": lat,
        "lon": lon,
        "sim_age": ctx.sim_age[cust] + elapsed // US_PER_DAY,
        "phone": phone,
    }
    row.update(_bureau(rng, pop, cust, round_no))
    row["score_parts"] = _score_parts(rng, pop, devices, row)
    return row


def _pick_term(
    rng: np.random.Generator, product: np.ndarray, terms: list[np.ndarray]
) -> np.ndarray:
    out = np.empty(len(product), np.int64)
    for p, options in enumerate(terms):
        sel = product == p
        out[sel] = rng.choice(options, int(sel.sum()))
    return out


def _ips_and_places(
    rng: np.random.Generator, pop: Population, ctx: Context, cust: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IP and GPS of each attempt: home, mobile or office for legitimate people; pooled for fraud."""
    m = len(cust)
    role = pop.role[cust]
    city = pop.city[cust]
    travel = rng.random(m) < 0.08
    mobile_city = np.where(travel, rng.integers(0, len(CITIES), m), city)
    mobile_ip = random_ips(rng, mobile_city)
    source = rng.choice(3, m, p=[0.5, 0.4, 0.1])  # home, mobile, office
    office = ctx.office_prefix[cust]
    source = np.where((source == 2) & (office < 0), 1, source)
    office_ip = office + rng.integers(1, 9, m)
    ip = np.select([source == 0, source == 1], [ctx.home_ip[cust], mobile_ip], office_ip)
    pick = rng.integers(0, 2, m)
    fraud_ip = ctx.fraud_ips[cust, pick]
    pooled = (role == Role.RING) | (role == Role.PROBING)
    ip = np.where(pooled, fraud_ip, ip)
    thief_city = (city + rng.integers(1, len(CITIES), m)) % len(CITIES)
    ip = np.where(role == Role.IDENTITY_THEFT, random_ips(rng, thief_city), ip)

    where = ip_city(ip)
    near_ip = np.c_[_CITY_LAT[where], _CITY_LON[where]] + rng.normal(0, 0.05, (m, 2))
    home = ctx.home_loc[cust] + rng.normal(0, 0.0005, (m, 2))
    spot = ctx.fraud_loc[cust] + rng.normal(0, 0.0003, (m, 2))
    at_home = (source == 0) & ~pooled & (role != Role.IDENTITY_THEFT)
    loc = np.where(at_home[:, None], home, near_ip)
    loc = np.where(pooled[:, None], spot, loc)
    return ip, np.round(loc[:, 0], 6), np.round(loc[:, 1], 6)


def _bureau(
    rng: np.random.Generator, pop: Population, cust: np.ndarray, round_no: int
) -> dict[str, np.ndarray]:
    """Bureau-like counts as of the attempt; over-indebtedness is their common cause."""
    m = len(cust)
    role = pop.role[cust]
    fraud_boost = np.array([0.0, 0.5, 0.9, 0.0])[role]
    rate = np.exp(0.1 + 1.1 * pop.over[cust] + 0.1 * pop.impulsivity[cust] + fraud_boost)
    ml180 = rng.poisson(rate) + round_no
    ml90 = rng.binomial(ml180, 0.6)
    ml30 = rng.binomial(ml90, 0.5)
    inquiries = ml30 + rng.poisson(0.3 + 0.5 * ml30) + round_no
    overdue_rate = np.exp(
        -2.0
        + 0.9 * pop.over[cust]
        + 0.4 * pop.impulsivity[cust]
        - 1.2 * (pop.stability[cust] - 0.5)
        + 0.4 * (role != Role.LEGIT)
    )
    past_overdue = rng.poisson(overdue_rate)
    max_dpd = np.where(
        past_overdue > 0,
        np.minimum(np.ceil(np.exp(rng.normal(np.log(12) + 0.35 * past_overdue, 0.8))), 360),
        0,
    )
    open_loans = rng.binomial(ml180, 0.45) + rng.poisson(0.4, m)
    balance = np.round(open_loans * pop.income[cust] * np.exp(rng.normal(0.4, 0.5, m)), -2)
    return {
        "b_multi_lending_30d": ml30.astype(np.int64),
        "b_multi_lending_90d": ml90.astype(np.int64),
        "b_multi_lending_180d": ml180.astype(np.int64),
        "b_past_overdue_count": past_overdue.astype(np.int64),
        "b_max_past_dpd": max_dpd.astype(np.int64),
        "b_open_loans": open_loans.astype(np.int64),
        "b_total_open_balance": balance.astype(np.float64),
        "b_inquiries_30d": inquiries.astype(np.int64),
    }


def _score_parts(
    rng: np.random.Generator, pop: Population, devices: Devices, row: dict[str, np.ndarray]
) -> np.ndarray:
    """Contributions of the historical policy, one column per reject reason (noise last)."""
    cust = row["cust"]
    m = len(cust)
    mismatch = ip_city(row["ip"]) != pop.city[cust]
    return np.c_[
        0.4 * np.log1p(row["b_multi_lending_90d"]) + 0.25 * np.log1p(row["b_inquiries_30d"]),
        0.45 * (row["b_past_overdue_count"] > 0) + 0.004 * np.minimum(row["b_max_past_dpd"], 90),
        1.4 * devices.emulator[row["device"]] + 0.6 * devices.rooted[row["device"]],
        0.45 * mismatch,
        0.4 * (row["sim_age"] < 60),
        -0.35 * np.log(pop.income_declared[cust] / 5000.0) + rng.normal(0, 0.75, m),
    ]


def _decide(rows: dict[str, np.ndarray], threshold: float) -> None:
    """Approve when the policy's risk score is at most ``threshold``; the reason is its largest part."""
    parts = rows.pop("score_parts")
    score = parts.sum(axis=1)
    rows["score"] = np.round(700.0 - 60.0 * score).astype(np.int64)
    rows["approved"] = score <= threshold
    rows["reject_reason"] = np.where(rows["approved"], -1, np.argmax(parts, axis=1))
