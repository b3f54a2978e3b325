"""``generate_world``: draw the whole world and write one Parquet file per table.

Each part of the world draws from its own random stream (``SeedSequence([seed, part])``), so
changing one part's code does not reshuffle the others, and the same seed, keys and
parameters give byte-identical files.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from zhudai.exceptions import InvalidInputError
from zhudai.features.report import LABELS_FILE
from zhudai.settings import Settings, get_settings
from zhudai.world import hidden, shocks, spending, tables
from zhudai.world.applications import build_applications, build_context, build_devices
from zhudai.world.book_tables import write_book_tables
from zhudai.world.catalog import channels_table, funders_table, products_table
from zhudai.world.events import device_events, registration_times
from zhudai.world.identity import protected_identities
from zhudai.world.labels import credit_labels
from zhudai.world.params import WorldParams
from zhudai.world.population import Population, build_population
from zhudai.world.relations import PhoneSpace, build_contacts
from zhudai.world.repayment import book_loans
from zhudai.world.timeutil import add_months_us
from zhudai.world.writer import BlockWriter, write_table

MANIFEST = "world.json"


class _Streams:
    """Independent random generators, one per part of the world."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, part: str, *more: int) -> np.random.Generator:
        code = int.from_bytes(part.encode()[:8].ljust(8, b"\0"), "little")
        return np.random.default_rng([self.seed, code, *more])


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
    plan = hidden.plan_hidden(rng("hidden"), pop, params)
    shocks.shock_population(
        rng("shocks"), pop, params.start, params.macro_shock, params.channel_shift
    )
    devices, cust_device = build_devices(rng("devices"), pop)
    devices = hidden.disguise_devices(plan, pop, devices, cust_device)
    ctx = build_context(rng("context"), pop, cust_device)
    hidden.disguise_context(plan, pop, ctx)
    apps = build_applications(rng("applications"), pop, ctx, devices, params)
    hidden.relocate(plan, pop, ctx, apps)
    apps.true_pd = shocks.shocked_pd(
        apps.true_pd, apps.cust, apps.applied_at, pop, params.start, params.macro_shock
    )
    registered_at = hidden.registrations(plan, pop, registration_times(rng("register"), pop))
    book = book_loans(rng("loans"), pop, apps, obs_us)

    n_app_extra = int(max(apps.phone.max() + 1 - n_customers, 0))
    space = PhoneSpace(
        n_customers, n_app_extra, pop.n_rings, pop.n_probe_ops, max(10, n_customers // 50)
    )
    contacts = build_contacts(rng("contacts"), pop, params, space)
    contacts = hidden.agent_contacts(plan, contacts, space.random + contacts.n_random)
    n_phones = space.random + contacts.n_random + plan.n_agents
    ident = protected_identities(rng("identity"), pop, n_phones)

    counts: dict[str, int] = {}
    counts["channels"] = write_table(channels_table(), out / "channels.parquet")
    counts["products"] = write_table(products_table(), out / "products.parquet")
    counts["funders"] = write_table(funders_table(), out / "funders.parquet")
    counts["customers"] = write_table(
        tables.customers_frame(pop, ident, registered_at), out / "customers.parquet"
    )
    device_ids = tables.device_ids(rng("device-ids"), len(devices.model))
    first_seen = hidden.first_seen(
        plan, apps, tables.device_first_seen(rng("first-seen"), apps, devices.owner_role)
    )
    counts["applications"] = write_table(
        tables.applications_frame(pop, apps, devices, device_ids, first_seen, ident),
        out / "applications.parquet",
    )
    counts["bureau"] = write_table(tables.bureau_frame(apps), out / "bureau.parquet")
    counts.update(_spending(seed, pop, months, params, out, plan))
    ev = device_events(rng("events"), pop, apps, registered_at)
    counts["device_events"] = write_table(
        tables.device_events_frame(ev, device_ids), out / "device_events.parquet"
    )
    counts["contacts"] = write_table(
        tables.contacts_frame(contacts, ident, n_customers), out / "contacts.parquet"
    )
    counts["phones"] = write_table(
        pl.DataFrame({"phone_token": ident.phone_tokens, "phone_enc": ident.phone_ciphertexts}),
        out / "phones.parquet",
    )
    counts.update(
        write_book_tables(
            rng("repayments"), rng("transcripts"), apps, book, ident, obs_us, params, out
        )
    )
    types = hidden.fraud_types(plan, pop)
    counts["truth/persons"] = write_table(
        tables.truth_persons_frame(pop, types), out / "truth" / "persons.parquet"
    )
    counts["truth/applications"] = write_table(
        tables.truth_applications_frame(pop, apps, devices, types),
        out / "truth" / "applications.parquet",
    )

    manifest = {
        "customers": n_customers,
        "seed": seed,
        "months": months,
        "observation_date": str(
            (np.datetime64(obs_us, "us") - np.timedelta64(1, "D")).astype("datetime64[D]")
        ),
        "params": params.model_dump(mode="json", exclude_none=True),  # shocks only when on
        "rows": counts,
    }
    (out / MANIFEST).write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    # the bank's "bad" flags, handed over with its files (derived from them; see labels.py)
    credit_labels(out).write_parquet(out / LABELS_FILE)
    return out


def population_of(world_dir: str | Path) -> tuple[Population, WorldParams, int]:
    """The people of a generated world, rebuilt from its manifest with the same streams (for
    simulations that ask them something new, e.g. a cross-sell offer), its params and seed."""
    manifest = json.loads((Path(world_dir) / MANIFEST).read_text())
    params = WorldParams.model_validate(manifest["params"])
    rng = _Streams(int(manifest["seed"]))
    pop = build_population(rng("people"), int(manifest["customers"]), params)
    hidden.plan_hidden(rng("hidden"), pop, params)
    shocks.shock_population(
        rng("shocks"), pop, params.start, params.macro_shock, params.channel_shift
    )
    return pop, params, int(manifest["seed"])


def observation_date(world_dir: str | Path) -> date:
    """The last day observed in a generated world (from its manifest)."""
    manifest = json.loads((Path(world_dir) / MANIFEST).read_text())
    return date.fromisoformat(manifest["observation_date"])


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidInputError(name, f"must be an integer; got {type(value).__name__}")
    if not low <= int(value) <= high:
        raise InvalidInputError(name, f"must be between {low:,} and {high:,}; got {value}")


def _spending(
    seed: int,
    pop: Population,
    months: int,
    params: WorldParams,
    out: Path,
    plan: hidden.HiddenPlan,
) -> dict[str, int]:
    """Orders and card transactions, written block by block."""
    orders = BlockWriter(out / "orders.parquet")
    txns = BlockWriter(out / "card_txns.parquet")
    for b, lo in enumerate(range(0, pop.n, spending.BLOCK)):
        block = np.arange(lo, min(lo + spending.BLOCK, pop.n))
        traits = spending.Traits(pop, block, months, _Streams(seed)("tastes", b))
        hidden.built_up(plan, traits)
        order_block = spending.orders_block(
            _Streams(seed)("orders", b), traits, params.orders_per_year, orders.rows + 1
        )
        txn_block = spending.card_txns_block(
            _Streams(seed)("cardtxns", b), traits, params.card_txns_per_year, txns.rows + 1
        )
        orders.write(shocks.damp_spending(order_block, pop, params.start, params.macro_shock))
        txns.write(shocks.damp_spending(txn_block, pop, params.start, params.macro_shock))
    return {"orders": orders.close(), "card_txns": txns.close()}


__all__ = ["MANIFEST", "default_world_dir", "generate_world", "observation_date"]
