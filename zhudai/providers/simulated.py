"""Simulated external providers answering from a generated world's observable tables.

They let the live pipeline run, be measured and be replayed end to end without vendor
contracts: each answers exactly what the world knew at the query's ``as_of`` (point in time),
and each can be given a latency and a failure rate so the call policy is exercised under the
conditions seen in production.

Only the observable Parquet tables of ``docs/world-tables.md`` are read (with polars; nothing
of the generator is imported and the ground truth is never opened). World times are naive
Asia/Shanghai wall clock; a query's aware ``as_of`` is converted to it, and event times are
returned as ISO 8601 strings with the ``+08:00`` offset.

Each table is read once into in-memory indexes, so a lookup is a dict access plus a binary
search over one person's events (O(log n + k) for the k events returned), never a scan:

* applications per ``id_token`` and per ``phone_token``: times sorted, for "the application of
  that identity at ``as_of`` (the one at exactly ``as_of``, else the latest before)";
* orders and card transactions sorted by (customer, time), with each customer's slice.

Simulated behaviour is deterministic: latency and failure of attempt *n* for an application
come from a hash of (seed, provider, application_id, n), so a replay fails and waits on the
same calls.
"""

from __future__ import annotations

import hashlib
import threading
import time
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from zhudai.exceptions import InvalidInputError
from zhudai.providers.base import ProviderCall, ProviderQuery, ProviderStatus
from zhudai.providers.config import ProvidersConfig, load_providers_config
from zhudai.providers.hub import ProviderHub
from zhudai.times import epoch_micros

BUREAU_FIELDS = (
    "past_overdue_count",
    "max_past_dpd",
    "open_loans",
    "total_open_balance",
    "inquiries_30d",
)
MULTI_LENDING_FIELDS = ("multi_lending_30d", "multi_lending_90d", "multi_lending_180d")
ORDER_FIELDS = ("ts", "category", "amount", "n_items", "is_installment")
CARD_FIELDS = ("ts", "mcc_category", "amount", "channel", "is_cash_withdrawal")


def _iso_local(col: str) -> pl.Expr:
    """A naive Asia/Shanghai datetime column as ISO 8601 text with ``+08:00``, like
    ``datetime.isoformat()`` (microseconds only when non-zero)."""
    c = pl.col(col)
    return (
        pl.when(c.dt.microsecond() == 0)
        .then(c.dt.strftime("%Y-%m-%dT%H:%M:%S"))
        .otherwise(c.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f"))
        + "+08:00"
    )


class _TimeIndex:
    """Rows grouped by a key, each group's times sorted: "latest row at or before t" in O(log n)."""

    __slots__ = ("_groups",)

    def __init__(self, keys: list[str], times: list[int], rows: list[int]) -> None:
        groups: dict[str, tuple[list[int], list[int]]] = {}
        for key, t, row in zip(keys, times, rows, strict=True):  # input sorted by (key, t, row)
            g = groups.get(key)
            if g is None:
                groups[key] = ([t], [row])
            else:
                g[0].append(t)
                g[1].append(row)
        self._groups = groups

    def at_or_before(self, key: str | None, t: int) -> int | None:
        """The row at exactly ``t`` if any (the last of ties), else the latest before; or None."""
        if key is None:
            return None
        g = self._groups.get(key)
        if g is None:
            return None
        i = bisect_right(g[0], t) - 1
        return g[1][i] if i >= 0 else None


class _EventIndex:
    """One person's events in time order, as slices of parallel column lists."""

    __slots__ = ("_fields", "_columns", "_times", "_spans")

    def __init__(self, frame: pl.DataFrame, fields: tuple[str, ...]) -> None:
        frame = frame.sort("customer_id", "ts", maintain_order=True)
        self._fields = fields
        self._times: list[int] = frame["ts"].cast(pl.Int64).to_list()
        text = frame.with_columns(_iso_local("ts").alias("ts"))
        self._columns = [text[f].to_list() for f in fields]
        ids = frame["customer_id"].to_numpy()
        starts: list[int] = []
        ends: list[int] = []
        if len(ids):  # each customer's rows are one run of the sorted ids
            first = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
            starts, ends = first.tolist(), np.r_[first[1:], len(ids)].tolist()
        self._spans: dict[int, tuple[int, int]] = {
            int(ids[s]): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)
        }

    def before(self, customer_id: int | None, t: int) -> list[dict[str, Any]]:
        """The customer's events strictly before ``t``, oldest first (fresh dicts)."""
        if customer_id is None:
            return []
        span = self._spans.get(customer_id)
        if span is None:
            return []
        start, end = span
        stop = bisect_left(self._times, t, start, end)
        columns = [c[start:stop] for c in self._columns]
        if len(self._fields) == 5:  # orders and card_txns: a dict display is 3x dict(zip())
            k0, k1, k2, k3, k4 = self._fields
            return [
                {k0: v0, k1: v1, k2: v2, k3: v3, k4: v4}
                for v0, v1, v2, v3, v4 in zip(*columns, strict=True)
            ]
        return [
            dict(zip(self._fields, values, strict=True)) for values in zip(*columns, strict=True)
        ]


