"""Online features for one applicant at decision time: numpy over the applicant's own events.

Each event table is compiled once into a kernel. At request time the kernel reads the events
into a few small arrays and computes every accumulator of every filter and window with a
handful of matrix operations: a (filter x window) x events mask matrix times an events x values
matrix gives all counts and sums at once; extremes, distinct counts and daily bursts take one
call each. :meth:`~zhudai.features.plan.Plan.finalize` then derives the features exactly as
the batch engine does, so the two agree to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from zhudai.exceptions import InvalidInputError
from zhudai.features.definitions import (
    Condition,
    ConditionKind,
    FeatureSet,
    FieldFeature,
    Transform,
)
from zhudai.features.frames import null_values_error
from zhudai.features.plan import (
    MERGEABLE,
    Plan,
    Reduce,
    Stat,
    TablePlan,
    Value,
)
from zhudai.features.schema import EVENT_TABLES, Kind
from zhudai.times import EPOCH, ONE_MICROSECOND, US_PER_DAY, US_PER_HOUR, epoch_micros

_ONE_DAY = timedelta(days=1)

#: An applicant's events of one table: rows (mappings), a polars frame, or columns (a mapping
#: of column name to values, the time column as int64 microseconds of the local wall clock).
Events = Sequence[Mapping[str, Any]] | pl.DataFrame | Mapping[str, Sequence[Any] | np.ndarray]
Columns = dict[str, np.ndarray]


def numpy_condition(cond: Condition, time_col: str) -> Callable[[Columns], np.ndarray]:
    """A condition as a function of the event columns (time as int64 microseconds)."""
    if cond.kind is ConditionKind.WEEKEND:
        if cond.flag:  # 1970-01-01 was a Thursday: (days + 3) % 7 is 0 on Mondays
            return lambda cols: (cols[time_col] // US_PER_DAY + 3) % 7 >= 5
        return lambda cols: (cols[time_col] // US_PER_DAY + 3) % 7 < 5
    if cond.kind is ConditionKind.HOUR:
        low, high = int(cond.low or 0), int(cond.high or 0)

        def hour(cols: Columns) -> np.ndarray:
            h = cols[time_col] // US_PER_HOUR % 24
            return ((h >= low) & (h < high)) if low < high else ((h >= low) | (h < high))

        return hour
    column = str(cond.column)
    if cond.kind is ConditionKind.BETWEEN:
        lo, hi = cond.low, cond.high
        if lo is None:
            return lambda cols: cols[column] < hi
        if hi is None:
            return lambda cols: cols[column] >= lo
        return lambda cols: (cols[column] >= lo) & (cols[column] < hi)
    if cond.kind is ConditionKind.IN:
        values = frozenset(cond.values)

        def isin(cols: Columns) -> np.ndarray:
            return np.array([v in values for v in cols[column].tolist()], dtype=bool)

        return isin
    flag_value = cond.flag
    return lambda cols: cols[column] == flag_value


def python_field(
    feature: FieldFeature,
) -> Callable[[Mapping[str, Mapping[str, Any]], datetime], float]:
    """A field feature as a function of the static rows (by table) and the as-of time."""
    table, column, arg = feature.table, feature.column, feature.argument
    codes = (
        {v: float(i) for i, v in enumerate(arg)}
        if feature.transform is Transform.CATEGORIES
        else {}
    )

    def value(static: Mapping[str, Mapping[str, Any]], as_of: datetime) -> float:
        row = static.get(table)
        if row is None:
            return math.nan
        if column not in row:
            raise InvalidInputError(f"{table}.{column}", "missing from the static row")
        v = row[column]
        if v is None:
            return math.nan
        t = feature.transform
        if t is Transform.VALUE:
            return float(v)
        if t is Transform.EQUALS:
            return float(v == arg)
        if t is Transform.CATEGORIES:
            return codes.get(v, math.nan)
        if t is Transform.DAYS_BEFORE:
            when = v if isinstance(v, datetime) else datetime.combine(v, datetime.min.time())
            return (as_of - when) / _ONE_DAY
        other = row.get(str(arg))
        return math.nan if other is None else float(v != other)

    return value


class _TableKernel:
    """Everything one event table contributes, compiled for single-applicant requests."""

    def __init__(self, plan: Plan, tp: TablePlan) -> None:
        table = tp.table
        self.name, self.time = table.name, table.time
        self.edges = np.array(tp.edges, dtype=float)
        kinds = EVENT_TABLES[table.name]
        self.columns = [c for c in tp.columns if c not in (table.time, table.entity)]
        self.kinds = {c: kinds[c] for c in self.columns}
        self.filters = tp.filters
        unique = list(dict.fromkeys(c for f in self.filters for c in table.filters[f].conditions))
        self.conditions = [numpy_condition(c, table.time) for c in unique]
        # filter i = AND of rows cond_index[:, i] of [in-range row, condition rows ...]
        per_filter = [
            [0, *(unique.index(c) + 1 for c in table.filters[f].conditions)] for f in self.filters
        ]
        depth = max(map(len, per_filter))
        self.cond_index = np.array(
            [p + [0] * (depth - len(p)) for p in per_filter], dtype=np.intp
        ).T
        n_f, n_w = len(self.filters), len(tp.edges)
        f_pos = {f: i for i, f in enumerate(self.filters)}
        w_pos = {w: i for i, w in enumerate(tp.edges)}
        sums = sorted(
            {(a.value, a.column) for a in tp.accumulators if a.reduce is Reduce.SUM}, key=str
        )
        extremes = sorted(
            {(a.value, a.column, a.reduce) for a in tp.accumulators if a.reduce is not Reduce.SUM},
            key=str,
        )
        self.sum_values, self.extremes = sums, extremes
        self.extreme_sign = np.array([1.0 if r is Reduce.MAX else -1.0 for _, _, r in extremes])
        distinct = [s for s in tp.direct if s.stat is Stat.DISTINCT]
        daily = [s for s in tp.direct if s.stat is Stat.MAX_DAILY]
        self.distinct = [(str(s.column), f_pos[s.filter] * n_w + w_pos[s.window]) for s in distinct]
        self.daily_rows = np.array(
            [f_pos[s.filter] * n_w + w_pos[s.window] for s in daily], dtype=np.intp
        )
        # flat layout: sums (F*W, K) raveled, then each extreme (F*W), then distinct, then daily
        n_fw = n_f * n_w
        slots, flat = [], []
        for s in plan.slots:
            if s.table != table.name or s.stat is Stat.FIELD:
                continue
            row = f_pos[s.filter] * n_w + w_pos[s.window]
            if s.stat in MERGEABLE:
                value, reduce = MERGEABLE[s.stat]
                if reduce is Reduce.SUM:
                    pos = row * len(sums) + sums.index((value, s.column))
                else:
                    pos = n_fw * len(sums) + extremes.index((value, s.column, reduce)) * n_fw + row
            elif s.stat is Stat.DISTINCT:
                pos = n_fw * (len(sums) + len(extremes)) + distinct.index(s)
            else:
                pos = n_fw * (len(sums) + len(extremes)) + len(distinct) + daily.index(s)
            slots.append(plan.slot_index[s])
            flat.append(pos)
        self.slots = np.array(slots, dtype=np.intp)
        self.flat = np.array(flat, dtype=np.intp)
        self.n_fw = n_fw

    def read(self, events: Events) -> tuple[np.ndarray, Columns]:
        """(event times in microseconds, other needed columns) from rows or a polars frame."""
        if isinstance(events, pl.DataFrame):
            ts = events[self.time].cast(pl.Datetime("us")).to_numpy().astype(np.int64)
            cols = {c: events[c].to_numpy() for c in self.columns}
        elif isinstance(events, Mapping):  # columns, the time as int64 microseconds
            try:
                ts = np.asarray(events[self.time], dtype=np.int64)
                cols = {
                    c: np.asarray(events[c], dtype=float if kind is Kind.NUMERIC else object)
                    for c, kind in self.kinds.items()
                }
            except KeyError as exc:
                raise InvalidInputError(
                    f"{self.name}.{exc.args[0]}", "missing from the event columns"
                ) from None
        else:
            try:
                ts = np.array(
                    [(e[self.time] - EPOCH) // ONE_MICROSECOND for e in events], dtype=np.int64
                )
                cols = {
                    c: np.array(
                        [e[c] for e in events], dtype=float if kind is Kind.NUMERIC else object
                    )
                    for c, kind in self.kinds.items()
                }
            except KeyError as exc:
                raise InvalidInputError(
                    f"{self.name}.{exc.args[0]}", "missing from an event"
                ) from None
        for c, values in cols.items():
            missing = (
                int(np.isnan(values).sum())
                if values.dtype.kind == "f"
                else values.tolist().count(None)  # None only equals None
            )
            if missing:
                raise null_values_error(self.name, c, missing)
        return ts, cols

    def fill(self, a: np.ndarray, events: Events, as_of_us: int) -> None:
        """Write this table's accumulators for one applicant into the slot vector ``a``."""
        ts, cols = self.read(events)
        age = (as_of_us - ts) / US_PER_DAY
        cols[self.time] = ts
        n = len(age)
        # row 0: inside the longest window and strictly before as-of; filters AND it in
        tested = np.array(
            [(age > 0) & (age <= self.edges[-1]), *[cond(cols) for cond in self.conditions]]
        )
        masks = np.logical_and.reduce(tested[self.cond_index], axis=0)
        in_window = age[None, :] <= self.edges[:, None]
        fw = (masks[:, None, :] & in_window[None, :, :]).reshape(self.n_fw, n)
        values = np.empty((n, len(self.sum_values)))
        for k, (value, column) in enumerate(self.sum_values):
            values[:, k] = _per_event(value, age, cols.get(column or ""))
        parts = [(fw.astype(float) @ values).ravel()]
        if self.extremes:
            # one masked max for every extreme: a min is minus the max of the negated value
            signed = np.empty((len(self.extremes), n))
            for k, (value, column, _) in enumerate(self.extremes):
                signed[k] = _per_event(value, age, cols.get(column or ""))
            signed *= self.extreme_sign[:, None]
            if n == 0:
                best = np.full((len(self.extremes), self.n_fw), -np.inf)
            else:
                best = np.where(fw[None, :, :], signed[:, None, :], -np.inf).max(axis=2)
            parts.append((best * self.extreme_sign[:, None]).ravel())
        parts.append(
            np.array([_distinct(cols[c], fw[row]) for c, row in self.distinct], dtype=float)
        )
        if len(self.daily_rows):
            if n == 0:
                parts.append(np.zeros(len(self.daily_rows)))
            else:
                day = ts // US_PER_DAY
                day -= day.min()
                one_hot = np.zeros((n, int(day.max()) + 1))
                one_hot[np.arange(n), day] = 1.0
                per_day = fw[self.daily_rows].astype(float) @ one_hot
                parts.append(per_day.max(axis=1))
        flat = np.concatenate(parts)
        flat[np.isinf(flat)] = np.nan
        a[self.slots] = flat[self.flat]


