"""Batch features for many applications at once: polars for the point-in-time join, the age
buckets and the filters; numpy keyed reductions for the accumulators.

For each event table the engine joins every application to its entity's events, keeps those
strictly before ``applied_at`` and inside the longest window, and reduces each accumulator
over (application, age bucket) keys in one unsorted numpy pass (``bincount`` for sums,
``ufunc.at`` for extremes). One scan of a table serves every window (see
:mod:`zhudai.features.plan`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl

from zhudai.exceptions import NotFoundError
from zhudai.features.definitions import (
    Condition,
    ConditionKind,
    FeatureSet,
    FieldFeature,
    Transform,
)
from zhudai.features.frames import (
    ID_COLUMNS,
    ROW,
    application_frame,
    require_events,
    static_name,
    static_tables,
)
from zhudai.features.plan import Accumulator, Plan, Reduce, Slot, Stat, TablePlan, Value
from zhudai.features.schema import APPLICATION_TIME
from zhudai.times import US_PER_DAY

_AGE, _BUCKET = "__age", "__bucket"
_REDUCERS = {Reduce.SUM: np.add, Reduce.MAX: np.maximum, Reduce.MIN: np.minimum}
_IDENTITY = {Reduce.SUM: 0.0, Reduce.MAX: -np.inf, Reduce.MIN: np.inf}


def polars_condition(cond: Condition, time_col: str) -> pl.Expr:
    """A condition as a polars boolean expression over an event frame."""
    if cond.kind is ConditionKind.WEEKEND:
        weekend = pl.col(time_col).dt.weekday() >= 6  # polars: Monday = 1 .. Sunday = 7
        return weekend if cond.flag else ~weekend
    if cond.kind is ConditionKind.HOUR:
        hour = pl.col(time_col).dt.hour()
        low, high = hour >= int(cond.low or 0), hour < int(cond.high or 0)
        return (low & high) if (cond.low or 0) < (cond.high or 0) else (low | high)
    col = pl.col(str(cond.column))
    if cond.kind is ConditionKind.BETWEEN:
        expr = pl.lit(True)
        if cond.low is not None:
            expr = expr & (col >= cond.low)
        if cond.high is not None:
            expr = expr & (col < cond.high)
        return expr
    if cond.kind is ConditionKind.IN:
        return col.is_in(list(cond.values))
    return col == cond.flag


def polars_field(feature: FieldFeature) -> pl.Expr:
    """A field feature as a Float64 polars expression over the joined static row."""
    col = pl.col(static_name(feature.table, feature.column))
    if feature.transform is Transform.VALUE:
        expr = col.cast(pl.Float64)
    elif feature.transform is Transform.EQUALS:
        expr = (col == feature.argument).cast(pl.Float64)
    elif feature.transform is Transform.CATEGORIES:
        codes = {v: float(i) for i, v in enumerate(feature.argument)}
        expr = col.replace_strict(codes, default=None, return_dtype=pl.Float64)
    elif feature.transform is Transform.DAYS_BEFORE:
        expr = (
            pl.col(APPLICATION_TIME) - col.cast(pl.Datetime("us"))
        ).dt.total_microseconds() / US_PER_DAY
    else:
        expr = (col != pl.col(static_name(feature.table, str(feature.argument)))).cast(pl.Float64)
    return expr.alias(feature.name)


class BatchFeatureEngine:
    """Compute a feature set for many applications with polars.

    Parameters
    ----------
    feature_set : FeatureSet
        The definitions (e.g. :func:`~zhudai.features.load_feature_set`).

    Examples
    --------
    >>> from datetime import datetime
    >>> import polars as pl
    >>> from zhudai.features import BatchFeatureEngine, load_feature_set
    >>> fs = load_feature_set().subset(["orders_count_30d"])
    >>> apps = pl.DataFrame({"application_id": [1], "customer_id": [7],
    ...                      "applied_at": [datetime(2024, 5, 1)]})
    >>> orders = pl.DataFrame({"customer_id": [7, 7], "ts": [datetime(2024, 4, 20),
    ...                        datetime(2024, 5, 2)], "amount": [10.0, 20.0]})
    >>> BatchFeatureEngine(fs).compute(apps, {"orders": orders})["orders_count_30d"].to_list()
    [1.0]
    """

    def __init__(self, feature_set: FeatureSet) -> None:
        self.feature_set = feature_set
        self.plan = Plan(feature_set)

    # -- public

    def compute(
        self, applications: pl.DataFrame, tables: Mapping[str, pl.DataFrame]
    ) -> pl.DataFrame:
        """Features of every row of ``applications``, using each one's events before ``applied_at``.

        Parameters
        ----------
        applications : polars.DataFrame
            One row per application: ``application_id``, ``customer_id``, ``applied_at`` and the
            columns that application fields read.
        tables : mapping of table name to polars.DataFrame
            The event tables (``orders``, ``card_txns``, ``device_events``) and the static tables
            (``bureau``, ``customers``) the feature set reads.

        Returns
        -------
        polars.DataFrame
            ``application_id, customer_id, applied_at`` then one Float64 column per feature, in
            definition order; missing values are null.
        """
        apps = application_frame(self.plan, applications)
        a = self.plan.empty(apps.height)
        for name, tp in self.plan.tables.items():
            events = require_events(tables, name, tp.columns)
            self._scan(a, apps, tp, events)
        self._fields(a, apps, tables)
        values = self.plan.finalize(a)
        features = pl.DataFrame(values, schema=self.plan.names, orient="row")
        return pl.concat([apps.select(ID_COLUMNS), features.fill_nan(None)], how="horizontal")

    def compute_world(self, world_dir: str | Path) -> pl.DataFrame:
        """Features of every application of a generated world folder (``DIR/<table>.parquet``)."""
        world = Path(world_dir)
        needed = {"applications", *self.plan.tables, *(f.table for f in self.plan.fields.values())}
        missing = [t for t in sorted(needed) if not (world / f"{t}.parquet").exists()]
        if missing:
            raise NotFoundError("world_dir", f"{world} (no {', '.join(missing)}.parquet)")
        frames = {t: pl.read_parquet(world / f"{t}.parquet") for t in needed}
        return self.compute(frames.pop("applications"), frames)

    # -- steps

    def _scan(self, a: np.ndarray, apps: pl.DataFrame, tp: TablePlan, events: pl.DataFrame) -> None:
        t = tp.table
        edges = tp.edges
        age = (pl.col(APPLICATION_TIME) - pl.col(t.time)).dt.total_microseconds() / US_PER_DAY
        filters = {
            f: pl.all_horizontal(polars_condition(c, t.time) for c in t.filters[f].conditions)
            for f in tp.filters
            if f != "all"
        }
        joined = (
            apps.lazy()
            .select(ROW, t.entity, APPLICATION_TIME)
            .join(
                events.lazy()
                .select(tp.columns)
                .with_columns(pl.col(t.time).cast(pl.Datetime("us"))),
                on=t.entity,
                maintain_order="left_right",  # a fixed summation order: reproducible floats
            )
            .with_columns(age.alias(_AGE))
            .filter((pl.col(_AGE) > 0) & (pl.col(_AGE) <= edges[-1]))
            .with_columns(
                pl.sum_horizontal(
                    *[(pl.col(_AGE) > e).cast(pl.Int64) for e in edges[:-1]], pl.lit(0)
                ).alias(_BUCKET),
                *[expr.alias(f"__f_{f}") for f, expr in filters.items()],
            )
            .collect()
        )
        if joined.height == 0:
            return
        masks = {f: joined[f"__f_{f}"].fill_null(False).to_numpy() for f in filters}
        n_buckets = len(edges)
        key = joined[ROW].to_numpy().astype(np.int64) * n_buckets + joined[_BUCKET].to_numpy()
        size = a.shape[0] * n_buckets
        ages = joined[_AGE].to_numpy()
        cache: dict[tuple[Value, str | None], np.ndarray] = {}
        for acc in tp.accumulators:
            # one unsorted pass per accumulator: bincount for sums, ufunc.at for extremes
            per_event = self._value(joined, ages, acc, cache)
            if acc.reduce is Reduce.SUM:
                weights = (
                    per_event
                    if acc.filter == "all"
                    else np.where(masks[acc.filter], per_event, 0.0)
                )
                per_bucket = np.bincount(key, weights=weights, minlength=size)
            else:
                per_bucket = np.full(size, _IDENTITY[acc.reduce])
                keys = key if acc.filter == "all" else key[masks[acc.filter]]
                values = per_event if acc.filter == "all" else per_event[masks[acc.filter]]
                _REDUCERS[acc.reduce].at(per_bucket, keys, values)
            self.plan.store_buckets(a, t.name, acc, per_bucket.reshape(-1, n_buckets))
        self._direct(a, joined, tp)

    @staticmethod
    def _value(joined: pl.DataFrame, ages: np.ndarray, acc: Accumulator, cache: dict) -> np.ndarray:
        """The per-event value of ``acc`` (cached: several accumulators share one)."""
        key = (acc.value, acc.column)
        if key not in cache:
            if acc.value is Value.ONE:
                cache[key] = np.ones(len(ages))
            elif acc.value is Value.AGE:
                cache[key] = ages
            elif acc.value is Value.AGE2:
                cache[key] = ages * ages
            else:
                x = joined[str(acc.column)].cast(pl.Float64).to_numpy()
                cache[key] = {Value.X: x, Value.X2: x * x, Value.AGE_X: ages * x}[acc.value]
        return cache[key]

    def _direct(self, a: np.ndarray, joined: pl.DataFrame, tp: TablePlan) -> None:
        """Distinct counts and daily bursts: they do not merge across buckets like sums do.

        Both group events by (application, something); the pair is packed into one int64 key,
        which polars groups several times faster than two columns.
        """
        n = a.shape[0]
        row = pl.col(ROW).cast(pl.Int64)
        distinct: dict[tuple[str, str], list[Slot]] = {}
        for s in tp.direct:
            if s.stat is Stat.DISTINCT:
                distinct.setdefault((str(s.column), s.filter), []).append(s)
        for (column, fname), slots in distinct.items():
            # the youngest bucket each value appears in: counted by every window reaching it
            events = (
                joined.lazy() if fname == "all" else joined.lazy().filter(pl.col(f"__f_{fname}"))
            )
            if joined.schema[column] == pl.String:  # hashed dictionary codes: no sort
                code = pl.col(column).cast(pl.Categorical).to_physical().cast(pl.Int64)
            else:
                code = pl.col(column).rank("dense").cast(pl.Int64)
            first = (
                events.filter(pl.col(column).is_not_null())
                .with_columns(code.alias("__code"))
                .select(
                    (row * (pl.col("__code").max() + 1) + pl.col("__code")).alias("__key"),
                    _BUCKET,
                    ROW,
                )
                .group_by("__key")
                .agg(pl.col(_BUCKET).min(), pl.col(ROW).first())
                .collect()
            )
            rows, bucket = first[ROW].to_numpy(), first[_BUCKET].to_numpy()
            for s in slots:
                inside = bucket <= tp.edges.index(s.window)
                a[:, self.plan.slot_index[s]] = np.bincount(rows[inside], minlength=n)
        daily = [s for s in tp.direct if s.stat is Stat.MAX_DAILY]
        if daily:
            names = [str(self.plan.slot_index[s]) for s in daily]
            masks = [
                (pl.col(_AGE) <= s.window)
                & (pl.lit(True) if s.filter == "all" else pl.col(f"__f_{s.filter}"))
                for s in daily
            ]
            day = pl.col(tp.table.time).dt.epoch("d").cast(pl.Int64)
            per_day = (
                joined.lazy()
                .select(
                    (row * 1_000_000 + day - day.min()).alias("__key"),
                    *[m.cast(pl.Int32).alias(c) for m, c in zip(masks, names, strict=True)],
                )
                .group_by("__key")
                .agg(pl.col(names).sum())
                .collect()
            )
            rows = per_day["__key"].to_numpy() // 1_000_000
            for col in names:
                best = np.zeros(n)
                np.maximum.at(best, rows, per_day[col].to_numpy().astype(float))
                a[:, int(col)] = best

    def _fields(
        self, a: np.ndarray, apps: pl.DataFrame, tables: Mapping[str, pl.DataFrame]
    ) -> None:
        """Field features: the application row joined to its bureau row and its customer."""
        static = apps
        for key, frame in static_tables(self.plan, tables):
            static = static.join(frame, on=key, how="left")
        exprs = [polars_field(f).alias(str(slot)) for slot, f in self.plan.field_slots]
        values = static.sort(ROW).select(exprs)
        for col in values.columns:
            a[:, int(col)] = values[col].to_numpy()