class WorldRecords:
    """The observable tables a data vendor would hold, indexed for point-in-time lookups.

    Use :meth:`load`; every lookup takes ``t`` in microseconds of the world's wall clock
    (see :func:`_local_us`).
    """

    def __init__(
        self,
        *,
        apps_by_id: _TimeIndex,
        apps_by_phone: _TimeIndex,
        bureau_rows: list[dict[str, Any] | None],
        sim_age_days: list[int | None],
        customer_by_id: dict[str, int],
        customer_by_card: dict[str, int],
        phone_id_pairs: set[tuple[str, str]],
        ip_city: dict[str, str],
        orders: _EventIndex,
        card_txns: _EventIndex,
    ) -> None:
        self.apps_by_id = apps_by_id
        self.apps_by_phone = apps_by_phone
        self.bureau_rows = bureau_rows
        self.sim_age_days = sim_age_days
        self.customer_by_id = customer_by_id
        self.customer_by_card = customer_by_card
        self.phone_id_pairs = phone_id_pairs
        self.ip_city = ip_city
        self.orders = orders
        self.card_txns = card_txns

    @classmethod
    def load(cls, world_dir: str | Path) -> WorldRecords:
        """Read the observable tables of ``world_dir`` once and build the indexes."""
        root = Path(world_dir)
        tables = {}
        for table in ("applications", "bureau", "customers", "orders", "card_txns"):
            path = root / f"{table}.parquet"
            if not path.is_file():
                raise InvalidInputError("world_dir", f"{root} has no {table}.parquet")
            tables[table] = pl.read_parquet(path)
        apps = (
            tables["applications"]
            .select(
                "application_id",
                "applied_at",
                "id_token",
                "phone_token",
                "ip",
                "ip_city",
                "sim_age_days",
            )
            .with_columns(pl.col("applied_at").cast(pl.Int64).alias("t"))
            .with_row_index("row")
        )
        bureau = (
            apps.select("row", "application_id")
            .join(tables["bureau"], on="application_id", how="left")
            .sort("row")
        )
        rows: list[dict[str, Any] | None] = [
            None
            if r["customer_id"] is None
            else {f: r[f] for f in (*BUREAU_FIELDS, *MULTI_LENDING_FIELDS)}
            for r in bureau.iter_rows(named=True)
        ]

        def time_index(key: str) -> _TimeIndex:
            s = apps.filter(pl.col(key).is_not_null()).sort(key, "t", "row")
            return _TimeIndex(s[key].to_list(), s["t"].to_list(), s["row"].to_list())

        cities = (
            apps.filter(pl.col("ip").is_not_null())
            .group_by("ip")
            .agg(pl.col("ip_city").sort_by("t").last())
        )
        customers = tables["customers"]
        return cls(
            apps_by_id=time_index("id_token"),
            apps_by_phone=time_index("phone_token"),
            bureau_rows=rows,
            sim_age_days=apps["sim_age_days"].to_list(),
            customer_by_id=dict(zip(customers["id_token"], customers["customer_id"], strict=True)),
            customer_by_card={
                k: v
                for k, v in zip(customers["card_token"], customers["customer_id"], strict=True)
                if k is not None
            },
            phone_id_pairs=set(zip(customers["phone_token"], customers["id_token"], strict=True)),
            ip_city=dict(zip(cities["ip"], cities["ip_city"], strict=True)),
            orders=_EventIndex(tables["orders"], ORDER_FIELDS),
            card_txns=_EventIndex(tables["card_txns"], CARD_FIELDS),
        )


