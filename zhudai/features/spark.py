"""The feature plan executed by PySpark, for event volumes beyond one machine.

Same plan, same accumulators, same :meth:`~zhudai.features.plan.Plan.finalize` as the batch
engine; only the scan differs: a Spark join and, per event table, one
``groupBy(application, age bucket)`` holding all of that table's accumulators (27 or so for
the shipped set, not one aggregate per feature and window) with the distinct counts and daily
bursts joined alongside per application, so a table costs one Spark job. World times are naive wall-clock times, so the engine runs its session with
``spark.sql.session.timeZone = UTC`` (no daylight-saving shifts in ages or hours).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce
from typing import Any

import numpy as np
import polars as pl

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
from zhudai.features.plan import Plan, Reduce, Slot, Stat, TablePlan, Value
from zhudai.features.schema import APPLICATION_TIME
from zhudai.times import US_PER_DAY

_AGE, _BUCKET = "__age", "__bucket"


def _functions() -> Any:
    from pyspark.sql import functions

    return functions


def spark_condition(cond: Condition, time_col: str) -> Any:
    """A condition as a Spark boolean column."""
    F = _functions()
    if cond.kind is ConditionKind.WEEKEND:
        weekend = F.dayofweek(F.col(time_col)).isin(1, 7)  # Spark: Sunday = 1 .. Saturday = 7
        return weekend if cond.flag else ~weekend
    if cond.kind is ConditionKind.HOUR:
        hour = F.hour(F.col(time_col))
        low, high = hour >= int(cond.low or 0), hour < int(cond.high or 0)
        return (low & high) if (cond.low or 0) < (cond.high or 0) else (low | high)
    col = F.col(str(cond.column))
    if cond.kind is ConditionKind.BETWEEN:
        expr = F.lit(True)
        if cond.low is not None:
            expr = expr & (col >= cond.low)
        if cond.high is not None:
            expr = expr & (col < cond.high)
        return expr
    if cond.kind is ConditionKind.IN:
        return col.isin(list(cond.values))
    return col == F.lit(cond.flag)


def spark_field(feature: FieldFeature) -> Any:
    """A field feature as a double Spark column over the joined static row."""
    F = _functions()
    col = F.col(f"`{static_name(feature.table, feature.column)}`")
    if feature.transform is Transform.VALUE:
        return col.cast("double")
    if feature.transform is Transform.EQUALS:
        return (col == F.lit(feature.argument)).cast("double")
    if feature.transform is Transform.CATEGORIES:
        cases = F
        for i, v in enumerate(feature.argument):
            cases = cases.when(col == F.lit(v), float(i))
        return cases.otherwise(F.lit(None).cast("double"))
    if feature.transform is Transform.DAYS_BEFORE:
        start = F.unix_micros(col.cast("timestamp"))
        return (F.unix_micros(F.col(APPLICATION_TIME)) - start) / US_PER_DAY
    other = F.col(f"`{static_name(feature.table, str(feature.argument))}`")
    return (col != other).cast("double")


class SparkFeatureEngine:
    """Compute a feature set for many applications with PySpark.

    Parameters
    ----------
    feature_set : FeatureSet
        The same definitions the batch and online engines use.
    spark : pyspark.sql.SparkSession
        An active session; its ``spark.sql.session.timeZone`` is set to ``UTC``.
    """

    def __init__(self, feature_set: FeatureSet, spark: Any) -> None:
        self.feature_set = feature_set
        self.spark = spark
        self.plan = Plan(feature_set)

    def compute(
        self, applications: pl.DataFrame, tables: Mapping[str, pl.DataFrame]
    ) -> pl.DataFrame:
        """Same contract and output as :meth:`BatchFeatureEngine.compute`."""
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")
        apps = application_frame(self.plan, applications)
        a = self.plan.empty(apps.height)
        apps_sdf = self._frame(apps)
        for name, tp in self.plan.tables.items():
            events = require_events(tables, name, tp.columns).select(tp.columns)
            self._scan(a, apps_sdf, tp, self._frame(events))
        self._fields(a, apps_sdf, tables)
        features = pl.DataFrame(self.plan.finalize(a), schema=self.plan.names, orient="row")
        return pl.concat([apps.select(ID_COLUMNS), features.fill_nan(None)], how="horizontal")

    def _frame(self, frame: pl.DataFrame) -> Any:
        return self.spark.createDataFrame(frame.to_pandas())

    def _scan(self, a: np.ndarray, apps: Any, tp: TablePlan, events: Any) -> None:
        F = _functions()
        t = tp.table
        age = (F.unix_micros(F.col(APPLICATION_TIME)) - F.unix_micros(F.col(t.time))) / US_PER_DAY
        joined = (
            apps.select(ROW, t.entity, APPLICATION_TIME)
            .join(events, on=t.entity)
            .withColumn(_AGE, age)
            .where((F.col(_AGE) > 0) & (F.col(_AGE) <= tp.edges[-1]))
            .withColumn(
                _BUCKET,
                reduce(
                    lambda x, y: x + y,
                    [(F.col(_AGE) > e).cast("int") for e in tp.edges[:-1]],
                    F.lit(0),
                ),
            )
        )
        masks = {
            f: reduce(
                lambda x, y: x & y, [spark_condition(c, t.time) for c in t.filters[f].conditions]
            )
            for f in tp.filters
            if f != "all"
        }

        def masked(acc_filter: str, value: Any) -> Any:
            return value if acc_filter == "all" else F.when(masks[acc_filter], value)

        values = {
            Value.ONE: lambda c: F.lit(1.0),
            Value.X: lambda c: F.col(c).cast("double"),
            Value.X2: lambda c: F.col(c).cast("double") * F.col(c).cast("double"),
            Value.AGE: lambda c: F.col(_AGE),
            Value.AGE2: lambda c: F.col(_AGE) * F.col(_AGE),
            Value.AGE_X: lambda c: F.col(_AGE) * F.col(c).cast("double"),
        }
        reducers = {Reduce.SUM: F.sum, Reduce.MAX: F.max, Reduce.MIN: F.min}
        aggs = [
            reducers[acc.reduce](masked(acc.filter, values[acc.value](acc.column))).alias(f"a{i}")
            for i, acc in enumerate(tp.accumulators)
        ]
        grouped = joined.groupBy(ROW, _BUCKET).agg(*aggs)
        direct = self._direct(joined, tp, masks)
        if direct is not None:  # every row with a direct value has events, hence buckets
            grouped = grouped.join(direct, on=ROW, how="left")
        # one Spark job per table: per-bucket accumulators, then the direct slots alongside
        result = grouped.toPandas()
        rows, buckets = result[ROW].to_numpy(np.int64), result[_BUCKET].to_numpy(np.int64)
        for i, acc in enumerate(tp.accumulators):
            self.plan.store_groups(
                a, t.name, acc, rows, buckets, result[f"a{i}"].to_numpy(float, na_value=np.nan)
            )
        first = ~result[ROW].duplicated().to_numpy()
        for col in result.columns:
            if col.startswith("s"):
                a[rows[first], int(col[1:])] = result[col].to_numpy(float)[first]

    def _direct(self, joined: Any, tp: TablePlan, masks: Mapping[str, Any]) -> Any:
        """Distinct counts and daily bursts per application row (columns ``s<slot>``), or None.

        They do not merge across age buckets, so each is reduced over its own window.
        """
        F = _functions()

        def mask(slot: Slot) -> Any:
            inside = F.col(_AGE) <= slot.window
            return inside if slot.filter == "all" else inside & masks[slot.filter]

        def name(slot: Slot) -> str:
            return f"s{self.plan.slot_index[slot]}"

        distinct = [s for s in tp.direct if s.stat is Stat.DISTINCT]
        daily = [s for s in tp.direct if s.stat is Stat.MAX_DAILY]
        frames = []
        if distinct:
            frames.append(
                joined.groupBy(ROW).agg(
                    *[
                        F.countDistinct(F.when(mask(s), F.col(str(s.column)))).alias(name(s))
                        for s in distinct
                    ]
                )
            )
        if daily:
            per_day = joined.groupBy(ROW, F.to_date(F.col(tp.table.time)).alias("__day")).agg(
                *[F.sum(F.when(mask(s), 1).otherwise(0)).alias(name(s)) for s in daily]
            )
            frames.append(per_day.groupBy(ROW).agg(*[F.max(name(s)).alias(name(s)) for s in daily]))
        return reduce(lambda x, y: x.join(y, on=ROW), frames) if frames else None

    def _fields(self, a: np.ndarray, apps: Any, tables: Mapping[str, pl.DataFrame]) -> None:
        if not self.plan.fields:
            return
        static = apps
        for key, frame in static_tables(self.plan, tables):
            static = static.join(self._frame(frame), on=key, how="left")
        result = static.select(
            ROW, *[spark_field(f).alias(f"s{slot}") for slot, f in self.plan.field_slots]
        ).toPandas()
        rows = result[ROW].to_numpy(np.int64)
        for col in result.columns[1:]:
            a[rows, int(col[1:])] = result[col].to_numpy(float, na_value=np.nan)
