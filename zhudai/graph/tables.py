"""Array form of a relationship graph, shared by the batch builder and the live index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from zhudai.graph.attributes import ATTRIBUTE_TYPES

# Every feature ``applicant_features`` returns, in a fixed order.
APPLICANT_FEATURES: tuple[str, ...] = (
    "component_size",
    "component_ids",
    "cluster_size",
    "cluster_ids",
    "cluster_devices",
    "cluster_ties",
    "cluster_density",
    "cluster_tie_strength",
    "cluster_tie_spaces",
    "cluster_rejected_share",
    "cluster_bad_count",
    "cluster_span_days",
    "cluster_apps_per_day",
    *(f"shared_{t.value}_count" for t in ATTRIBUTE_TYPES),
    "shared_types",
    "strong_ties",
    "neighbors_1hop",
    "neighbors_2hop",
    "rejected_1hop",
    "rejected_2hop",
    "bad_1hop",
    "bad_2hop",
    "community_id",
    "community_size",
    "community_ring_score",
    "ring_score",
)


@dataclass
class GraphTables:
    """Applications in arrival order and the attachments that join them into groups.

    ``link_app[i]`` (an application position) is joined to ``link_value[i]`` (a value
    position); ``value_space[j]`` names value ``j``'s space (``device``, ``ip``, ``phone`` ...).
    ``day`` is arrival in days since 1970-01-01; ``known``/``rejected``/``bad`` are outcomes;
    ``id_value``/``device_value`` are each application's ID and device value (-1 if none).
    """

    application_id: list[Any]
    day: np.ndarray
    known: np.ndarray
    rejected: np.ndarray
    bad: np.ndarray
    id_value: np.ndarray
    device_value: np.ndarray
    value_space: list[str]
    link_app: np.ndarray
    link_value: np.ndarray

    @property
    def n_apps(self) -> int:
        """Number of applications."""
        return len(self.application_id)

    @property
    def n_values(self) -> int:
        """Number of value nodes."""
        return len(self.value_space)