class SimulatedProvider:
    """A world-backed provider with a deterministic latency and failure rate.

    Parameters
    ----------
    world : WorldRecords
        The indexed world (shared by all simulated providers).
    latency_ms : float, default 0
        Mean latency; an attempt sleeps uniformly in [0.5, 1.5] x the mean. 0 means instant:
        the provider is then ``inline`` (called on the caller's thread).
    failure_rate : float, default 0
        Share of attempts that raise ``ConnectionError``.
    seed : int, default 0
        Salt of the latency and failure hashes.
    """

    name: str = "simulated"

    def __init__(
        self,
        world: WorldRecords,
        *,
        latency_ms: float = 0.0,
        failure_rate: float = 0.0,
        seed: int = 0,
    ) -> None:
        if not 0.0 <= failure_rate <= 1.0:
            raise InvalidInputError("failure_rate", f"must be in [0, 1]; got {failure_rate!r}")
        if latency_ms < 0:
            raise InvalidInputError("latency_ms", f"must be >= 0; got {latency_ms!r}")
        self.world = world
        self.latency_ms = float(latency_ms)
        self.failure_rate = float(failure_rate)
        self.seed = int(seed)
        self.inline = self.latency_ms == 0.0
        self._attempts: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(latency_ms={self.latency_ms:g}, "
            f"failure_rate={self.failure_rate:g}, seed={self.seed})"
        )

    def unit(self, application_id: str, attempt: int, salt: str) -> float:
        """A uniform number in [0, 1) fixed by (seed, provider, application, attempt, salt)."""
        key = f"{self.seed}|{self.name}|{application_id}|{attempt}|{salt}".encode()
        return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2.0**64

    def fetch(self, query: ProviderQuery) -> tuple[ProviderStatus, dict[str, Any] | None]:
        """Wait and maybe fail as configured, then answer from the world as of ``query.as_of``."""
        if self.latency_ms or self.failure_rate:
            attempt = self._next_attempt(query.application_id)
            if self.latency_ms:
                wait_ms = self.latency_ms * (
                    0.5 + self.unit(query.application_id, attempt, "latency")
                )
                time.sleep(wait_ms / 1000.0)
            if (
                self.failure_rate
                and self.unit(query.application_id, attempt, "failure") < self.failure_rate
            ):
                raise ConnectionError(
                    f"simulated {self.name} outage (application {query.application_id}, attempt {attempt})"
                )
        data = self.lookup(query, epoch_micros(query.as_of))
        if data is None:
            return ProviderStatus.NO_RECORD, None
        return ProviderStatus.DATA, data

    def lookup(self, query: ProviderQuery, t: int) -> dict[str, Any] | None:
        """The payload for ``query`` at world time ``t`` (microseconds), or None for no record."""
        raise NotImplementedError

    def _next_attempt(self, application_id: str) -> int:
        """1 for the first attempt on this application, 2 for its retry, ..."""
        with self._lock:
            n = self._attempts.pop(application_id, 0) + 1
            self._attempts[application_id] = n
            if len(self._attempts) > 100_000:  # a replay of millions stays bounded
                self._attempts.popitem(last=False)
        return n


class SimulatedBureau(SimulatedProvider):
    """Credit bureau summary of the identity's application at ``as_of`` (key: ``id_token``)."""

    name = "bureau"
    fields: tuple[str, ...] = BUREAU_FIELDS

    def lookup(self, query: ProviderQuery, t: int) -> dict[str, Any] | None:
        row = self.world.apps_by_id.at_or_before(query.id_token, t)
        record = None if row is None else self.world.bureau_rows[row]
        return None if record is None else {f: record[f] for f in self.fields}


