"""Fraud-ring score of a group of applications (a tie cluster or a community).

Two applications are *strongly tied* when they share at least ``min_shared_values`` linked
attribute values (say a device and a contact) and arrived within ``tie_window_days`` of each
other (see :class:`zhudai.graph.config.GraphConfig`); a *cluster* is a connected group of
strong ties. A black-market ring is several identities tied through devices, IP pools,
organiser phones, a shell employer and shared addresses, arriving within days, often meeting
rejections. A household shares as much but over months; a café's IP or a popular contact
ties nobody strongly; a probing operation cycles identities within minutes and shares no
address or employer. The score reads those differences from a cluster's counts; it is a
transparent logistic formula whose weights were set on generated worlds (development seeds)
and are never fitted on the truth at run time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zhudai.exceptions import InvalidInputError

# Counts every group carries, maintained incrementally by ``GraphIndex`` and computed in batch
# by ``zhudai.graph.batch.group_counts``: the ring score reads only these.
GROUP_COUNTS: tuple[str, ...] = (
    "n_apps",  # applications in the group
    "n_ids",  # distinct submitted ID tokens (people, real or bought)
    "n_devices",  # distinct devices
    "n_ties",  # strong ties between members
    "tie_values",  # shared values summed over those ties
    "tie_spaces",  # bit mask of value spaces (device, ip, phone ...) shared by some tie
    "n_known",  # applications whose decision is known
    "n_rejected",  # of which rejected
    "n_bad",  # applications marked bad (default, confirmed fraud, blacklist)
    "first_day",  # first and last arrival, in days since 1970-01-01
    "last_day",
)

# Bits of the value spaces in ``tie_spaces`` (order fixed: persisted masks depend on it).
SPACES: tuple[str, ...] = ("device", "ip", "phone", "card", "id", "address", "employer")
SPACE_BIT: dict[str, int] = {space: 1 << i for i, space in enumerate(SPACES)}


class _Scalar:
    """The few NumPy functions the score uses, for one group of plain Python numbers
    (a decision-time lookup would spend most of its time in NumPy's scalar overhead)."""

    maximum = staticmethod(max)
    minimum = staticmethod(min)
    log2 = staticmethod(math.log2)

    @staticmethod
    def popcount(mask: float) -> float:
        return float(int(mask).bit_count())

    @staticmethod
    def logistic(z: float) -> float:
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


class _Vector:
    """NumPy versions, for many groups at once."""

    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    log2 = staticmethod(np.log2)

    @staticmethod
    def popcount(mask: np.ndarray) -> np.ndarray:
        return popcount(mask).astype(np.float64)

    @staticmethod
    def logistic(z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-z))


def popcount(mask: np.ndarray | int) -> np.ndarray:
    """Number of set bits of each (small, non-negative) integer mask.

    Examples
    --------
    >>> popcount(np.array([0, 5, 127])).tolist()
    [0, 2, 7]
    """
    m = np.asarray(mask, dtype=np.int64)
    bits = np.zeros(m.shape, dtype=np.int64)
    for shift in range(len(SPACES)):
        bits += (m >> shift) & 1
    return bits


def group_signals(counts: Mapping[str, Any]) -> dict[str, Any]:
    """Signals the ring score reads, from a group's counts.

    Works on plain numbers (one group: returns floats) or on NumPy arrays (one entry per
    group: returns arrays), with the same formulas.

    Returns
    -------
    dict
        ``log2_ids``; ``density`` (ties over member pairs); ``tie_strength`` (shared values
        per tie, capped at 6); ``tie_<space>`` (1 when some tie shares a value of that
        space); ``rejected_share``; ``bad_share``; ``log2_rate`` (log2 of applications per
        day, the span floored at one hour); ``span_30`` (span in days, capped at 30, / 30);
        ``ids_per_device`` (capped at 5); ``oversize`` (log2 of identities beyond
        ``max_ring_ids``, computed by the scorer).
    """
    xp: Any = _Vector if isinstance(counts["n_apps"], np.ndarray) else _Scalar
    n = counts["n_apps"]
    mask = counts["tie_spaces"]
    span = counts["last_day"] - counts["first_day"]
    out = {
        "log2_ids": xp.log2(xp.maximum(counts["n_ids"], 1)),
        "density": counts["n_ties"] / xp.maximum(n * (n - 1) / 2, 1),
        "tie_strength": xp.minimum(counts["tie_values"] / xp.maximum(counts["n_ties"], 1), 6),
        "rejected_share": counts["n_rejected"] / xp.maximum(counts["n_known"], 1),
        "bad_share": counts["n_bad"] / xp.maximum(n, 1),
        "log2_rate": xp.log2(n / xp.maximum(span, 1 / 24)),
        "span_30": xp.minimum(span, 30) / 30,
        "ids_per_device": xp.minimum(counts["n_ids"] / xp.maximum(counts["n_devices"], 1), 5),
        "n_tie_spaces": xp.popcount(mask),
    }
    for space, bit in SPACE_BIT.items():
        out[f"tie_{space}"] = (mask & bit) > 0
    return out


