"""``generate_world``: draw the whole world and write one Parquet file per table.

Each part of the world draws from its own random stream (``SeedSequence([seed, part])``), so
changing one part's code does not reshuffle the others, and the same seed, keys and
parameters give byte-identical files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from zhudai.exceptions import InvalidInputError
from zhudai.settings import Settings, get_settings
from zhudai.world import spending
from zhudai.world.applications import (
    REJECT_REASONS,
    Applications,
    build_applications,
    build_context,
    build_devices,
)
from zhudai.world.catalog import (
    CITIES,
    OCCUPATIONS,
    PRODUCT_CODES,
    channels_table,
    funders_table,
    products_table,
)
from zhudai.world.collection import ACTION_TYPES
from zhudai.world.events import EVENT_TYPES, device_events, registration_times
from zhudai.world.geo import geohash, ip_city, ip_strings
from zhudai.world.identity import (
    IdentityProtector,
    card_numbers,
    chinese_names,
    id_numbers,
    phone_numbers,
)
from zhudai.world.params import WorldParams
from zhudai.world.population import FRAUD_TYPE_NAMES, Population, Role, build_population
from zhudai.world.relations import RELATIONS, PhoneSpace, build_contacts
from zhudai.world.repayment import REPAYMENT_METHODS, Book, book_loans, repayment_rows
from zhudai.world.sampling import sort_order
from zhudai.world.timeutil import US_PER_DAY, add_months_us, as_date, as_datetime
from zhudai.world.transcripts import (
    VIOLATIONS,
    assign_violations,
    call_times,
    durations,
    transcript_texts,
)
from zhudai.world.writer import BlockWriter, label_column, write_table

MANIFEST = "world.json"
_CITY_NAMES = np.array([c[1] for c in CITIES])
_PROVINCES = np.array([c[0] for c in CITIES])
_DEVICE_ID_BASE = 1_000_000


class _Streams:
    """Independent random generators, one per part of the world."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, part: str, *more: int) -> np.random.Generator:
        code = int.from_bytes(part.encode()[:8].ljust(8, b"\0"), "little")
        return np.random.default_rng([self.seed, code, *more])


@dataclass
class _Identity:
    """Protected identifier columns (plaintext never leaves :func:`_identities`)."""

    tokens: dict[str, pl.Series]
    phone_tokens: pl.Series  # one per phone index (own, extra, contacts)
    masks: dict[str, pl.Series]
    encrypted: dict[str, pl.Series]
    birth_day: np.ndarray


def default_world_dir(n_customers: int, seed: int, settings: Settings | None = None) -> Path:
    """``<home>/worlds/world-<n>-<seed>``: where a world goes when no folder is given."""
    return (settings or get_settings()).home / "worlds" / f"world-{n_customers}-{seed}"


