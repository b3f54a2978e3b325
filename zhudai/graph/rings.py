"""Fraud-ring score of a group of applications (a component or a community).

A black-market ring is several identities worked from a few shared devices, IPs, phones and
addresses in a short burst, often already meeting rejections. Random sharing (a family's
contacts, a café's IP) joins few identities through one attribute, thinly. The score reads
those differences from a group's counts; it is a transparent logistic formula whose weights
were set by looking at generated worlds, never fitted on the truth at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

# Counts every group carries, maintained incrementally by ``GraphIndex`` and computed in batch
# by ``group_stats``: the ring score reads only these.
GROUP_COUNTS: tuple[str, ...] = (
    "n_apps",  # applications in the group
    "n_ids",  # distinct submitted ID tokens (people, real or bought)
    "n_devices",  # distinct devices
    "n_shared_values",  # value nodes joining >= 2 applications of the group
    "shared_attachments",  # links from applications to those shared values
    "shared_spaces",  # bit mask of value spaces (device, ip, ...) with a shared value
    "n_known",  # applications whose decision is known
    "n_rejected",  # of which rejected
    "n_bad",  # applications marked bad (default, confirmed fraud, blacklist)
    "first_day",  # first and last arrival, in days since 1970-01-01
    "last_day",
)


def popcount(mask: np.ndarray | int) -> np.ndarray:
    """Number of set bits of each (small, non-negative) integer mask."""
    m = np.asarray(mask, dtype=np.int64)
    bits = np.zeros(m.shape, dtype=np.int64)
    for shift in range(16):
        bits += (m >> shift) & 1
    return bits


def group_signals(counts: Mapping[str, np.ndarray | float]) -> dict[str, np.ndarray]:
    """Ratios the ring score reads, from a group's counts (vectorised over groups).

    Returns
    -------
    dict
        ``density`` (share of possible application-to-shared-value links present: 1 when every
        member uses every shared value), ``intensity`` (shared links per application),
        ``n_shared_spaces``, ``rejected_share``, ``bad_share``, ``apps_per_30d`` (arrival rate
        over the group's life, floor one day), ``ids_per_device``.
    """
    c = {k: np.asarray(counts[k], dtype=np.float64) for k in GROUP_COUNTS}
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(
            c["n_shared_values"] > 0,
            c["shared_attachments"] / (c["n_apps"] * np.maximum(c["n_shared_values"], 1)),
            0.0,
        )
        intensity = c["shared_attachments"] / np.maximum(c["n_apps"], 1)
        rejected_share = np.where(
            c["n_known"] > 0, c["n_rejected"] / np.maximum(c["n_known"], 1), 0
        )
    span = np.maximum(c["last_day"] - c["first_day"], 1.0)
    return {
        "density": density,
        "intensity": intensity,
        "n_shared_spaces": popcount(np.asarray(counts["shared_spaces"])).astype(np.float64),
        "rejected_share": rejected_share,
        "bad_share": c["n_bad"] / np.maximum(c["n_apps"], 1),
        "apps_per_30d": c["n_apps"] / span * 30.0,
        "ids_per_device": c["n_ids"] / np.maximum(c["n_devices"], 1),
    }


@dataclass(frozen=True)
class RingScorer:
    """Logistic ring score in [0, 1] of a group; a group of one identity scores 0.

    ``z = bias + w_ids*log2(n_ids) + w_density*density + w_intensity*min(intensity, 6)
    + w_spaces*n_shared_spaces + w_rejected*rejected_share + w_bad*bad_share
    + w_rate*log1p(apps_per_30d) + w_ids_per_device*min(ids_per_device, 5)``;
    groups larger than ``max_ring_ids`` identities are penalised (real rings are small teams;
    huge groups are chains of coincidental sharing).

    Examples
    --------
    >>> ring = {"n_apps": 8, "n_ids": 8, "n_devices": 2, "n_shared_values": 4,
    ...         "shared_attachments": 28, "shared_spaces": 0b111, "n_known": 6, "n_rejected": 4,
    ...         "n_bad": 0, "first_day": 100.0, "last_day": 110.0}
    >>> pair = {"n_apps": 2, "n_ids": 2, "n_devices": 2, "n_shared_values": 1,
    ...         "shared_attachments": 2, "shared_spaces": 0b100, "n_known": 2, "n_rejected": 0,
    ...         "n_bad": 0, "first_day": 0.0, "last_day": 300.0}
    >>> scorer = RingScorer()
    >>> float(scorer.score(ring)) > 0.9 > 0.1 > float(scorer.score(pair))
    True
    """

    bias: float = -9.0
    w_ids: float = 1.0
    w_density: float = 1.5
    w_intensity: float = 0.6
    w_spaces: float = 0.6
    w_rejected: float = 2.5
    w_bad: float = 3.0
    w_rate: float = 0.5
    w_ids_per_device: float = 0.6
    max_ring_ids: int = 60
    w_oversize: float = 2.0

    def score(self, counts: Mapping[str, np.ndarray | float]) -> np.ndarray:
        """Ring score of each group described by ``counts`` (keys :data:`GROUP_COUNTS`)."""
        s = group_signals(counts)
        n_ids = np.asarray(counts["n_ids"], dtype=np.float64)
        z = (
            self.bias
            + self.w_ids * np.log2(np.maximum(n_ids, 1))
            + self.w_density * s["density"]
            + self.w_intensity * np.minimum(s["intensity"], 6.0)
            + self.w_spaces * s["n_shared_spaces"]
            + self.w_rejected * s["rejected_share"]
            + self.w_bad * s["bad_share"]
            + self.w_rate * np.log1p(s["apps_per_30d"])
            + self.w_ids_per_device * np.minimum(s["ids_per_device"], 5.0)
            - self.w_oversize * np.log2(np.maximum(n_ids / self.max_ring_ids, 1.0))
        )
        return np.where(n_ids >= 2, 1.0 / (1.0 + np.exp(-z)), 0.0)
