"""The solvers behind binning: histogram tree pre-binning, chi-merge and optimal merging.

They work on per-bin counts only (a few dozen numbers per variable), never on rows, so the
cost of binning a column is one pass of ``np.searchsorted`` + ``np.bincount`` over the data.

``optimal_groups`` is an exact dynamic programme: among all ways to merge adjacent pre-bins
into groups it returns the one with the largest information value such that every group holds
at least ``min_count`` rows and ``min_class`` goods and bads, there are at most ``max_groups`` groups, and the groups' bad rates
follow the requested trend (strictly). IV is a sum of per-group terms, so the best partition
whose last group is ``[i, j)`` extends the best compatible partition ending at ``i``; the bad
rate order only couples neighbours, hence the state (phase, groups used, last start, end).
"""

from __future__ import annotations

import heapq

import numpy as np

from zhudai.scorecard.woe import HALDANE

TRENDS = ("auto", "ascending", "descending", "peak", "valley", "none")


def tree_cuts(total: np.ndarray, bad: np.ndarray, max_leaves: int, min_count: float) -> list[int]:
    """Best-first Gini splits of a fine histogram; returns cut positions (bin boundaries).

    A cut at ``p`` separates fine bins ``[.., p)`` from ``[p, ..)``. Splitting stops at
    ``max_leaves`` leaves or when no split leaves ``min_count`` rows on both sides.
    """

    def impurity(n: np.ndarray, b: np.ndarray) -> np.ndarray:
        return 2.0 * b * (n - b) / np.maximum(n, 1.0)  # an empty node (n = b = 0) is pure

    def best(lo: int, hi: int) -> tuple[float, int] | None:
        if hi - lo < 2:
            return None
        n_cum = np.cumsum(total[lo:hi])
        b_cum = np.cumsum(bad[lo:hi])
        n_all, b_all = n_cum[-1], b_cum[-1]
        n_left, b_left = n_cum[:-1], b_cum[:-1]
        gain = (
            impurity(np.array(n_all), np.array(b_all))
            - impurity(n_left, b_left)
            - impurity(n_all - n_left, b_all - b_left)
        )
        ok = (n_left >= min_count) & (n_all - n_left >= min_count)
        if not ok.any():
            return None
        gain = np.where(ok, gain, -np.inf)
        k = int(np.argmax(gain))
        if gain[k] <= 1e-12:
            return None
        return float(gain[k]), lo + k + 1

    heap: list[tuple[float, int, int, int]] = []
    cuts: list[int] = []

    def push(lo: int, hi: int) -> None:
        found = best(lo, hi)
        if found is not None:
            heapq.heappush(heap, (-found[0], found[1], lo, hi))

    push(0, len(total))
    while heap and len(cuts) + 1 < max_leaves:
        _, cut, lo, hi = heapq.heappop(heap)
        cuts.append(cut)
        push(lo, cut)
        push(cut, hi)
    return sorted(cuts)


def chi_merge(total: np.ndarray, bad: np.ndarray, threshold: float, max_groups: int) -> list[int]:
    """ChiMerge (Kerber 1992): merge the adjacent pair with the smallest chi-square statistic
    until every pair differs at ``threshold`` and at most ``max_groups`` groups remain.

    Returns the cut positions (group boundaries) into the input bins.
    """
    groups = [[float(t), float(b)] for t, b in zip(total, bad, strict=True)]
    bounds = list(range(1, len(groups)))

    def chi2(a: list[float], c: list[float]) -> float:
        n = a[0] + c[0]
        bads = a[1] + c[1]
        goods = n - bads
        if n == 0 or bads == 0 or goods == 0:
            return 0.0
        stat = 0.0
        for row in (a, c):
            for observed, col_total in ((row[1], bads), (row[0] - row[1], goods)):
                expected = row[0] * col_total / n
                if expected > 0:
                    stat += (observed - expected) ** 2 / expected
        return stat

    while len(groups) > 1:
        stats = [chi2(groups[i], groups[i + 1]) for i in range(len(groups) - 1)]
        k = int(np.argmin(stats))
        if stats[k] >= threshold and len(groups) <= max_groups:
            break
        groups[k] = [groups[k][0] + groups[k + 1][0], groups[k][1] + groups[k + 1][1]]
        del groups[k + 1]
        del bounds[k]
    return bounds