def generate_world(
    n_customers: int,
    seed: int,
    months: int = 12,
    out_dir: str | Path | None = None,
    params: WorldParams | None = None,
) -> Path:
    """Generate a world of ``n_customers`` and write it to ``out_dir``; return the folder.

    ``months`` is the length of the e-commerce and card history before each application.
    Observable tables go to ``DIR/<table>.parquet``, ground truth to ``DIR/truth/``, and a
    manifest (seed, parameters, observation date, row counts) to ``DIR/world.json``.

    Examples
    --------
    >>> import tempfile
    >>> d = generate_world(300, seed=1, out_dir=tempfile.mkdtemp())
    >>> (d / "applications.parquet").exists(), (d / "truth" / "persons.parquet").exists()
    (True, True)
    """
    _check_int("n_customers", n_customers, 1, 50_000_000)
    _check_int("seed", seed, 0, 2**63 - 1)
    _check_int("months", months, 1, 60)
    params = params or WorldParams()
    out = Path(out_dir) if out_dir is not None else default_world_dir(n_customers, seed)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    rng = _Streams(seed)
    obs_us = add_months_us(params.start, params.application_months + params.outcome_months)

    pop = build_population(rng("people"), n_customers, params)
    devices, cust_device = build_devices(rng("devices"), pop)
    ctx = build_context(rng("context"), pop, cust_device)
    apps = build_applications(rng("applications"), pop, ctx, devices, params)
    registered_at = registration_times(rng("register"), pop)
    book = book_loans(rng("loans"), pop, apps, obs_us)

    n_app_extra = int(max(apps.phone.max() + 1 - n_customers, 0))
    space = PhoneSpace(
        n_customers, n_app_extra, pop.n_rings, pop.n_probe_ops, max(10, n_customers // 50)
    )
    contacts = build_contacts(rng("contacts"), pop, params, space)
    ident = _identities(rng("identity"), pop, space.random + contacts.n_random)

    counts: dict[str, int] = {}
    counts["channels"] = write_table(channels_table(), out / "channels.parquet")
    counts["products"] = write_table(products_table(), out / "products.parquet")
    counts["funders"] = write_table(funders_table(), out / "funders.parquet")
    counts["customers"] = write_table(
        _customers(pop, ident, registered_at), out / "customers.parquet"
    )
    device_ids = _device_ids(rng("device-ids"), apps.device, len(devices.model))
    first_seen = _device_first_seen(rng("first-seen"), apps, devices.owner_role, len(devices.model))
    counts["applications"] = write_table(
        _applications(pop, apps, devices, device_ids, first_seen, ident),
        out / "applications.parquet",
    )
    counts["bureau"] = write_table(_bureau(apps), out / "bureau.parquet")
    counts.update(_spending(seed, pop, months, params, out))
    ev = device_events(rng("events"), pop, apps, registered_at)
    counts["device_events"] = write_table(_events(ev, device_ids), out / "device_events.parquet")
    counts["contacts"] = write_table(
        _contacts(contacts, ident, n_customers), out / "contacts.parquet"
    )
    counts.update(_book_tables(rng, pop, apps, book, ident, obs_us, params, out))
    counts["truth/persons"] = write_table(_truth_persons(pop), out / "truth" / "persons.parquet")
    counts["truth/applications"] = write_table(
        _truth_applications(pop, apps, devices), out / "truth" / "applications.parquet"
    )

    manifest = {
        "customers": n_customers,
        "seed": seed,
        "months": months,
        "observation_date": str(
            (np.datetime64(obs_us, "us") - np.timedelta64(1, "D")).astype("datetime64[D]")
        ),
        "params": params.model_dump(mode="json"),
        "rows": counts,
    }
    (out / MANIFEST).write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    return out


def observation_date(world_dir: str | Path) -> date:
    """The last day observed in a generated world (from its manifest)."""
    manifest = json.loads((Path(world_dir) / MANIFEST).read_text())
    return date.fromisoformat(manifest["observation_date"])


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidInputError(name, f"must be an integer; got {type(value).__name__}")
    if not low <= int(value) <= high:
        raise InvalidInputError(name, f"must be between {low:,} and {high:,}; got {value}")


def _identities(rng: np.random.Generator, pop: Population, n_phones: int) -> _Identity:
    """Plaintext identifiers, turned into tokens, masks and ciphertexts at once."""
    region = np.array([c[2] for c in CITIES])[pop.hukou_city]
    applied_day = pop.applied_at // US_PER_DAY
    birth = applied_day - (pop.age * 365.25 + rng.uniform(0, 364, pop.n)).astype(np.int64)
    ids = id_numbers(rng, region, birth.astype("datetime64[D]"), pop.male)
    phones = phone_numbers(rng, n_phones)
    cards = card_numbers(rng, pop.n)
    names = chinese_names(rng, pop.n)
    own_phones = phones[: pop.n]
    protect = IdentityProtector()

    def col(values: list[str]) -> pl.Series:
        return pl.Series(values, dtype=pl.Utf8)

    return _Identity(
        tokens={"id": col(protect.tokens("id", ids)), "card": col(protect.tokens("card", cards))},
        phone_tokens=col(protect.tokens("phone", phones)),
        masks={
            "id": col(protect.masks("id", ids)),
            "phone": col(protect.masks("phone", own_phones)),
            "name": col(protect.masks("name", names)),
        },
        encrypted={
            "id_enc": col(protect.encrypted("id_enc", ids)),
            "phone_enc": col(protect.encrypted("phone_enc", own_phones)),
            "card_enc": col(protect.encrypted("card_enc", cards)),
            "name_enc": col(protect.encrypted("name_enc", names)),
        },
        birth_day=birth,
    )


def _customers(pop: Population, ident: _Identity, registered_at: np.ndarray) -> pl.DataFrame:
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
            "age_at_application": _age_on(birth, pop.applied_at // US_PER_DAY),
            "province": label_column(_PROVINCES, pop.city),
            "city": label_column(_CITY_NAMES, pop.city),
            "occupation": label_column([o[0] for o in OCCUPATIONS], pop.occupation),
            "income_declared": pop.income_declared.astype(np.float64),
            "employer_id": pl.Series(pop.employer_id).set(pl.Series(pop.employer_id < 0), None),
            "address_id": pop.address_id.astype(np.int64),
            "registered_at": as_datetime(registered_at),
        }
    )