def _per_event(value: Value, age: np.ndarray, x: np.ndarray | None) -> np.ndarray:
    if value is Value.ONE:
        return np.ones(len(age))
    if value is Value.AGE:
        return age
    if value is Value.AGE2:
        return age * age
    assert x is not None
    if value is Value.X:
        return x
    return x * x if value is Value.X2 else age * x


def _distinct(column: np.ndarray, mask: np.ndarray) -> int:
    return len({v for v in column[mask].tolist() if v is not None})


class OnlineFeatureEngine:
    """Compute a feature set for one applicant from their events held in memory.

    Parameters
    ----------
    feature_set : FeatureSet
        The same definitions the batch engine uses.

    Examples
    --------
    >>> from datetime import datetime
    >>> from zhudai.features import OnlineFeatureEngine, load_feature_set
    >>> fs = load_feature_set().subset(["orders_count_30d", "orders_mean_amount_30d"])
    >>> events = {"orders": [{"ts": datetime(2024, 4, 20), "amount": 10.0},
    ...                      {"ts": datetime(2024, 4, 25), "amount": 30.0},
    ...                      {"ts": datetime(2024, 5, 1), "amount": 99.0}]}
    >>> OnlineFeatureEngine(fs).compute(events, as_of=datetime(2024, 5, 1))
    {'orders_count_30d': 2.0, 'orders_mean_amount_30d': 20.0}
    """

    def __init__(self, feature_set: FeatureSet) -> None:
        self.feature_set = feature_set
        self.plan = Plan(feature_set)
        self._kernels = [_TableKernel(self.plan, tp) for tp in self.plan.tables.values()]
        self._fields = [(slot, python_field(f)) for slot, f in self.plan.field_slots]
        self._empty = self.plan.empty(1)[0]

    def compute(
        self,
        events_by_table: Mapping[str, Events],
        as_of: datetime,
        static: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> dict[str, float]:
        """Every feature of one applicant, using only events strictly before ``as_of``.

        Parameters
        ----------
        events_by_table : mapping of table name to events
            The applicant's events per table (``orders``, ``card_txns``, ``device_events``), each
            a sequence of mappings (column -> value), a polars DataFrame, or a mapping of columns
            (the time as int64 microseconds), with at least the time column and the columns
            the definitions read. A table left out has no events. Events
            at or after ``as_of`` may be included: they are ignored.
        as_of : datetime
            The decision time (naive, Asia/Shanghai wall clock, like every world time).
        static : mapping of table name to row, optional
            ``{"applications": {...}, "bureau": {...}, "customers": {...}}``: the rows field
            features read; a table left out gives missing (NaN) fields.

        Returns
        -------
        dict of str to float
            Feature name to value in definition order; missing values are ``nan``.
        """
        if not isinstance(as_of, datetime) or as_of.tzinfo is not None:
            raise InvalidInputError(
                "as_of", f"must be a naive datetime (local wall clock); got {as_of!r}"
            )
        as_of_us = epoch_micros(as_of)
        a = self._empty.copy()
        for kernel in self._kernels:
            kernel.fill(a, events_by_table.get(kernel.name, ()), as_of_us)
        rows = static or {}
        for slot, field in self._fields:
            a[slot] = field(rows, as_of)
        return dict(zip(self.plan.names, self.plan.finalize(a[None, :])[0].tolist(), strict=True))


__all__ = ["OnlineFeatureEngine", "numpy_condition", "python_field"]