def _group_stats(
    total: np.ndarray, bad: np.ndarray, total_good: float, total_bad: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row count, smaller class count, bad rate and IV term of every candidate group ``[i, j)`` as (n+1, n+1) arrays."""
    t = np.r_[0.0, np.cumsum(total)]
    b = np.r_[0.0, np.cumsum(bad)]
    n_g = t[None, :] - t[:, None]
    b_g = b[None, :] - b[:, None]
    g_g = n_g - b_g
    corrected = (g_g <= 0) | (b_g <= 0)
    gc = np.where(corrected, g_g + HALDANE, g_g)
    bc = np.where(corrected, b_g + HALDANE, b_g)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n_g > 0, b_g / n_g, np.nan)
        woe = np.log((gc / total_good) / (bc / total_bad))
        iv = np.where(n_g > 0, (g_g / total_good - b_g / total_bad) * woe, 0.0)
    return n_g, np.minimum(g_g, b_g), rate, iv


def _solve(
    total: np.ndarray,
    bad: np.ndarray,
    total_good: float,
    total_bad: float,
    trend: str,
    min_count: float,
    max_groups: int | None,
    min_class: float,
) -> dict[str, tuple[list[int], float]]:
    """Run one dynamic programme; return the best partition per trend it decides.

    ``peak`` also yields ``ascending`` (partitions that never turned, phase 0) and ``valley``
    also yields ``descending``, so all four trends cost two programmes.
    """
    n = len(total)
    n_g, n_class, rate, iv = _group_stats(total, bad, total_good, total_bad)
    upper = np.triu(np.ones((n + 1, n + 1), dtype=bool), k=1)
    valid = upper & (n_g >= min_count) & (n_g > 0) & (n_class >= min_class)
    r = -rate if trend in ("descending", "valley") else rate
    phases = 2 if trend in ("peak", "valley") else 1
    # With no limit on the number of groups the count dimension collapses to one slot: a
    # partition's count no longer matters, only its last group and phase.
    bounded = max_groups is not None
    k_max = min(max_groups, n) if max_groups is not None else 1
    src = slice(0, k_max - 1) if bounded else slice(0, 1)
    dst = slice(1, k_max) if bounded else slice(0, 1)

    neg = -np.inf
    best = np.full((phases, k_max, n + 1, n + 1), neg)
    arg_h = np.zeros((phases, k_max, n + 1, n + 1), dtype=np.int32)
    arg_p = np.zeros((phases, k_max, n + 1, n + 1), dtype=np.int8)
    best[0, 0, 0, :] = np.where(valid[0], iv[0], neg)
    everything = np.ones((n, n + 1), dtype=bool)

    for i in range(1, n):
        if k_max < 2 and bounded:
            break
        prev = best[:, src, :i, i]  # (phases, k, h): partitions whose last group is [h, i)
        if not np.isfinite(prev).any():
            continue
        r_prev = r[:i, i][:, None]  # bad rate of [h, i)
        r_next = r[i, :][None, :]  # bad rate of [i, j)
        with np.errstate(invalid="ignore"):
            rising = r_prev < r_next if trend != "none" else everything[:i]
            falling = r_prev > r_next
        gain = np.where(valid[i], iv[i], neg)  # (j,)
        # phase 0: every step so far rises (or any step, for "none")
        cand = np.where(rising[None], prev[0][:, :, None], neg)  # (k, h, j)
        best[0, dst, i, :] = cand.max(axis=1) + gain
        arg_h[0, dst, i, :] = cand.argmax(axis=1)
        if phases == 2:
            # phase 1: the turn happened; every later step falls
            both = np.concatenate([prev[0], prev[1]], axis=1)  # (k, 2h)
            cand = np.where(np.concatenate([falling, falling])[None], both[:, :, None], neg)
            a = cand.argmax(axis=1)
            best[1, dst, i, :] = cand.max(axis=1) + gain
            arg_h[1, dst, i, :] = a % i
            arg_p[1, dst, i, :] = a // i

    def backtrack(final: np.ndarray, phase_offset: int) -> tuple[list[int], float]:
        if not np.isfinite(final).any():
            return [], float(iv[0, n])
        p, c, i = (int(v) for v in np.unravel_index(int(np.argmax(final)), final.shape))
        p += phase_offset
        value = float(final.max())
        cuts: list[int] = []
        j = n
        while i > 0:
            cuts.append(i)
            h, pp = int(arg_h[p, c, i, j]), int(arg_p[p, c, i, j])
            j, i, p = i, h, pp
            c = c - 1 if bounded else 0
        return sorted(cuts), value

    out = {trend: backtrack(best[:, :, :, n], 0)}
    if phases == 2:
        out["ascending" if trend == "peak" else "descending"] = backtrack(best[:1, :, :, n], 0)
    return out


def optimal_groups(
    total: np.ndarray,
    bad: np.ndarray,
    total_good: float,
    total_bad: float,
    trend: str,
    min_count: float,
    max_groups: int | None,
    min_class: float = 0,
) -> dict[str, tuple[list[int], float]]:
    """Max-IV merge of adjacent bins under a bad-rate trend: ``{trend: (cut positions, IV)}``.

    ``trend`` is ``ascending`` (bad rate rises with the bin order), ``descending``, ``peak``
    (rises then falls), ``valley`` (falls then rises), ``none``, or ``auto`` (all four
    monotone/turning trends from two programmes). When no partition satisfies the
    constraints, everything is one group.
    """
    if len(total) <= 1:
        return dict.fromkeys(
            ("ascending", "descending", "peak", "valley") if trend == "auto" else (trend,),
            ([], 0.0),
        )
    args = (total, bad, total_good, total_bad)
    limits = (min_count, max_groups, min_class)
    if trend == "auto":
        return _solve(*args, "peak", *limits) | _solve(*args, "valley", *limits)
    return {trend: _solve(*args, trend, *limits)[trend]}