def _age_on(birth_day: np.ndarray, day: np.ndarray) -> np.ndarray:
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


def _device_ids(rng: np.random.Generator, used: np.ndarray, n_devices: int) -> np.ndarray:
    """Public device id of every device index (shuffled, so ids reveal nothing about owners)."""
    return _DEVICE_ID_BASE + rng.permutation(n_devices).astype(np.int64)


def _device_first_seen(
    rng: np.random.Generator, apps: Applications, owner_role: np.ndarray, n_devices: int
) -> np.ndarray:
    """First time the platform saw each device: long before for legitimate owners."""
    first = np.full(n_devices, np.iinfo(np.int64).max)
    np.minimum.at(first, apps.device, apps.applied_at)
    lead_days = np.where(
        owner_role == Role.LEGIT,
        rng.exponential(400.0, n_devices),
        rng.uniform(0.01, 10.0, n_devices),
    )
    lead_days = np.where(owner_role == Role.PROBING, rng.uniform(0.01, 1.0, n_devices), lead_days)
    seen = first - (lead_days * US_PER_DAY).astype(np.int64)
    return seen - seen % 1_000_000


def _applications(
    pop: Population,
    apps: Applications,
    devices,
    device_ids: np.ndarray,
    first_seen: np.ndarray,
    ident: _Identity,
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


def _bureau(apps: Applications) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "application_id": np.arange(1, apps.n + 1, dtype=np.int64),
            "customer_id": (apps.cust + 1).astype(np.int64),
            **{k: v for k, v in apps.bureau.items()},
        }
    )


def _spending(
    seed: int, pop: Population, months: int, params: WorldParams, out: Path
) -> dict[str, int]:
    """Orders and card transactions, written block by block."""
    orders = BlockWriter(out / "orders.parquet")
    txns = BlockWriter(out / "card_txns.parquet")
    for b, lo in enumerate(range(0, pop.n, spending.BLOCK)):
        traits = spending.Traits(pop, np.arange(lo, min(lo + spending.BLOCK, pop.n)), months)
        orders.write(
            spending.orders_block(
                _Streams(seed)("orders", b), traits, params.orders_per_year, orders.rows + 1
            )
        )
        txns.write(
            spending.card_txns_block(
                _Streams(seed)("cardtxns", b), traits, params.card_txns_per_year, txns.rows + 1
            )
        )
    return {"orders": orders.close(), "card_txns": txns.close()}


def _events(ev: dict[str, np.ndarray], device_ids: np.ndarray) -> pl.DataFrame:
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


def _contacts(contacts, ident: _Identity, n: int) -> pl.DataFrame:
    is_customer = contacts.phone < n
    return pl.DataFrame(
        {
            "customer_id": (contacts.owner + 1).astype(np.int64),
            "contact_phone_token": ident.phone_tokens.gather(pl.Series(contacts.phone)),
            "relation": label_column(RELATIONS, contacts.relation),
            "is_customer_id": pl.Series(contacts.phone + 1).set(pl.Series(~is_customer), None),
        }
    )


