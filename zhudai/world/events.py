"""Device and IP events around each application: register, logins, bind card, change phone, apply.

Legitimate people register weeks before applying and log in several times; fraud registers
minutes before. A probing device therefore shows a burst of ``register`` events for many
customers, one after another, in its event stream.
"""

from __future__ import annotations

import numpy as np

from zhudai.times import US_PER_DAY, US_PER_HOUR, US_PER_MINUTE
from zhudai.world.applications import Applications
from zhudai.world.population import Population, Role
from zhudai.world.sampling import sort_order

EVENT_TYPES = ("login", "register", "apply", "change_phone", "bind_card")
LEGIT_REGISTER_LEAD_DAYS = 90.0  # mean days a legitimate customer registers before applying


def registration_times(rng: np.random.Generator, pop: Population) -> np.ndarray:
    """When each customer registered with the platform, before the first application."""
    n = pop.n
    lead = np.select(
        [pop.role == Role.LEGIT, pop.role == Role.RING, pop.role == Role.PROBING],
        [
            rng.exponential(LEGIT_REGISTER_LEAD_DAYS, n) * US_PER_DAY,
            rng.uniform(1.0, 240.0, n) * US_PER_HOUR,
            rng.uniform(1.0, 30.0, n) * US_PER_MINUTE,
        ],
        rng.uniform(5.0, 48 * 60.0, n) * US_PER_MINUTE,
    ).astype(np.int64)
    t = pop.applied_at - lead
    return t - t % 1_000_000


def device_events(
    rng: np.random.Generator, pop: Population, apps: Applications, registered_at: np.ndarray
) -> dict[str, np.ndarray]:
    """Event rows (customer index, ts, device index, ip, event type index), sorted by time."""
    first = apps.round == 0
    cust, dev, ip, t = apps.cust, apps.device, apps.ip, apps.applied_at
    reg = registered_at[cust]
    parts: list[tuple[np.ndarray, ...]] = []

    def add(sel: np.ndarray, ts: np.ndarray, kind: int) -> None:
        parts.append((cust[sel], ts, dev[sel], ip[sel], np.full(len(ts), kind)))

    idx = np.flatnonzero(first)
    add(idx, reg[idx], 1)
    n_logins = rng.poisson(np.where(pop.role[cust] == Role.LEGIT, 4.0, 0.7))
    rows = np.repeat(np.arange(apps.n), n_logins)
    span = np.maximum(t[rows] - reg[rows], US_PER_MINUTE)
    add(rows, reg[rows] + (rng.random(len(rows)) * span).astype(np.int64), 0)
    add(idx, t[idx] - (rng.uniform(1, 10, len(idx)) * US_PER_MINUTE).astype(np.int64), 4)
    thief = pop.role[cust] == Role.IDENTITY_THEFT
    changed = (
        (apps.phone >= pop.n)
        | (thief & (rng.random(apps.n) < 0.5))
        | (first & (rng.random(apps.n) < 0.02))
    )
    ch = np.flatnonzero(changed)
    add(ch, t[ch] - (rng.uniform(1, 5, len(ch)) * US_PER_MINUTE).astype(np.int64), 3)
    add(np.arange(apps.n), t, 2)
    c, ts, d, i, k = (np.concatenate(x) for x in zip(*parts, strict=True))
    ts = np.maximum(ts, registered_at[c])
    ts = ts - ts % 1_000_000
    order = sort_order(ts // 1_000_000, c, k)
    return {"cust": c[order], "ts": ts[order], "device": d[order], "ip": i[order], "type": k[order]}