class SimulatedMultiLending(SimulatedBureau):
    """多头 counts (30/90/180 days) of the identity's application at ``as_of``."""

    name = "multi_lending"
    fields = MULTI_LENDING_FIELDS


class SimulatedEcommerce(SimulatedProvider):
    """E-commerce orders of the customer with that ``id_token``, strictly before ``as_of``."""

    name = "ecommerce"

    def lookup(self, query: ProviderQuery, t: int) -> dict[str, Any] | None:
        events = self.world.orders.before(self.world.customer_by_id.get(query.id_token), t)
        return {"orders": events} if events else None


class SimulatedCard(SimulatedProvider):
    """Card transactions of the card's holder (else of the identity), strictly before ``as_of``."""

    name = "card"

    def lookup(self, query: ProviderQuery, t: int) -> dict[str, Any] | None:
        world = self.world
        customer = world.customer_by_card.get(query.card_token) if query.card_token else None
        if customer is None:
            customer = world.customer_by_id.get(query.id_token)
        events = world.card_txns.before(customer, t)
        return {"card_txns": events} if events else None


class SimulatedTelecom(SimulatedProvider):
    """运营商 check: SIM age at the phone's application at ``as_of``, and phone-ID match."""

    name = "telecom"

    def lookup(self, query: ProviderQuery, t: int) -> dict[str, Any] | None:
        phone = query.phone_token
        row = self.world.apps_by_phone.at_or_before(phone, t)
        if row is None or phone is None:
            return None
        return {
            "sim_age_days": self.world.sim_age_days[row],
            "phone_matches_id": (phone, query.id_token) in self.world.phone_id_pairs,
        }


class SimulatedIpGeo(SimulatedProvider):
    """City of an IP address, as seen on the world's applications (key: ``ip``)."""

    name = "ip_geo"

    def lookup(self, query: ProviderQuery, t: int) -> dict[str, Any] | None:
        city = self.world.ip_city.get(query.ip) if query.ip else None
        return None if city is None else {"ip_city": city}


#: The simulated provider of each configured source, in the config's order.
SIMULATED_PROVIDERS: dict[str, type[SimulatedProvider]] = {
    "bureau": SimulatedBureau,
    "multi_lending": SimulatedMultiLending,
    "ecommerce": SimulatedEcommerce,
    "card": SimulatedCard,
    "telecom": SimulatedTelecom,
    "ip_geo": SimulatedIpGeo,
}


def simulated_calls(
    world: WorldRecords | str | Path,
    config: ProvidersConfig | dict[str, Any] | str | Path | None = None,
    seed: int = 0,
) -> dict[str, ProviderCall]:
    """A :class:`ProviderCall` per configured provider over simulated, world-backed sources."""
    records = world if isinstance(world, WorldRecords) else WorldRecords.load(world)
    cfg = load_providers_config(config)
    calls: dict[str, ProviderCall] = {}
    for name, s in cfg.providers().items():
        provider = SIMULATED_PROVIDERS[name](
            records, latency_ms=s.latency_ms, failure_rate=s.failure_rate, seed=seed
        )
        calls[name] = ProviderCall(
            provider,
            cost_per_call=s.cost_per_call,
            timeout_ms=s.timeout_ms,
            retries=s.retries,
            cache_ttl_s=s.cache_ttl_s,
        )
    return calls


def build_simulated_hub(
    world_dir: WorldRecords | str | Path,
    config: ProvidersConfig | dict[str, Any] | str | Path | None = None,
    seed: int = 0,
) -> ProviderHub:
    """A :class:`ProviderHub` of every configured provider, simulated over ``world_dir``.

    ``world_dir`` may also be an already loaded :class:`WorldRecords`, so several hubs
    (e.g. one per seed) share one set of indexes.
    """
    return ProviderHub(simulated_calls(world_dir, config, seed))
