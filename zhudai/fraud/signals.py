"""The typed variables of the fraud layer, its cut-offs, and what it hands to policies.

Every signal name below is a stable contract (model features, results columns, trends).
Velocity counts *include* the application being checked, so a first-ever application from a
device has ``dev_apps_24h == 1``.

Numbers decide in one place: :class:`FraudThresholds` says where each rule of the engine fires.
A policy never compares a fraud signal with a number of its own; it reads the engine's hits
through :meth:`FraudResult.policy_inputs` (``fraud.hit.<rule>``) and decides what a hit means
for the application (reject / review, reason code).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypedDict

from zhudai.fraud.lists import ListHit
from zhudai.fraud.probing import ProbingThresholds
from zhudai.fraud.velocity import DAY, HOUR, Agg


class FraudSignals(TypedDict):
    """All fraud signals of one application (numbers; booleans as 0/1 floats for models).

    Device: ``is_emulator``, ``is_rooted``, ``device_age_days`` (since the device was first
    seen), ``sim_age_days``, ``device_handover_days`` (since another identity last applied
    from the device, -1 if none has: a resold phone's hand-over takes months).

    Velocity (see :data:`VELOCITY_SIGNALS` for stream, window and aggregate of each):
    ``dev_*`` per device, ``ip_*`` per IP, ``ip24_*`` per IP /24, ``phone_*`` per phone token,
    ``id_*`` per ID token, ``card_*`` per bank-card token, ``geo_*`` per 6-character geohash,
    ``emp_*`` per declared employer (a ring's shell company fills up within days),
    ``contact_ids_30d`` the most applicants naming one of this applicant's contact phones.

    Geo: ``gps_ip_km`` (GPS to the IP city's centroid), ``gps_declared_km`` (GPS to the declared
    city), ``ip_declared_mismatch`` (IP city differs from declared city), ``travel_km`` and
    ``travel_kmh`` (from the same person's previous application), ``impossible_travel``.

    Probing: ``retry_after_reject`` (same ID, phone or device rejected in the last 7 days),
    ``tweak_count`` (declared fields changed since that rejection: amount, term, product,
    phone, card), ``amount_change_ratio``, ``probing_score`` (0-1).

    Lists: ``black_hits``, ``grey_hits``. Rings (from :mod:`zhudai.graph`, see
    ``docs/graph.md``): ``ring_score`` (the graph's ring score, 0-1), ``ring_size`` (distinct
    identities in the applicant's component) and the ``graph_*`` features of
    :data:`GRAPH_SIGNALS`. Model: ``anomaly_score`` (isolation forest, 0-1, higher is
    stranger), ``fraud_score`` (gradient boosting probability of fraud), ``ring_member_score``
    (gradient boosting probability that the applicant belongs to a fraud ring, from all the
    signals above including the graph's).
    """

    is_emulator: float
    is_rooted: float
    device_age_days: float
    sim_age_days: float
    device_handover_days: float
    dev_apps_1h: float
    dev_apps_24h: float
    dev_ids_24h: float
    dev_ids_7d: float
    dev_ids_30d: float
    dev_phones_7d: float
    dev_cards_7d: float
    dev_rejects_24h: float
    ip_apps_1h: float
    ip_ids_24h: float
    ip_ids_30d: float
    ip_rejects_24h: float
    ip24_apps_1h: float
    ip24_ids_24h: float
    phone_apps_24h: float
    phone_devices_7d: float
    phone_ids_30d: float
    id_apps_24h: float
    id_apps_7d: float
    id_devices_7d: float
    id_phones_30d: float
    id_cards_30d: float
    id_amount_7d: float
    id_rejects_7d: float
    card_ids_30d: float
    geo_apps_1h: float
    geo_ids_24h: float
    geo_ids_30d: float
    emp_ids_7d: float
    emp_ids_30d: float
    contact_ids_30d: float
    gps_ip_km: float
    gps_declared_km: float
    ip_declared_mismatch: float
    travel_km: float
    travel_kmh: float
    impossible_travel: float
    retry_after_reject: float
    tweak_count: float
    amount_change_ratio: float
    probing_score: float
    black_hits: float
    grey_hits: float
    ring_score: float
    ring_size: float
    graph_cluster_devices: float
    graph_cluster_density: float
    graph_cluster_tie_strength: float
    graph_cluster_tie_spaces: float
    graph_cluster_rejected_share: float
    graph_cluster_apps_per_day: float
    graph_shared_device: float
    graph_shared_ip: float
    graph_shared_phone: float
    graph_shared_contact: float
    graph_shared_card: float
    graph_shared_address: float
    graph_shared_employer: float
    graph_shared_types: float
    graph_neighbors_2hop: float
    graph_rejected_1hop: float
    graph_rejected_2hop: float
    graph_community_size: float
    graph_community_ring_score: float
    anomaly_score: float
    fraud_score: float
    ring_member_score: float


# Streams: "<key>.<member>:<key value>", one event per application; rej.* get one per rejection.
# (signal, stream family, window seconds, aggregate)
VELOCITY_SIGNALS: tuple[tuple[str, str, float, Agg], ...] = (
    ("dev_apps_1h", "dev.id", HOUR, Agg.COUNT),
    ("dev_apps_24h", "dev.id", DAY, Agg.COUNT),
    ("dev_ids_24h", "dev.id", DAY, Agg.DISTINCT),
    ("dev_ids_7d", "dev.id", 7 * DAY, Agg.DISTINCT),
    ("dev_ids_30d", "dev.id", 30 * DAY, Agg.DISTINCT),
    ("dev_phones_7d", "dev.phone", 7 * DAY, Agg.DISTINCT),
    ("dev_cards_7d", "dev.card", 7 * DAY, Agg.DISTINCT),
    ("dev_rejects_24h", "rej.dev", DAY, Agg.COUNT),
    ("ip_apps_1h", "ip.id", HOUR, Agg.COUNT),
    ("ip_ids_24h", "ip.id", DAY, Agg.DISTINCT),
    ("ip_ids_30d", "ip.id", 30 * DAY, Agg.DISTINCT),
    ("ip_rejects_24h", "rej.ip", DAY, Agg.COUNT),
    ("ip24_apps_1h", "ip24.id", HOUR, Agg.COUNT),
    ("ip24_ids_24h", "ip24.id", DAY, Agg.DISTINCT),
    ("phone_apps_24h", "phone.id", DAY, Agg.COUNT),
    ("phone_devices_7d", "phone.dev", 7 * DAY, Agg.DISTINCT),
    ("phone_ids_30d", "phone.id", 30 * DAY, Agg.DISTINCT),
    ("id_apps_24h", "id.dev", DAY, Agg.COUNT),
    ("id_apps_7d", "id.dev", 7 * DAY, Agg.COUNT),
    ("id_devices_7d", "id.dev", 7 * DAY, Agg.DISTINCT),
    ("id_phones_30d", "id.phone", 30 * DAY, Agg.DISTINCT),
    ("id_cards_30d", "id.card", 30 * DAY, Agg.DISTINCT),
    ("id_amount_7d", "id.dev", 7 * DAY, Agg.SUM),
    ("id_rejects_7d", "rej.id", 7 * DAY, Agg.COUNT),
    ("card_ids_30d", "card.id", 30 * DAY, Agg.DISTINCT),
    ("geo_apps_1h", "geo.id", HOUR, Agg.COUNT),
    ("geo_ids_24h", "geo.id", DAY, Agg.DISTINCT),
    ("geo_ids_30d", "geo.id", 30 * DAY, Agg.DISTINCT),
    ("emp_ids_7d", "emp.id", 7 * DAY, Agg.DISTINCT),
    ("emp_ids_30d", "emp.id", 30 * DAY, Agg.DISTINCT),
)

# (signal, applicant feature of zhudai.graph's GraphIndex); 0 when no graph is wired in.
GRAPH_SIGNALS: tuple[tuple[str, str], ...] = (
    ("graph_cluster_devices", "cluster_devices"),
    ("graph_cluster_density", "cluster_density"),
    ("graph_cluster_tie_strength", "cluster_tie_strength"),
    ("graph_cluster_tie_spaces", "cluster_tie_spaces"),
    ("graph_cluster_rejected_share", "cluster_rejected_share"),
    ("graph_cluster_apps_per_day", "cluster_apps_per_day"),
    ("graph_shared_device", "shared_device_count"),
    ("graph_shared_ip", "shared_ip_count"),
    ("graph_shared_phone", "shared_phone_count"),
    ("graph_shared_contact", "shared_contact_count"),
    ("graph_shared_card", "shared_card_count"),
    ("graph_shared_address", "shared_address_count"),
    ("graph_shared_employer", "shared_employer_count"),
    ("graph_shared_types", "shared_types"),
    ("graph_neighbors_2hop", "neighbors_2hop"),
    ("graph_rejected_1hop", "rejected_1hop"),
    ("graph_rejected_2hop", "rejected_2hop"),
    ("graph_community_size", "community_size"),
    ("graph_community_ring_score", "community_ring_score"),
)

# Policy input names of the engine's hits: ``fraud.hit.<rule>`` (see FraudResult.policy_inputs).
HIT_PREFIX = "fraud.hit."

# Signals that are outputs of the model, so never its inputs.
MODEL_OUTPUTS = ("anomaly_score", "fraud_score", "ring_member_score")
SIGNAL_NAMES: tuple[str, ...] = tuple(FraudSignals.__annotations__)
MODEL_FEATURES: tuple[str, ...] = tuple(n for n in SIGNAL_NAMES if n not in MODEL_OUTPUTS)


@dataclass(frozen=True)
class FraudThresholds:
    """Where each rule fires: the only place a number decides that a fraud signal fires.

    ``fraud_score`` and ``ring_member_score`` are the model's cut-offs (rules ``fraud_model``
    and ``fraud_ring``, block); ``fraud_score_review`` the lower edge of the model's review
    band (rule ``fraud_model_elevated``: ``fraud_score_review <= fraud_score < fraud_score``);
    ``ring_score`` the graph's (review); the others read as their names say (``*_days``
    minimums, ``*_km`` distances, counts are the level at which a rule fires). The defaults
    serve an engine without a tuned model; a trained :class:`~zhudai.fraud.model.FraudModel`
    carries its own model cut-offs (``zhudai.fraud.thresholds_for(model)``).
    """

    fraud_score: float = 0.5
    fraud_score_review: float = 0.25
    ring_member_score: float = 0.5
    ring_score: float = 0.5
    min_sim_age_days: float = 30.0
    min_device_age_days: float = 1.0
    geo_mismatch_km: float = 300.0
    impossible_kmh: float = 800.0
    impossible_km: float = 300.0
    phone_ids_30d: float = 2.0
    card_ids_30d: float = 2.0
    id_devices_7d: float = 3.0
    contact_ids_30d: float = 5.0
    grey_list_days: float = 30.0
    probing: ProbingThresholds = field(default_factory=ProbingThresholds)


class Severity(StrEnum):
    """How strongly a hit speaks: ``block`` alone marks fraud, ``review`` asks a human."""

    BLOCK = "block"
    REVIEW = "review"
    INFO = "info"


@dataclass(frozen=True)
class FraudHit:
    """One rule that fired, with the words that explain it."""

    rule: str
    severity: Severity
    explanation: str


@dataclass
class FraudResult:
    """The fraud layer's answer for one application.

    ``is_fraud`` is the layer's verdict (a ``block`` hit or ``fraud_score`` at or above the
    engine's threshold); ``probing`` says the probing detector fired.
    """

    application_id: str
    signals: FraudSignals
    hits: list[FraudHit] = field(default_factory=list)
    list_hits: list[ListHit] = field(default_factory=list)
    is_fraud: bool = False
    probing: bool = False
    ring_community: str | None = None

    @property
    def fraud_score(self) -> float:
        return self.signals["fraud_score"]

    @property
    def ring_score(self) -> float:
        return self.signals["ring_score"]

    def policy_inputs(self) -> dict[str, Any]:
        """The decision policy's fraud inputs: what the engine found, not what it measured.

        ``fraud.hit.<rule>`` (boolean) for every rule of :data:`zhudai.fraud.engine.RULES`,
        true when the rule fired under the engine's :class:`FraudThresholds`, plus
        ``fraud.fraud_score`` and ``fraud.ring_member_score`` for display in the decision
        record. A policy decides what a hit means; it holds no fraud cut-off of its own.

        Examples
        --------
        >>> from zhudai.fraud.engine import RULE_NAMES
        >>> signals = {name: 0.0 for name in FraudSignals.__annotations__}
        >>> hit = FraudHit("black_list", Severity.BLOCK, "1 black-list hits")
        >>> inputs = FraudResult("a-1", signals, [hit]).policy_inputs()  # type: ignore[arg-type]
        >>> inputs["fraud.hit.black_list"], inputs["fraud.hit.probing"]
        (True, False)
        >>> len(inputs) == len(RULE_NAMES) + 2
        True
        """
        from zhudai.fraud.engine import RULE_NAMES  # the rules table lives with the engine

        fired = {h.rule for h in self.hits}
        inputs: dict[str, Any] = {f"{HIT_PREFIX}{name}": name in fired for name in RULE_NAMES}
        inputs["fraud.fraud_score"] = float(self.signals["fraud_score"])
        inputs["fraud.ring_member_score"] = float(self.signals["ring_member_score"])
        return inputs

    def reasons(self) -> list[str]:
        """Every explanation, strongest first."""
        order = {Severity.BLOCK: 0, Severity.REVIEW: 1, Severity.INFO: 2}
        return [h.explanation for h in sorted(self.hits, key=lambda h: order[h.severity])]
