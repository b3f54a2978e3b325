"""A small Python DSL for feature definitions: the same data as the YAML, built in code.

The builder only assembles the plain mapping a YAML file would hold and hands it to the same
loader, so a definition written either way is validated identically.

Examples
--------
>>> fs = FeatureSetBuilder()
>>> orders = fs.table("orders", windows=[30, 90])
>>> orders.filter("night", hour(0, 6))
>>> orders.filter("small_night", hour(0, 6), between("amount", None, 30))
>>> orders.aggregate(["count", "sum"], column="amount", filters=["all", "night", "small_night"])
>>> fs.field("age", "customers", "age_at_application", group="demographics")
>>> fs.ratio("night_spend_share_90d", "orders_sum_amount_night_90d", "orders_sum_amount_90d")
>>> feature_set = fs.build()
>>> len(feature_set.names), feature_set.names[:2]
(14, ['orders_count_30d', 'orders_count_90d'])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from zhudai.features.definitions import FeatureSet, feature_set_from_dict

Condition = dict[str, Any]


def weekend(flag: bool = True) -> Condition:
    """Events on a Saturday or Sunday (``flag=False``: on a working day)."""
    return {"weekend": flag}


def hour(low: int, high: int) -> Condition:
    """Events with hour of day in ``[low, high)``; wraps past midnight when ``low > high``."""
    return {"hour": [low, high]}


def between(column: str, low: float | None, high: float | None) -> Condition:
    """Events with ``low <= column < high`` (``None`` leaves a side open)."""
    return {"column": column, "between": [low, high]}


def isin(column: str, values: Sequence[Any]) -> Condition:
    """Events whose ``column`` is one of ``values``."""
    return {"column": column, "in": list(values)}


def flag(column: str, value: bool = True) -> Condition:
    """Events whose boolean ``column`` equals ``value``."""
    return {"column": column, "is": value}


class TableBuilder:
    """Filters and aggregate entries of one event table (see :meth:`FeatureSetBuilder.table`)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._spec = spec

    def filter(self, name: str, *conditions: Condition) -> None:
        """Declare filter ``name``: the conjunction of ``conditions``."""
        self._spec.setdefault("filters", {})[name] = list(conditions)

    def aggregate(self, agg: str | Sequence[str], **options: Any) -> None:
        """Add an aggregate entry: ``agg`` with ``column``, ``filters``, ``windows``, ``group``,
        ``prefix`` or ``window_ratios`` as in the YAML."""
        self._spec.setdefault("aggregates", []).append(
            {"agg": agg if isinstance(agg, str) else list(agg), **options}
        )


class FeatureSetBuilder:
    """Build a feature set in Python; :meth:`build` validates it like a YAML file."""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {"version": 1, "tables": {}, "fields": [], "ratios": []}

    def table(
        self, name: str, *, windows: Sequence[int], entity: str = "customer_id", time: str = "ts"
    ) -> TableBuilder:
        """Declare event table ``name`` with its default ``windows`` (days)."""
        spec: dict[str, Any] = {"entity": entity, "time": time, "windows": list(windows)}
        self._data["tables"][name] = spec
        return TableBuilder(spec)

    def field(self, name: str, table: str, column: str, **transform: Any) -> None:
        """Add a field feature; ``transform`` holds ``group``, ``description`` and at most one of
        ``equals``, ``categories``, ``days_before``, ``differs_from``."""
        self._data["fields"].append({"name": name, "table": table, "column": column, **transform})

    def ratio(self, name: str, numerator: str, denominator: str, **options: Any) -> None:
        """Add ``numerator / denominator`` (``group``, ``description`` optional)."""
        self._data["ratios"].append(
            {"name": name, "numerator": numerator, "denominator": denominator, **options}
        )

    def to_dict(self) -> dict[str, Any]:
        """The definitions as the plain mapping a YAML file holds."""
        return self._data

    def to_yaml(self) -> str:
        """The definitions as YAML text, loadable with :func:`~zhudai.features.load_feature_set`."""
        return yaml.safe_dump(self._data, sort_keys=False, allow_unicode=True)

    def build(self, source: str = "<python>") -> FeatureSet:
        """Validate and build the feature set (``DefinitionError`` naming the definition if bad)."""
        return feature_set_from_dict(self._data, source=source)