def _book_tables(
    rng: _Streams,
    pop: Population,
    apps: Applications,
    book: Book,
    ident: _Identity,
    obs_us: int,
    params: WorldParams,
    out: Path,
) -> dict[str, int]:
    """Loans, installments, repayments, collection actions and call transcripts (+ truth)."""
    counts: dict[str, int] = {}
    n_loans = len(book.loan_app)
    loan_ids = np.arange(1, n_loans + 1, dtype=np.int64)
    counts["loans"] = write_table(
        pl.DataFrame(
            {
                "loan_id": loan_ids,
                "application_id": (book.loan_app + 1).astype(np.int64),
                "customer_id": (apps.cust[book.loan_app] + 1).astype(np.int64),
                "funder_id": (book.funder + 1).astype(np.int64),
                "product_code": label_column(PRODUCT_CODES, apps.product[book.loan_app]),
                "booked_at": as_datetime(book.booked_at - book.booked_at % 1_000_000),
                "principal": book.principal.astype(np.float64),
                "apr": book.apr.astype(np.float64),
                "term_months": book.term.astype(np.int64),
                "repayment_method": label_column(REPAYMENT_METHODS, book.method),
            }
        ),
        out / "loans.parquet",
    )
    unpaid = book.paid_day < 0
    counts["installments"] = write_table(
        pl.DataFrame(
            {
                "loan_id": loan_ids[book.inst_loan],
                "installment_no": book.inst_no.astype(np.int64),
                "due_date": as_date(book.due_day * US_PER_DAY),
                "principal_due": book.principal_due,
                "interest_due": book.interest_due,
                "paid_date": as_date(np.maximum(book.paid_day, 0) * US_PER_DAY).set(
                    pl.Series(unpaid), None
                ),
                "paid_amount": book.paid_amount,
                "dpd": book.dpd.astype(np.int64),
            }
        ),
        out / "installments.parquet",
    )
    r_loan, r_at, r_amount = repayment_rows(rng("repayments"), book)
    order = sort_order(r_at // 1_000_000, r_loan)
    counts["repayments"] = write_table(
        pl.DataFrame(
            {
                "repayment_id": np.arange(1, len(r_loan) + 1, dtype=np.int64),
                "loan_id": loan_ids[r_loan[order]],
                "paid_at": as_datetime(r_at[order]),
                "amount": r_amount[order],
            }
        ),
        out / "repayments.parquet",
    )
    counts.update(_collections(rng, pop, apps, book, ident, obs_us, params, out, loan_ids))
    return counts


def _collections(
    rng: _Streams,
    pop: Population,
    apps: Applications,
    book: Book,
    ident: _Identity,
    obs_us: int,
    params: WorldParams,
    out: Path,
    loan_ids: np.ndarray,
) -> dict[str, int]:
    w, ep = book.worked, book.episodes
    e = w.action_episode
    is_call = (w.action_type == 2) | (w.action_type == 3)
    calls = np.flatnonzero(is_call)
    r = rng("transcripts")
    collector, violation = assign_violations(
        r, w.action_type[calls] == 3, w.contacted[calls], params.violation_share
    )
    started = call_times(r, w.action_ts[calls], violation)
    ts = w.action_ts - w.action_ts % 1_000_000
    ts[calls] = started
    cure_day = np.where(w.cure_dpd[e] >= 0, ep.due_day[e] + w.cure_dpd[e], -1)
    gap = cure_day - ts // US_PER_DAY
    paid7 = (cure_day >= 0) & (gap >= 0) & (gap <= 7) & (cure_day < obs_us // US_PER_DAY)
    last_idx = np.full(len(ep.loan), -1)
    np.maximum.at(last_idx, e, np.arange(len(e)))  # actions are appended slot by slot
    is_last = np.zeros(len(e), bool)
    is_last[last_idx[last_idx >= 0]] = True
    recovered = np.where(paid7 & is_last, book.episode_paid_amount[e], 0.0)
    order = sort_order(ts // 1_000_000, e)
    action_id = np.empty(len(e), np.int64)
    action_id[order] = np.arange(1, len(e) + 1)
    loan_of_action = loan_ids[ep.loan[e]]
    counts = {
        "collection_actions": write_table(
            pl.DataFrame(
                {
                    "action_id": action_id[order],
                    "loan_id": loan_of_action[order],
                    "ts": as_datetime(ts[order]),
                    "action_type": label_column(ACTION_TYPES, w.action_type[order]),
                    "dpd_at_action": w.action_dpd[order],
                    "contacted": w.contacted[order],
                    "promise_to_pay": w.promise[order],
                    "paid_within_7d": paid7[order],
                    "amount_recovered": np.round(recovered[order], 2),
                }
            ),
            out / "collection_actions.parquet",
        )
    }
    cust = apps.cust[book.loan_app[ep.loan[e[calls]]]]
    due_rows = _installment_amount(book, ep.loan[e[calls]], ep.due_day[e[calls]])
    owed = due_rows * (1 + w.action_dpd[calls] // 30)
    text = transcript_texts(
        r,
        violation,
        w.contacted[calls],
        w.promise[calls],
        w.action_dpd[calls],
        owed,
        ident.masks["name"].gather(pl.Series(cust)),
        ident.masks["phone"].gather(pl.Series(cust)),
    )
    call_order = sort_order(started // 1_000_000, action_id[calls])
    call_id = np.arange(1, len(calls) + 1, dtype=np.int64)
    counts["call_transcripts"] = write_table(
        pl.DataFrame(
            {
                "call_id": call_id,
                "loan_id": loan_of_action[calls][call_order],
                "action_id": action_id[calls][call_order],
                "collector_id": collector[call_order],
                "started_at": as_datetime(started[call_order]),
                "duration_s": durations(r, w.contacted[calls], violation)[call_order],
                "text": text.gather(pl.Series(call_order, dtype=pl.Int64)),
            }
        ),
        out / "call_transcripts.parquet",
    )
    counts["truth/transcripts"] = write_table(
        pl.DataFrame(
            {"call_id": call_id, "violation": label_column(VIOLATIONS, violation[call_order])}
        ),
        out / "truth" / "transcripts.parquet",
    )
    return counts


def _installment_amount(book: Book, loan: np.ndarray, due_day: np.ndarray) -> np.ndarray:
    """Principal plus interest of the installment of ``loan`` due on ``due_day``."""
    key = book.inst_loan * 1_000_000 + book.due_day
    order = np.argsort(key)
    pos = order[np.searchsorted(key[order], loan * 1_000_000 + due_day)]
    return book.principal_due[pos] + book.interest_due[pos]


def _truth_persons(pop: Population) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": np.arange(1, pop.n + 1, dtype=np.int64),
            "income_level": pop.income.astype(np.float64),
            "income_stability": pop.stability,
            "over_indebtedness": pop.over,
            "impulsivity": pop.impulsivity,
            "fraud_intent": pop.fraud_intent,
            "ring_id": pl.Series(pop.ring_id + 1).set(pl.Series(pop.ring_id < 0), None),
            "fraud_type": label_column(FRAUD_TYPE_NAMES, pop.role),
        }
    )


def _truth_applications(pop: Population, apps: Applications, devices) -> pl.DataFrame:
    role = pop.role[apps.cust]
    ring = pop.ring_id[apps.cust]
    return pl.DataFrame(
        {
            "application_id": np.arange(1, apps.n + 1, dtype=np.int64),
            "is_fraud": role != Role.LEGIT,
            "fraud_type": label_column(FRAUD_TYPE_NAMES, role),
            "ring_id": pl.Series(ring + 1).set(pl.Series(ring < 0), None),
            "probing_device": devices.owner_role[apps.device] == Role.PROBING,
            "true_pd": apps.true_pd,
        }
    )


__all__ = ["MANIFEST", "default_world_dir", "generate_world", "observation_date"]
