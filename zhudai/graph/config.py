"""The settings that decide which shared attributes link applications into one group."""

from __future__ import annotations

from dataclasses import dataclass, field

from zhudai.exceptions import InvalidInputError
from zhudai.graph.attributes import AttributeType

DEFAULT_LINK_TYPES: frozenset[AttributeType] = frozenset(AttributeType)


@dataclass(frozen=True)
class GraphConfig:
    """Which attachments join applications, and how far a popular value may join them.

    Parameters
    ----------
    link_types : frozenset of AttributeType
        Attachment types that join an application to the group of the value it attaches to.
        Other types still count in the ``shared_<type>_count`` degrees.
    link_cap : int
        A value node joins at most its first ``link_cap`` distinct applications (in arrival
        order). A public IP or a call-centre phone would otherwise chain thousands of
        strangers into one component; the cap keeps batch and incremental results identical,
        because both apply it in arrival order.
    min_shared_values : int
        Two applications are *strongly tied* when they share at least this many linked values
        and arrived within ``tie_window_days``; clusters of strong ties are the ring
        candidates (one shared value is everyday coincidence: a café IP, a popular contact).
    tie_window_days : float
        Longest arrival gap of a strong tie: rings recruit within days, households apply
        months apart.
    resolution : float
        Leiden modularity resolution for communities (higher gives smaller communities).
    seed : int
        Seed of the community detection, so refreshes are reproducible.

    Examples
    --------
    >>> GraphConfig(link_cap=10).link_cap
    10
    """

    link_types: frozenset[AttributeType] = field(default=DEFAULT_LINK_TYPES)
    link_cap: int = 20
    min_shared_values: int = 3
    tie_window_days: float = 30.0
    resolution: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.link_cap, bool) or not isinstance(self.link_cap, int):
            raise InvalidInputError("link_cap", f"must be an integer; got {self.link_cap!r}")
        if self.link_cap < 2:
            raise InvalidInputError("link_cap", f"must be at least 2; got {self.link_cap}")
        if (
            isinstance(self.min_shared_values, bool)
            or not isinstance(self.min_shared_values, int)
            or self.min_shared_values < 1
        ):
            raise InvalidInputError(
                "min_shared_values", f"must be a positive integer; got {self.min_shared_values!r}"
            )
        if not self.tie_window_days > 0:
            raise InvalidInputError(
                "tie_window_days", f"must be positive; got {self.tie_window_days}"
            )
        if not self.resolution > 0:
            raise InvalidInputError("resolution", f"must be positive; got {self.resolution}")
        unknown = [t for t in self.link_types if not isinstance(t, AttributeType)]
        if unknown:
            raise InvalidInputError("link_types", f"unknown attribute types {unknown!r}")
        object.__setattr__(self, "link_types", frozenset(self.link_types))
