"""Observable and ground-truth tables as Polars frames, built from the generator's arrays.

Column names and types follow ``docs/world-tables.md``; every text column with few distinct
values is built with :func:`~zhudai.world.writer.label_column` (fast), and identifiers come
only as tokens, masks or ciphertexts from :class:`~zhudai.world.identity.ProtectedIdentities`.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhudai.geohash import geohash
from zhudai.times import US_PER_DAY
from zhudai.world.applications import (
    LEGIT_DEVICE_LEAD_DAYS,
    REJECT_REASONS,
    Applications,
    Devices,
)
from zhudai.world.catalog import CITIES, OCCUPATIONS, PRODUCT_CODES
from zhudai.world.events import EVENT_TYPES
from zhudai.world.geo import ip_city, ip_strings
from zhudai.world.hidden import FraudTypes
from zhudai.world.identity import ProtectedIdentities
from zhudai.world.population import Population, Role
from zhudai.world.relations import RELATIONS, Contacts
from zhudai.world.timeutil import as_datetime
from zhudai.world.writer import label_column

_CITY_NAMES = np.array([c[1] for c in CITIES])
_PROVINCES = np.array([c[0] for c in CITIES])
_DEVICE_ID_BASE = 1_000_000


def customers_frame(
    pop: Population, ident: ProtectedIdentities, registered_at: np.ndarray
) -> pl.DataFrame:
    n = pop.n
    birth = ident.birth_day
    return pl.DataFrame(
        {
            "customer_id": np.arange(1, n + 1, dtype=np.int64),
            **{k: v for k, v in ident.encrypted.items()},
            "id_token": ident.tokens["id"],
            "phone_token": ident.phone_tokens.head(n),
            "card_token": ident.tokens["card"],
            "name_masked": ident.masks["name"],
            "id_masked": ident.masks["id"],
            "phone_masked": ident.masks["phone"],
            "gender": label_column(("F", "M"), pop.male),
            "birth_date": pl.Series(birth.astype(np.int32)).cast(pl.Date),
            "age_at_application": age_on(birth, pop.applied_at // US_PER_DAY),
            "province": label_column(_PROVINCES, pop.city),
            "city": label_column(_CITY_NAMES, pop.city),
            "occupation": label_column([o[0] for o in OCCUPATIONS], pop.occupation),
            "income_declared": pop.income_declared.astype(np.float64),
            "employer_id": pl.Series(pop.employer_id).set(pl.Series(pop.employer_id < 0), None),
            "address_id": pop.address_id.astype(np.int64),
            "registered_at": as_datetime(registered_at),
        }
    )


def age_on(birth_day: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Completed years between two day numbers (calendar exact, as on an ID check)."""

    def parts(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Year, and month and day packed so that later in the year compares larger."""
        dd = d.astype("datetime64[D]")
        month = dd.astype("datetime64[M]")
        dom = (dd - month).astype(np.int64)
        return dd.astype("datetime64[Y]").astype(np.int64), (month.astype(np.int64) % 12) * 32 + dom

    by, bmd = parts(birth_day)
    ay, amd = parts(day)
    return (ay - by - (amd < bmd)).astype(np.int64)


def device_ids(rng: np.random.Generator, n_devices: int) -> np.ndarray:
    """Public device id of every device index (shuffled, so ids reveal nothing about owners)."""
    return _DEVICE_ID_BASE + rng.permutation(n_devices).astype(np.int64)


def device_first_seen(
    rng: np.random.Generator, apps: Applications, owner_role: np.ndarray
) -> np.ndarray:
    """First time the platform saw each device: long before for legitimate owners."""
    n_devices = len(owner_role)
    first = np.full(n_devices, np.iinfo(np.int64).max)
    np.minimum.at(first, apps.device, apps.applied_at)
    lead_days = np.where(
        owner_role == Role.LEGIT,
        rng.exponential(LEGIT_DEVICE_LEAD_DAYS, n_devices),
        rng.uniform(0.01, 10.0, n_devices),
    )
    lead_days = np.where(owner_role == Role.PROBING, rng.uniform(0.01, 1.0, n_devices), lead_days)
    seen = first - (lead_days * US_PER_DAY).astype(np.int64)
    return seen - seen % 1_000_000


def applications_frame(
    pop: Population,
    apps: Applications,
    devices,
    device_ids: np.ndarray,
    first_seen: np.ndarray,
    ident: ProtectedIdentities,
) -> pl.DataFrame:
    ip, prefix = ip_strings(apps.ip)
    c = apps.cust
    return pl.DataFrame(
        {
            "application_id": np.arange(1, apps.n + 1, dtype=np.int64),
            "customer_id": (c + 1).astype(np.int64),
            "applied_at": as_datetime(apps.applied_at),
            "channel_id": (apps.channel + 1).astype(np.int64),
            "product_code": label_column(PRODUCT_CODES, apps.product),
            "amount_requested": apps.amount.astype(np.float64),
            "term_months": apps.term.astype(np.int64),
            "device_id": device_ids[apps.device],
            "device_model": devices.model[apps.device],
            "is_emulator": devices.emulator[apps.device],
            "is_rooted": devices.rooted[apps.device],
            "device_first_seen_at": as_datetime(first_seen[apps.device]),
            "ip": ip,
            "ip_prefix24": prefix,
            "gps_lat": apps.lat,
            "gps_lon": apps.lon,
            "geohash6": geohash(apps.lat, apps.lon),
            "declared_city": label_column(_CITY_NAMES, pop.city[c]),
            "ip_city": label_column(_CITY_NAMES, ip_city(apps.ip)),
            "sim_age_days": apps.sim_age.astype(np.int64),
            "id_token": ident.tokens["id"].gather(pl.Series(c)),
            "phone_token": ident.phone_tokens.gather(pl.Series(apps.phone)),
            "card_token": ident.tokens["card"].gather(pl.Series(c)),
            "status": label_column(("rejected", "approved"), apps.approved),
            "reject_reason": pl.Series(
                np.array(REJECT_REASONS)[np.maximum(apps.reject_reason, 0)]
            ).set(pl.Series(apps.approved), None),
            "policy_score": apps.score.astype(np.int64),
        }
    )


def bureau_frame(apps: Applications) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "application_id": np.arange(1, apps.n + 1, dtype=np.int64),
            "customer_id": (apps.cust + 1).astype(np.int64),
            **{k: v for k, v in apps.bureau.items()},
        }
    )


def device_events_frame(ev: dict[str, np.ndarray], device_ids: np.ndarray) -> pl.DataFrame:
    ip, _ = ip_strings(ev["ip"])
    return pl.DataFrame(
        {
            "event_id": np.arange(1, len(ev["ts"]) + 1, dtype=np.int64),
            "customer_id": (ev["cust"] + 1).astype(np.int64),
            "ts": as_datetime(ev["ts"]),
            "device_id": device_ids[ev["device"]],
            "ip": ip,
            "event_type": label_column(EVENT_TYPES, ev["type"]),
        }
    )


def contacts_frame(contacts: Contacts, ident: ProtectedIdentities, n: int) -> pl.DataFrame:
    is_customer = contacts.phone < n
    return pl.DataFrame(
        {
            "customer_id": (contacts.owner + 1).astype(np.int64),
            "contact_phone_token": ident.phone_tokens.gather(pl.Series(contacts.phone)),
            "relation": label_column(RELATIONS, contacts.relation),
            "is_customer_id": pl.Series(contacts.phone + 1).set(pl.Series(~is_customer), None),
        }
    )


def truth_persons_frame(pop: Population, types: FraudTypes) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": np.arange(1, pop.n + 1, dtype=np.int64),
            "income_level": pop.income.astype(np.float64),
            "income_stability": pop.stability,
            "over_indebtedness": pop.over,
            "impulsivity": pop.impulsivity,
            "fraud_intent": pop.fraud_intent,
            "ring_id": pl.Series(pop.ring_id + 1).set(pl.Series(pop.ring_id < 0), None),
            "fraud_type": label_column(types.names, types.code),
        }
    )


def truth_applications_frame(
    pop: Population, apps: Applications, devices: Devices, types: FraudTypes
) -> pl.DataFrame:
    ring = pop.ring_id[apps.cust]
    return pl.DataFrame(
        {
            "application_id": np.arange(1, apps.n + 1, dtype=np.int64),
            "is_fraud": types.is_fraud[apps.cust],
            "fraud_type": label_column(types.names, types.code[apps.cust]),
            "ring_id": pl.Series(ring + 1).set(pl.Series(ring < 0), None),
            "probing_device": devices.owner_role[apps.device] == Role.PROBING,
            "true_pd": apps.true_pd,
        }
    )
