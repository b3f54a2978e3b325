"""Compile a feature set into accumulator slots, and turn filled slots into feature values.

Every engine (batch, online, Spark) computes the same small set of *accumulators* per
application — counts, sums, sums of squares, extremes over (table, filter, window) — and hands
them to :meth:`Plan.finalize`, which derives every feature (mean, std, share, trend slope,
ratios ...) with a handful of vectorised numpy operations. The engines therefore differ only in
how they scan events; the arithmetic that defines a feature exists once.

Windows nest, so the mergeable accumulators are computed per *bucket* of event age (the
events between two consecutive window edges) and summed (or maxed) cumulatively: one scan per
table serves every window. Distinct counts and daily bursts do not merge and are computed per
window directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from zhudai.features.definitions import (
    ALL,
    Agg,
    AggregateFeature,
    EventTable,
    FeatureSet,
    FieldFeature,
    RatioFeature,
)

#: A trend slope is missing unless the events' ages vary: variance at least this share of
#: their mean square age (a standard deviation of 1% of the typical age: about half a day for
#: events some 45 days old). The slope comes from raw sums (``n * sum(a^2) - sum(a)^2``), whose
#: relative rounding error grows as ``1 / share``; below 1e-4 the summation order alone (numpy
#: bincount, the online matrix product, a Spark shuffle) moved slopes of bursts of orders placed
#: minutes apart by up to 1e-7, and such a slope extrapolates noise anyway.
SLOPE_MIN_SPREAD = 1e-4

#: Sums are snapped to this many significant digits before any feature is derived from them.
#: The engines add the same events in different orders (numpy bincount in batch, a matrix
#: product online, a Spark shuffle), so a sum of amounts can come out as 6374.679999999999 in
#: one and 6374.68 in another. A scorecard split placed at a training value (6374.68) then
#: puts the same application in two different bins: found by the live-vs-batch test of the
#: origination pipeline (one application's score moved by 8.4 points). Twelve digits keep
#: every sum of cent amounts below 10^9 exact and absorb any summation-order error.
SUM_DIGITS = 12


def snap(x: np.ndarray, digits: int = SUM_DIGITS) -> np.ndarray:
    """``x`` rounded to ``digits`` significant digits (0, NaN and infinities unchanged).

    Examples
    --------
    >>> snap(np.array([6374.679999999999, 6374.680000000001, 0.1 + 0.2, 0.0])).tolist()
    [6374.68, 6374.68, 0.3, 0.0]
    """
    finite = np.isfinite(x) & (x != 0)
    mag = np.floor(np.log10(np.abs(x, where=finite, out=np.ones_like(x))))
    scale = 10.0 ** (digits - 1 - mag)
    return np.where(finite, np.round(x * scale) / scale, x)


class Stat(StrEnum):
    """An accumulator: a reduction of one per-event value over the events of a filter/window."""

    COUNT = "count"  # sum of 1
    SUM = "sum"  # sum of x
    SUMSQ = "sumsq"  # sum of x^2
    MAX = "max"  # max of x
    MIN = "min"  # min of x
    MIN_AGE = "min_age"  # min of the event's age in days (recency)
    AGE_SUM = "age_sum"  # sum of age
    AGE_SQ = "age_sq"  # sum of age^2
    AGE_X = "age_x"  # sum of age * x
    DISTINCT = "distinct"  # number of distinct x (not mergeable)
    MAX_DAILY = "max_daily"  # largest count on one calendar day (not mergeable)
    FIELD = "field"  # a field feature's value


class Value(StrEnum):
    """The per-event value a mergeable accumulator reduces."""

    ONE = "one"
    X = "x"
    X2 = "x2"
    AGE = "age"
    AGE2 = "age2"
    AGE_X = "age_x"


class Reduce(StrEnum):
    SUM = "sum"
    MAX = "max"
    MIN = "min"


#: For each mergeable accumulator: the per-event value and how it is reduced.
MERGEABLE: dict[Stat, tuple[Value, Reduce]] = {
    Stat.COUNT: (Value.ONE, Reduce.SUM),
    Stat.SUM: (Value.X, Reduce.SUM),
    Stat.SUMSQ: (Value.X2, Reduce.SUM),
    Stat.MAX: (Value.X, Reduce.MAX),
    Stat.MIN: (Value.X, Reduce.MIN),
    Stat.MIN_AGE: (Value.AGE, Reduce.MIN),
    Stat.AGE_SUM: (Value.AGE, Reduce.SUM),
    Stat.AGE_SQ: (Value.AGE2, Reduce.SUM),
    Stat.AGE_X: (Value.AGE_X, Reduce.SUM),
}
#: The accumulators that are sums of non-integer values (snapped, see SUM_DIGITS).
_SUMMED = frozenset({Stat.SUM, Stat.SUMSQ, Stat.AGE_SUM, Stat.AGE_SQ, Stat.AGE_X})
IDENTITY = {Reduce.SUM: 0.0, Reduce.MAX: -np.inf, Reduce.MIN: np.inf}


class Slot(NamedTuple):
    """One accumulator an engine must fill: ``stat`` of ``column`` over a table's filter/window.

    Field slots use ``column`` for the field feature's name and leave filter/window empty.
    """

    stat: Stat
    table: str
    column: str | None
    filter: str
    window: int


class Accumulator(NamedTuple):
    """A mergeable accumulator computed once per age bucket and merged into every window."""

    stat: Stat
    column: str | None
    filter: str

    @property
    def value(self) -> Value:
        return MERGEABLE[self.stat][0]

    @property
    def reduce(self) -> Reduce:
        return MERGEABLE[self.stat][1]


@dataclass(frozen=True)
class TablePlan:
    """What to compute from one event table.

    ``edges`` are the sorted window lengths in days; an event of age ``a`` days (``0 < a <=
    edges[-1]``) falls in bucket ``i``, the number of edges strictly below ``a``; window
    ``edges[k]`` is buckets ``0..k``.
    """

    table: EventTable
    edges: tuple[int, ...]
    accumulators: tuple[Accumulator, ...]
    direct: tuple[Slot, ...]  # distinct counts and daily bursts, one per (filter, window)

    @property
    def filters(self) -> list[str]:
        """Filters any accumulator or direct slot uses, ``all`` first when used."""
        used = {a.filter for a in self.accumulators} | {s.filter for s in self.direct}
        return [f for f in self.table.filters if f in used]

    @property
    def value_columns(self) -> list[str]:
        """Columns read as values (sums, extremes, distinct counts)."""
        cols = {a.column for a in self.accumulators} | {s.column for s in self.direct}
        return sorted(c for c in cols if c is not None)

    @property
    def columns(self) -> list[str]:
        """Every event column the plan reads: entity, time, values and filter columns."""
        conditions = [c for f in self.filters for c in self.table.filters[f].conditions]
        cols = {self.table.entity, self.table.time, *self.value_columns}
        cols |= {c.column for c in conditions if c.column is not None}
        return sorted(cols)


def _recipe(f: AggregateFeature) -> tuple[str, list[Slot]]:
    def slot(stat: Stat, column: str | None = None, fname: str | None = None) -> Slot:
        return Slot(stat, f.table, column, f.filter if fname is None else fname, f.window)

    x = f.column
    single = {
        Agg.COUNT: Stat.COUNT,
        Agg.SUM: Stat.SUM,
        Agg.MAX: Stat.MAX,
        Agg.MIN: Stat.MIN,
        Agg.RECENCY: Stat.MIN_AGE,
        Agg.DISTINCT_COUNT: Stat.DISTINCT,
        Agg.MAX_DAILY_COUNT: Stat.MAX_DAILY,
    }
    if f.agg in single:
        stat = single[f.agg]
        return "copy", [
            slot(stat, x if stat in (Stat.SUM, Stat.MAX, Stat.MIN, Stat.DISTINCT) else None)
        ]
    if f.agg is Agg.MEAN:
        return "mean", [slot(Stat.SUM, x), slot(Stat.COUNT)]
    if f.agg is Agg.STD:
        return "std", [slot(Stat.COUNT), slot(Stat.SUM, x), slot(Stat.SUMSQ, x)]
    if f.agg is Agg.SHARE:
        return "share", [slot(Stat.COUNT), slot(Stat.COUNT, fname=ALL)]
    assert f.agg is Agg.TREND_SLOPE
    return "trend", [
        slot(Stat.COUNT),
        slot(Stat.AGE_SUM),
        slot(Stat.AGE_SQ),
        slot(Stat.SUM, x),
        slot(Stat.AGE_X, x),
    ]


class Plan:
    """A feature set compiled into accumulator slots and vectorised recipes.

    Parameters
    ----------
    feature_set : FeatureSet
        Validated definitions.

    Examples
    --------
    >>> from zhudai.features.definitions import load_feature_set
    >>> plan = Plan(load_feature_set().subset(["orders_mean_amount_30d"]))
    >>> [s.stat.value for s in plan.slots]
    ['count', 'sum']
    """

    def __init__(self, feature_set: FeatureSet) -> None:
        self.feature_set = feature_set
        self.names = feature_set.names
        feature_index = {n: i for i, n in enumerate(self.names)}
        recipes: dict[str, list[tuple[int, list[Slot]]]] = {}
        ratios: list[RatioFeature] = []
        self.fields: dict[str, FieldFeature] = {}
        for i, f in enumerate(feature_set.features):
            if isinstance(f, AggregateFeature):
                kind, slots = _recipe(f)
                recipes.setdefault(kind, []).append((i, slots))
            elif isinstance(f, FieldFeature):
                self.fields[f.name] = f
                recipes.setdefault("copy", []).append(
                    (i, [Slot(Stat.FIELD, f.table, f.name, "", 0)])
                )
            else:
                ratios.append(f)
        self.slots: list[Slot] = sorted(
            {s for items in recipes.values() for _, slots in items for s in slots}
        )
        self.slot_index = {s: k for k, s in enumerate(self.slots)}
        # All recipe inputs are gathered from the slot matrix in one fancy index; recipe kind k
        # reads its j-th input from the columns offsets[j] : offsets[j] + m of that gather.
        self._kinds: list[tuple[str, int, list[int]]] = []
        gather: list[int] = []
        order: list[int] = []
        for kind, items in recipes.items():
            m = len(items)
            offsets = []
            for j in range(len(items[0][1])):
                offsets.append(len(gather))
                gather += [self.slot_index[slots[j]] for _, slots in items]
            self._kinds.append((kind, m, offsets))
            order += [i for i, _ in items]
        self._gather = np.array(gather, dtype=np.intp)
        self._summed = np.array(
            [k for k, slot in enumerate(self.slots) if slot.stat in _SUMMED], dtype=np.intp
        )
        self._order = np.array(order, dtype=np.intp)
        self._ratio_layers = self._layers(ratios, feature_index)
        self.tables = self._table_plans()

    @staticmethod
    def _layers(
        ratios: Sequence[RatioFeature], index: dict[str, int]
    ) -> list[tuple[np.ndarray, ...]]:
        """Ratios in dependency layers (the loader has ruled out cycles)."""
        pending = {r.name: r for r in ratios}
        layers = []
        while pending:
            ready = [
                r
                for r in pending.values()
                if r.numerator not in pending and r.denominator not in pending
            ]
            layers.append(
                tuple(
                    np.array(v, dtype=np.intp)
                    for v in zip(
                        *[(index[r.name], index[r.numerator], index[r.denominator]) for r in ready],
                        strict=True,
                    )
                )
            )
            for r in ready:
                del pending[r.name]
        return layers

    def _table_plans(self) -> dict[str, TablePlan]:
        out = {}
        for name, table in self.feature_set.tables.items():
            slots = [s for s in self.slots if s.table == name and s.stat is not Stat.FIELD]
            if not slots:
                continue
            accumulators = tuple(
                sorted(
                    {Accumulator(s.stat, s.column, s.filter) for s in slots if s.stat in MERGEABLE}
                )
            )
            direct = tuple(s for s in slots if s.stat not in MERGEABLE)
            edges = tuple(sorted({s.window for s in slots}))
            out[name] = TablePlan(table, edges, accumulators, direct)
        return out

    @property
    def field_slots(self) -> list[tuple[int, FieldFeature]]:
        """(slot index, field feature) of every field."""
        return [
            (self.slot_index[Slot(Stat.FIELD, f.table, f.name, "", 0)], f)
            for f in self.fields.values()
        ]

    def empty(self, n: int) -> np.ndarray:
        """An accumulator matrix for ``n`` applications, every slot at its empty value.

        Counts and sums of no events are 0; extremes of no events are missing (NaN).
        """
        a = np.zeros((n, len(self.slots)))
        for k, s in enumerate(self.slots):
            if s.stat in (Stat.MAX, Stat.MIN, Stat.MIN_AGE, Stat.FIELD):
                a[:, k] = np.nan
        return a

    def store_buckets(
        self, a: np.ndarray, table: str, acc: Accumulator, per_bucket: np.ndarray
    ) -> None:
        """Merge per-bucket values ``(n, len(edges))`` of ``acc`` into every window's slot.

        Missing values (NaN) in ``per_bucket`` mean "no event in that bucket".
        """
        tp = self.tables[table]
        identity = IDENTITY[acc.reduce]
        values = np.where(np.isnan(per_bucket), identity, per_bucket)
        if acc.reduce is Reduce.SUM:
            merged = np.cumsum(values, axis=1)
        elif acc.reduce is Reduce.MAX:
            merged = np.maximum.accumulate(values, axis=1)
        else:
            merged = np.minimum.accumulate(values, axis=1)
        merged[np.isinf(merged)] = np.nan
        for k, w in enumerate(tp.edges):
            slot = self.slot_index.get(Slot(acc.stat, table, acc.column, acc.filter, w))
            if slot is not None:
                a[:, slot] = merged[:, k]

    def store_groups(
        self,
        a: np.ndarray,
        table: str,
        acc: Accumulator,
        rows: np.ndarray,
        buckets: np.ndarray,
        values: np.ndarray,
    ) -> None:
        """Merge grouped results (one value per (application row, age bucket) pair) into ``a``."""
        per_bucket = np.full((a.shape[0], len(self.tables[table].edges)), np.nan)
        per_bucket[rows, buckets] = values
        self.store_buckets(a, table, acc, per_bucket)

    def finalize(self, a: np.ndarray) -> np.ndarray:
        """Feature matrix ``(n, n_features)`` from the filled accumulator matrix ``(n, n_slots)``.

        Sums are first snapped to :data:`SUM_DIGITS` significant digits, so every engine
        derives its features from identical numbers.

        Missing values are NaN: a mean, extreme, std, recency or slope of no events, a ratio
        whose denominator is 0 or missing, a field whose value is missing.
        """
        a = a.copy()
        a[:, self._summed] = snap(a[:, self._summed])
        g = a[:, self._gather]
        parts = []
        for kind, m, offsets in self._kinds:
            cols = [g[:, o : o + m] for o in offsets]
            if kind == "copy":
                parts.append(cols[0])
            elif kind == "mean":
                total, count = cols
                parts.append(_divide(total, count, count > 0))
            elif kind == "std":
                count, total, sq = cols
                spread = sq - total * _divide(total, count, count > 0)
                parts.append(np.sqrt(np.maximum(_divide(spread, count - 1, count >= 2), 0.0)))
            elif kind == "share":
                part, whole = cols
                parts.append(_divide(part, whole, whole > 0))
            else:  # trend: slope of x against time (= minus the slope against age)
                count, sa, saa, sx, sax = cols
                denom = count * saa - sa * sa
                ok = (count >= 2) & (denom > SLOPE_MIN_SPREAD * count * saa)
                parts.append(_divide(sa * sx - count * sax, denom, ok))
        out = np.full((a.shape[0], len(self.names)), np.nan)
        if parts:
            out[:, self._order] = np.concatenate(parts, axis=1)
        for idx, num, den in self._ratio_layers:
            d = out[:, den]
            out[:, idx] = _divide(out[:, num], d, (d != 0) & ~np.isnan(d))
        return out


def _divide(num: np.ndarray, den: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """``num / den`` where ``ok``, NaN elsewhere (no division happens there: no warnings)."""
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=ok)
