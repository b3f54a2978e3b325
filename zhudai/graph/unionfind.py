"""Union-find (disjoint sets) over integer nodes, grown one node at a time.

Plain Python lists: a decision-time insert touches a handful of nodes, and list indexing is
several times faster than NumPy scalar access for that.
"""

from __future__ import annotations


class UnionFind:
    """Disjoint sets with union by size and path halving (near-constant amortised time).

    Examples
    --------
    >>> uf = UnionFind()
    >>> a, b, c = uf.add(), uf.add(), uf.add()
    >>> root, absorbed = uf.union(a, b)
    >>> uf.find(a) == uf.find(b) != uf.find(c)
    True
    >>> absorbed in (a, b)
    True
    """

    __slots__ = ("_parent", "_size")

    def __init__(self) -> None:
        self._parent: list[int] = []
        self._size: list[int] = []

    def __len__(self) -> int:
        return len(self._parent)

    def add(self) -> int:
        """Create a singleton set and return its node."""
        node = len(self._parent)
        self._parent.append(node)
        self._size.append(1)
        return node

    def find(self, node: int) -> int:
        """Root of ``node``'s set."""
        parent = self._parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(self, a: int, b: int) -> tuple[int, int | None]:
        """Join the sets of ``a`` and ``b``.

        Returns
        -------
        (root, absorbed)
            The surviving root, and the root that was merged into it (``None`` if ``a`` and
            ``b`` were already together), so callers can merge per-set aggregates.
        """
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra, None
        if self._size[ra] < self._size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] += self._size[rb]
        return ra, rb
