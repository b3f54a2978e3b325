"""Array form of a relationship graph, shared by the batch builder and the live index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from zhudai.graph.attributes import ATTRIBUTE_TYPES, VALUE_SPACE

SPACES: tuple[str, ...] = tuple(dict.fromkeys(VALUE_SPACE.values()))
SPACE_BIT: dict[str, int] = {space: 1 << i for i, space in enumerate(SPACES)}

# Every feature ``applicant_features`` returns, in a fixed order.
APPLICANT_FEATURES: tuple[str, ...] = (
    "component_size",
    "component_ids",
    "component_devices",
    "component_density",
    "component_intensity",
    "component_shared_spaces",
    "component_rejected_share",
    "component_bad_count",
    "component_apps_per_30d",
    "component_ring_score",
    *(f"shared_{t.value}_count" for t in ATTRIBUTE_TYPES),
    "shared_types",
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
    ``day`` is arrival in days since 1970-01-01; ``known``/``rejected``/``bad`` are outcomes.
    """

    application_id: list[Any]
    day: np.ndarray
    known: np.ndarray
    rejected: np.ndarray
    bad: np.ndarray
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