# Weights of the ring score, set from a logistic fit on development worlds (seeds not used
# for evaluation), rounded; see docs/graph.md. Signals not listed weigh 0.
DEFAULT_WEIGHTS: dict[str, float] = {
    "log2_ids": 3.75,
    "density": 3.85,
    "tie_strength": 0.7,
    "rejected_share": 0.95,
    "bad_share": 3.0,
    "log2_rate": -1.25,
    "span_30": -4.5,
    "ids_per_device": 0.45,
    "tie_device": 0.35,
    "tie_ip": 0.8,
    "tie_phone": 0.0,
    "tie_card": 0.75,
    "tie_id": 0.75,
    "tie_address": 0.0,
    "tie_employer": 3.5,
}


@dataclass(frozen=True)
class RingScorer:
    """Logistic ring score in [0, 1] of a group; a group of one identity scores 0.

    ``z = bias + sum(weights[s] * signal[s]) - w_oversize * log2(max(n_ids / max_ring_ids,
    1))`` over the signals of :func:`group_signals`. A group larger than ``max_ring_ids``
    identities is a chain of coincidences rather than one team.

    Examples
    --------
    >>> ring = {"n_apps": 12, "n_ids": 7, "n_devices": 2, "n_ties": 66, "tie_values": 264,
    ...         "tie_spaces": 0b1110111, "n_known": 5, "n_rejected": 4, "n_bad": 0,
    ...         "first_day": 100.0, "last_day": 119.5}
    >>> household = {"n_apps": 4, "n_ids": 2, "n_devices": 2, "n_ties": 4, "tie_values": 12,
    ...              "tie_spaces": 0b0110101, "n_known": 2, "n_rejected": 0, "n_bad": 0,
    ...              "first_day": 0.0, "last_day": 26.0}
    >>> scorer = RingScorer()
    >>> scorer.score(ring) > 0.9 > 0.1 > scorer.score(household)
    True
    """

    bias: float = -19.6
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    max_ring_ids: int = 40
    w_oversize: float = 6.0

    def score(self, counts: Mapping[str, Any]) -> Any:
        """Ring score of the group(s) described by ``counts`` (keys :data:`GROUP_COUNTS`):
        a float for plain numbers, an array for arrays."""
        return self.score_signals(group_signals(counts), counts)

    def score_signals(self, s: Mapping[str, Any], counts: Mapping[str, Any]) -> Any:
        """:meth:`score` from the already computed :func:`group_signals` ``s`` of ``counts``."""
        vector = isinstance(counts["n_apps"], np.ndarray)
        xp: Any = _Vector if vector else _Scalar
        z = self.bias
        for name, weight in self.weights.items():
            if name not in s:
                raise InvalidInputError("weights", f"unknown signal {name!r}")
            z = z + weight * s[name]
        z = z - self.w_oversize * xp.log2(xp.maximum(counts["n_ids"] / self.max_ring_ids, 1.0))
        p = xp.logistic(z)
        if vector:
            return np.where(counts["n_ids"] >= 2, p, 0.0)
        return p if counts["n_ids"] >= 2 else 0.0


def cluster_features(counts: Mapping[str, Any], scorer: RingScorer) -> dict[str, Any]:
    """The ``cluster_*`` applicant features and ``ring_score`` of group(s), for the live
    index (plain numbers) and the batch build (arrays) alike."""
    s = group_signals(counts)
    xp: Any = _Vector if isinstance(counts["n_apps"], np.ndarray) else _Scalar
    span = counts["last_day"] - counts["first_day"]
    return {
        "cluster_size": counts["n_apps"],
        "cluster_ids": counts["n_ids"],
        "cluster_devices": counts["n_devices"],
        "cluster_ties": counts["n_ties"],
        "cluster_density": s["density"],
        "cluster_tie_strength": s["tie_strength"],
        "cluster_tie_spaces": s["n_tie_spaces"],
        "cluster_rejected_share": s["rejected_share"],
        "cluster_bad_count": counts["n_bad"],
        "cluster_span_days": span,
        "cluster_apps_per_day": counts["n_apps"] / xp.maximum(span, 1 / 24),
        "ring_score": scorer.score_signals(s, counts),
    }
