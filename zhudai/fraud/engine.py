"""The fraud engine: one call per application, every signal, every hit explained.

``FraudEngine.check(application)`` records the application in the velocity store and answers
all velocity queries in one atomic observation (one round trip on Redis), then adds device,
geo, travel, list, probing, ring and model signals, and applies the rules. After the decision,
``record_outcome(application, rejected)`` feeds rejections back (they drive the
"rejections then retries" signals). Applications must carry the observable columns of the
world's ``applications`` table (``docs/world-tables.md``); ``contact_phone_tokens`` (the
applicant's contact list), ``employer_id`` (the declared employer) and ``ip_city`` are
optional.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from zhudai.exceptions import InvalidInputError
from zhudai.fraud.geo import Gazetteer, IpRegionDatabase, TravelTracker
from zhudai.fraud.handover import NEVER, DeviceHandovers
from zhudai.fraud.lists import FraudLists, KeyType, ListHit, ListKind
from zhudai.fraud.model import FraudModel
from zhudai.fraud.probing import ProbingDetector
from zhudai.fraud.rings import NO_RING, RingScoreModel
from zhudai.fraud.signals import (
    GRAPH_SIGNALS,
    SIGNAL_NAMES,
    VELOCITY_SIGNALS,
    FraudHit,
    FraudResult,
    FraudSignals,
    FraudThresholds,
    Severity,
)
from zhudai.fraud.velocity import DAY, Agg, InMemoryVelocityStore, Query, Update, VelocityStore
from zhudai.settings import get_settings
from zhudai.times import epoch_seconds

# (stream family, key field, member field); an application adds one event to each.
_STREAMS: tuple[tuple[str, str, str], ...] = (
    ("dev.id", "device_id", "id_token"),
    ("dev.phone", "device_id", "phone_token"),
    ("dev.card", "device_id", "card_token"),
    ("ip.id", "ip", "id_token"),
    ("ip24.id", "ip_prefix24", "id_token"),
    ("phone.id", "phone_token", "id_token"),
    ("phone.dev", "phone_token", "device_id"),
    ("id.dev", "id_token", "device_id"),
    ("id.phone", "id_token", "phone_token"),
    ("id.card", "id_token", "card_token"),
    ("card.id", "card_token", "id_token"),
    ("geo.id", "geohash6", "id_token"),
    ("emp.id", "employer_id", "id_token"),
)
_FAMILY_KEY = {family: key for family, key, _ in _STREAMS}
_FAMILY_KEY.update({"rej.dev": "device_id", "rej.id": "id_token", "rej.ip": "ip"})
_REJECT_STREAMS = ("rej.dev", "rej.id", "rej.ip")
_VELOCITY_NAMES = tuple(name for name, *_ in VELOCITY_SIGNALS)
_KEY_FIELDS = tuple({f for _, k, m in _STREAMS for f in (k, m)})
_LIST_KEYS = {
    KeyType.DEVICE: "device_id",
    KeyType.IP: "ip",
    KeyType.IP24: "ip_prefix24",
    KeyType.PHONE: "phone_token",
    KeyType.ID: "id_token",
    KeyType.CARD: "card_token",
    KeyType.GEOHASH: "geohash6",
}


def default_velocity_store() -> VelocityStore:
    """Redis at ``settings.redis_url`` (``ZHUDAI_REDIS_URL``) if set, else the embedded store."""
    url = get_settings().redis_url
    if url:
        from zhudai.fraud.velocity_redis import RedisVelocityStore

        return RedisVelocityStore(url)
    return InMemoryVelocityStore()


# (rule, severity, fires(signals, thresholds), explanation(signals))
_Rule = tuple[
    str, Severity, Callable[[FraudSignals, FraudThresholds], bool], Callable[[FraudSignals], str]
]
RULES: tuple[_Rule, ...] = (
    (
        "emulator",
        Severity.REVIEW,
        lambda s, t: s["is_emulator"] > 0,
        lambda s: "device is an emulator",
    ),
    ("rooted", Severity.INFO, lambda s, t: s["is_rooted"] > 0, lambda s: "device is rooted"),
    (
        "new_sim",
        Severity.INFO,
        lambda s, t: s["sim_age_days"] < t.min_sim_age_days,
        lambda s: (
            "SIM age unknown (no telecom answer)"  # the engine's -1: not a new SIM, an unknown one
            if s["sim_age_days"] < 0
            else f"SIM card active for {s['sim_age_days']:.0f} days"
        ),
    ),
    (
        "new_device",
        Severity.INFO,
        lambda s, t: s["device_age_days"] < t.min_device_age_days,
        lambda s: f"device first seen {s['device_age_days']:.1f} days ago",
    ),
    (
        "phone_shared_by_ids",
        Severity.REVIEW,
        lambda s, t: s["phone_ids_30d"] >= t.phone_ids_30d,
        lambda s: f"phone used by {s['phone_ids_30d']:.0f} identities in 30 days",
    ),
    (
        "card_shared_by_ids",
        Severity.REVIEW,
        lambda s, t: s["card_ids_30d"] >= t.card_ids_30d,
        lambda s: f"bank card used by {s['card_ids_30d']:.0f} identities in 30 days",
    ),
    (
        "id_on_many_devices",
        Severity.REVIEW,
        lambda s, t: s["id_devices_7d"] >= t.id_devices_7d,
        lambda s: f"identity used on {s['id_devices_7d']:.0f} devices in 7 days",
    ),
    (
        "shared_contact",
        Severity.REVIEW,
        lambda s, t: s["contact_ids_30d"] >= t.contact_ids_30d,
        lambda s: f"a contact phone named by {s['contact_ids_30d']:.0f} applicants in 30 days",
    ),
    (
        "geo_mismatch",
        Severity.INFO,
        lambda s, t: s["ip_declared_mismatch"] > 0 and s["gps_declared_km"] > t.geo_mismatch_km,
        lambda s: f"GPS {s['gps_declared_km']:.0f} km from the declared city, IP in another city",
    ),
    (
        "impossible_travel",
        Severity.REVIEW,
        lambda s, t: s["impossible_travel"] > 0,
        lambda s: (
            f"moved {s['travel_km']:.0f} km at {s['travel_kmh']:.0f} km/h since the last application"
        ),
    ),
    (
        "probing",
        Severity.BLOCK,
        lambda s, t: s["probing_score"] >= t.probing.score,
        lambda s: f"probing pattern (score {s['probing_score']:.2f})",
    ),
    (
        "black_list",
        Severity.BLOCK,
        lambda s, t: s["black_hits"] > 0,
        lambda s: f"{s['black_hits']:.0f} black-list hits",
    ),
    (
        "grey_list",
        Severity.REVIEW,
        lambda s, t: s["grey_hits"] > 0,
        lambda s: f"{s['grey_hits']:.0f} grey-list hits",
    ),
    (
        "graph_ring",
        Severity.REVIEW,
        lambda s, t: s["ring_score"] >= t.ring_score,
        lambda s: (
            f"graph: component of {s['ring_size']:.0f} identities scores {s['ring_score']:.2f} as a ring"
        ),
    ),
    (
        "fraud_ring",
        Severity.BLOCK,
        lambda s, t: s["ring_member_score"] >= t.ring_member_score,
        lambda s: (
            f"suspected ring member (model {s['ring_member_score']:.2f}, graph {s['ring_score']:.2f},"
            f" {s['ring_size']:.0f} identities linked)"
        ),
    ),
    (
        "fraud_model",
        Severity.BLOCK,
        lambda s, t: s["fraud_score"] >= t.fraud_score,
        lambda s: f"fraud model score {s['fraud_score']:.2f} (anomaly {s['anomaly_score']:.2f})",
    ),
    (
        "fraud_model_elevated",
        Severity.REVIEW,
        lambda s, t: t.fraud_score_review <= s["fraud_score"] < t.fraud_score,
        lambda s: (
            f"fraud model score {s['fraud_score']:.3f} elevated (in the review band, below the"
            f" block cut-off; anomaly {s['anomaly_score']:.2f})"
        ),
    ),
)
RULE_NAMES: tuple[str, ...] = tuple(rule[0] for rule in RULES)
_SEVERITY = {name: severity for name, severity, _, _ in RULES}


def thresholds_for(
    model: FraudModel | None, base: FraudThresholds | None = None
) -> FraudThresholds:
    """The thresholds to run ``model`` with: ``base`` (default :class:`FraudThresholds`) with
    the model's own cut-offs (``fraud_score``, ``fraud_score_review``, ``ring_member_score``),
    tuned when it was trained and saved beside it, so loading a model gives its thresholds.

    Examples
    --------
    >>> thresholds_for(None).fraud_score == FraudThresholds().fraud_score
    True
    """
    base = base if base is not None else FraudThresholds()
    if model is None:
        return base
    cut = model.cutoffs()
    return replace(
        base,
        fraud_score=cut["fraud_score"],
        fraud_score_review=cut["fraud_score_review"],
        ring_member_score=cut["ring_member_score"],
    )


def result_from_row(row: Mapping[str, Any]) -> FraudResult:
    """A :class:`FraudResult` back from one stored results row (``zhudai.fraud.replay``):
    every signal column, ``hit_<rule>`` for every rule, ``is_fraud_pred``, ``probing_pred``.
    Explanations are not stored, so the hits carry none."""
    missing = [c for c in (*SIGNAL_NAMES, *(f"hit_{name}" for name in RULE_NAMES)) if c not in row]
    if missing:
        raise InvalidInputError(
            "fraud results", f"row has no column {missing[0]!r} ({len(missing)} missing)"
        )
    signals: FraudSignals = {name: float(row[name]) for name in SIGNAL_NAMES}  # type: ignore[assignment]
    hits = [FraudHit(name, _SEVERITY[name], "") for name in RULE_NAMES if row[f"hit_{name}"]]
    return FraudResult(
        str(row.get("application_id")),
        signals,
        hits,
        is_fraud=bool(row.get("is_fraud_pred")),
        probing=bool(row.get("probing_pred")),
    )


class FraudEngine:
    """Every fraud check of one application, in one call.

    Parameters
    ----------
    store : VelocityStore, optional
        Velocity backend; by default Redis when ``settings.redis_url`` is set (shared by API
        workers), else the embedded :class:`InMemoryVelocityStore`.
    lists : FraudLists, optional
        Black/grey lists; the probing detector adds grey entries for devices it catches.
    model : FraudModel, optional
        Fitted fraud model; without it ``fraud_score`` and ``anomaly_score`` are 0.
    ring_scorer : RingScoreModel, optional
        The relationship graph's incremental ring scorer; without it ``ring_score`` is 0.
    ip_database : IpRegionDatabase, optional
        Geolocates IPs when an application carries no ``ip_city``.
    gazetteer : Gazetteer, optional
        City centroids; the shipped table of major Chinese cities by default.
    thresholds : FraudThresholds, optional
    clock : callable, optional
        Arrival time in epoch seconds (wall clock as naive local time); ``None`` trusts
        event times, as replays of history do.
    """

    def __init__(
        self,
        store: VelocityStore | None = None,
        lists: FraudLists | None = None,
        model: FraudModel | None = None,
        ring_scorer: RingScoreModel | None = None,
        ip_database: IpRegionDatabase | None = None,
        gazetteer: Gazetteer | None = None,
        thresholds: FraudThresholds | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.store = store if store is not None else default_velocity_store()
        self.lists = lists if lists is not None else FraudLists()
        self.model: FraudModel | None = None
        self.ring_scorer = ring_scorer
        self.ip_database = ip_database
        self.gazetteer = gazetteer or Gazetteer.default()
        self.thresholds = thresholds or FraudThresholds()
        self.clock = clock
        self.probing = ProbingDetector(self.thresholds.probing)
        self.travel = TravelTracker()
        self.handovers = DeviceHandovers()
        # The state an application is recorded in (velocity, probing, travel, the graph) is
        # changed by one check or feedback at a time: the API decides in a thread pool.
        self._state = threading.RLock()
        self._model_index: list[str] = []
        self.set_model(model, self.thresholds)

    def set_model(self, model: FraudModel | None, thresholds: FraudThresholds) -> None:
        """Swap in a (new) fraud model and the thresholds that go with it; state is kept."""
        self.model = model
        self.thresholds = thresholds
        self.probing.thresholds = thresholds.probing
        self._model_index = [] if model is None else list(model.features)

    # -- the live path -------------------------------------------------------------------
    def check(self, application: Mapping[str, Any]) -> FraudResult:
        """Record ``application`` and return its signals, hits and verdict."""
        with self._state:
            return self._check(application)

    def _check(self, application: Mapping[str, Any]) -> FraudResult:
        app = application
        app_id = str(_required(app, "application_id"))
        ts = epoch_seconds(_required(app, "applied_at"))
        now = self.clock() if self.clock else None
        updates, queries = self._velocity_plan(app)
        obs = self.store.observe(app_id, ts, updates, queries, now=now)
        ts = obs.ts
        values = obs.values
        s: dict[str, float] = dict(zip(_VELOCITY_NAMES, map(float, values), strict=False))
        s["contact_ids_30d"] = float(max(values[len(VELOCITY_SIGNALS) :], default=0.0))
        self._device_signals(app, ts, s)
        self._geo_signals(app, ts, s)

        list_hits = self.lists.hits({kt: _key(app, f) for kt, f in _LIST_KEYS.items()}, ts)
        s["black_hits"] = float(sum(h.kind is ListKind.BLACK for h in list_hits))
        s["grey_hits"] = float(len(list_hits) - s["black_hits"])

        keys = self._probe_keys(app)
        verdict = self.probing.assess(
            ts, keys, _attempt(app), s["dev_ids_7d"], s["ip_ids_24h"], s["dev_rejects_24h"]
        )
        s["retry_after_reject"] = float(verdict.retry_after_reject)
        s["tweak_count"] = float(verdict.tweak_count)
        s["amount_change_ratio"] = verdict.amount_change_ratio
        s["probing_score"] = verdict.score

        ring = self.ring_scorer.observe(app) if self.ring_scorer is not None else NO_RING
        s["ring_score"], s["ring_size"] = float(ring.score), float(ring.size)
        graph = ring.features
        for name, feature in GRAPH_SIGNALS:
            s[name] = float(graph.get(feature) or 0.0)
        s["anomaly_score"] = s["fraud_score"] = s["ring_member_score"] = 0.0
        signals: FraudSignals = s  # type: ignore[assignment]
        if self.model is not None:
            x = np.fromiter((s[f] for f in self._model_index), np.float64, len(self._model_index))
            s["fraud_score"], s["anomaly_score"], s["ring_member_score"] = self.model.score_one(x)
        result = self._verdict(app_id, ts, app, signals, list_hits, verdict.reasons)
        result.ring_community = ring.community
        return result

    def record_outcome(self, application: Mapping[str, Any], rejected: bool) -> None:
        """Feed back the decision on ``application`` (rejections drive retry signals)."""
        with self._state:
            self._record_outcome(application, rejected)

    def add_decided_elsewhere(self, application: Mapping[str, Any], rejected: bool) -> bool:
        """Add to the live graph an application another worker checked and decided (its
        velocity and probing memory are shared already, through Redis); False if the graph
        holds it already."""
        if self.ring_scorer is None:
            return False
        with self._state:
            if not self.ring_scorer.holds(application["application_id"]):
                self.ring_scorer.observe(application)
                self.ring_scorer.record_outcome(application["application_id"], rejected)
                return True
        return False

    def _record_outcome(self, application: Mapping[str, Any], rejected: bool) -> None:
        if self.ring_scorer is not None:
            self.ring_scorer.record_outcome(application["application_id"], rejected)
        if not rejected:
            return
        ts = epoch_seconds(application["applied_at"])
        updates: list[Update] = []
        for family in _REJECT_STREAMS:
            key = _key(application, _FAMILY_KEY[family])
            if key:
                updates.append((f"{family}:{key}", "", 0.0))
        now = self.clock() if self.clock else None
        obs = self.store.observe(
            f"{application['application_id']}:rejected", ts, updates, [], now=now
        )
        self.probing.record_rejection(obs.ts, self._probe_keys(application), _attempt(application))

    def maintain(self, at: Any) -> None:
        """Periodic work as of ``at`` (datetime or epoch seconds): the graph's community
        refresh. Call it from a scheduler (e.g. hourly) — it is kept out of :meth:`check` so
        a refresh never stalls an application."""
        if self.ring_scorer is not None:
            with self._state:
                self.ring_scorer.maintain(epoch_seconds(at, "at"))

    # -- parts ---------------------------------------------------------------------------
    def _velocity_plan(self, app: Mapping[str, Any]) -> tuple[list[Update], list[Query]]:
        keys = {f: _key(app, f) for f in _KEY_FIELDS}
        names = {family: f"{family}:{keys[f] or '-'}" for family, f in _FAMILY_KEY.items()}
        amount = float(app.get("amount_requested") or 0.0)
        updates: list[Update] = [
            (names[family], keys[member_field] or "", amount if family == "id.dev" else 0.0)
            for family, key_field, member_field in _STREAMS
            if keys[key_field]
        ]
        queries: list[Query] = [
            (names[family], window, agg) for _, family, window, agg in VELOCITY_SIGNALS
        ]
        id_token = keys["id_token"] or ""
        for contact in app.get("contact_phone_tokens") or ():
            updates.append((f"contact.id:{contact}", id_token, 0.0))
            queries.append((f"contact.id:{contact}", 30 * DAY, Agg.DISTINCT))
        return updates, queries

    def _device_signals(self, app: Mapping[str, Any], ts: float, s: dict[str, float]) -> None:
        s["is_emulator"] = float(bool(app.get("is_emulator")))
        s["is_rooted"] = float(bool(app.get("is_rooted")))
        first = app.get("device_first_seen_at")
        s["device_age_days"] = (
            0.0
            if first is None
            else max(0.0, (ts - epoch_seconds(first, "device_first_seen_at")) / DAY)
        )
        sim = app.get("sim_age_days")
        s["sim_age_days"] = -1.0 if sim is None else float(sim)
        device, person = _key(app, "device_id"), _key(app, "id_token")
        s["device_handover_days"] = (
            self.handovers.days_since_other(device, person, ts) if device and person else NEVER
        )

    def _geo_signals(self, app: Mapping[str, Any], ts: float, s: dict[str, float]) -> None:
        lat, lon = app.get("gps_lat"), app.get("gps_lon")
        declared = app.get("declared_city")
        ip_city = app.get("ip_city")
        if ip_city is None and self.ip_database is not None and app.get("ip"):
            region = self.ip_database.lookup(str(app["ip"]))
            ip_city = region.city if region else None
        s["ip_declared_mismatch"] = float(bool(ip_city and declared and ip_city != declared))
        s["gps_ip_km"] = s["gps_declared_km"] = -1.0
        s["travel_km"] = s["travel_kmh"] = s["impossible_travel"] = 0.0
        if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
            return
        gaz = self.gazetteer
        s["gps_ip_km"] = _or(gaz.distance_km(ip_city, lat, lon), -1.0)
        s["gps_declared_km"] = _or(gaz.distance_km(declared, lat, lon), -1.0)
        person = _key(app, "id_token")
        if person:
            km, kmh = self.travel.speed_kmh(person, ts, lat, lon)
            th = self.thresholds
            s["travel_km"], s["travel_kmh"] = km, kmh
            s["impossible_travel"] = float(km >= th.impossible_km and kmh >= th.impossible_kmh)

    @staticmethod
    def _probe_keys(app: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(
            f"{name}:{v}"
            for name, f in (("id", "id_token"), ("phone", "phone_token"), ("device", "device_id"))
            if (v := _key(app, f))
        )

    def _verdict(
        self,
        app_id: str,
        ts: float,
        app: Mapping[str, Any],
        signals: FraudSignals,
        list_hits: list[ListHit],
        probing_reasons: tuple[str, ...],
    ) -> FraudResult:
        th = self.thresholds
        hits = self._hits(signals, list_hits, probing_reasons)
        probing = signals["probing_score"] >= th.probing.score
        device = _key(app, "device_id")
        if (
            probing
            and device
            and not self.lists.is_listed(KeyType.DEVICE, device, ts, ListKind.GREY)
        ):
            self.lists.add(
                ListKind.GREY,
                KeyType.DEVICE,
                device,
                source="probing_detector",
                reason=f"probing pattern at application {app_id}",
                since=ts,
                until=ts + th.grey_list_days * DAY,
            )
        is_fraud = any(h.severity == Severity.BLOCK for h in hits)
        return FraudResult(app_id, signals, hits, list_hits, is_fraud, probing)

    def _hits(
        self, signals: FraudSignals, list_hits: list[ListHit], probing_reasons: tuple[str, ...]
    ) -> list[FraudHit]:
        """Every rule that fires on ``signals`` under the thresholds, then the list entries."""
        th = self.thresholds
        hits = [
            FraudHit(name, sev, explain(signals))
            for name, sev, fires, explain in RULES
            if fires(signals, th)
        ]
        hits = [
            FraudHit(h.rule, h.severity, f"{h.explanation}: {'; '.join(probing_reasons)}")
            if h.rule == "probing" and probing_reasons
            else h
            for h in hits
        ]
        return hits + [
            FraudHit(f"{h.kind.value}_list_entry", Severity.INFO, h.explain()) for h in list_hits
        ]

    def rescore(self, result: FraudResult, updates: Mapping[str, float]) -> FraudResult:
        """``result`` again with device signals learnt after the check (the live pipeline
        checks before it buys data, then learns the SIM age from the telecom provider): the
        model and the rules are re-applied; nothing is recorded twice (velocity, probing
        memory, the graph and the lists already hold the application).

        Examples
        --------
        >>> from datetime import datetime
        >>> engine = FraudEngine()
        >>> first = engine.check({"application_id": 1, "applied_at": datetime(2025, 1, 1)})
        >>> "new_sim" in [h.rule for h in first.hits]
        True
        >>> "new_sim" in [h.rule for h in engine.rescore(first, {"sim_age_days": 400.0}).hits]
        False
        """
        s: dict[str, float] = {**result.signals, **updates}  # type: ignore[dict-item]
        if self.model is not None:
            x = np.fromiter((s[f] for f in self._model_index), np.float64, len(self._model_index))
            s["fraud_score"], s["anomaly_score"], s["ring_member_score"] = self.model.score_one(x)
        signals: FraudSignals = s  # type: ignore[assignment]
        earlier = {h.rule: h for h in result.hits}
        hits = [
            earlier["probing"] if h.rule == "probing" and "probing" in earlier else h
            for h in self._hits(signals, result.list_hits, ())
        ]
        return FraudResult(
            result.application_id,
            signals,
            hits,
            result.list_hits,
            any(h.severity == Severity.BLOCK for h in hits),
            result.probing,
            result.ring_community,
        )


def _required(app: Mapping[str, Any], name: str) -> Any:
    value = app.get(name)
    if value is None:
        raise InvalidInputError(name, "is required by the fraud check")
    return value


def _key(app: Mapping[str, Any], name: str) -> str | None:
    value = app.get(name)
    return None if value is None or value == "" else str(value)


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _attempt(app: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "amount": app.get("amount_requested") or 0.0,
        "term": app.get("term_months") or 0,
        "product": app.get("product_code") or "",
        "phone": app.get("phone_token") or "",
        "card": app.get("card_token") or "",
    }
