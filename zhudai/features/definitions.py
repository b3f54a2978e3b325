"""Feature definitions: what a feature is, and the loader that checks every one of them.

A feature set is pure data. Event tables declare their entity, time column, windows and named
filters; aggregate entries expand into one feature per (aggregate, filter, window); fields read
one column of an application, its bureau row or its customer; ratios divide two features. The
loader checks every definition against the table contract in :mod:`zhudai.features.schema` and
raises :class:`~zhudai.exceptions.DefinitionError` naming the definition and the problem, so a
bad file fails when it is loaded, never half-way through a batch run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from zhudai.exceptions import DefinitionError, NotFoundError
from zhudai.features.schema import EVENT_TABLES, STATIC_TABLES, Kind

DEFAULT_DEFINITIONS = Path(__file__).with_name("default_features.yaml")
ALL = "all"  # the filter every table has: no condition


class Agg(StrEnum):
    """Aggregates over the events of one window (and one filter)."""

    COUNT = "count"
    SUM = "sum"
    MEAN = "mean"
    MAX = "max"
    MIN = "min"
    STD = "std"
    DISTINCT_COUNT = "distinct_count"
    SHARE = "share"
    RECENCY = "recency"
    TREND_SLOPE = "trend_slope"
    MAX_DAILY_COUNT = "max_daily_count"


#: Aggregates that read a value column, and those that need it to be numeric.
COLUMN_AGGS = frozenset(
    {Agg.SUM, Agg.MEAN, Agg.MAX, Agg.MIN, Agg.STD, Agg.DISTINCT_COUNT, Agg.TREND_SLOPE}
)
NUMERIC_AGGS = COLUMN_AGGS - {Agg.DISTINCT_COUNT}

_AGG_TEXT = {
    Agg.COUNT: "Number of {table} events",
    Agg.SUM: "Sum of {column} over {table} events",
    Agg.MEAN: "Mean {column} of {table} events",
    Agg.MAX: "Largest {column} of {table} events",
    Agg.MIN: "Smallest {column} of {table} events",
    Agg.STD: "Sample standard deviation of {column} of {table} events",
    Agg.DISTINCT_COUNT: "Number of distinct {column} values of {table} events",
    Agg.SHARE: "Share of {table} events",
    Agg.RECENCY: "Days since the latest {table} event",
    Agg.TREND_SLOPE: "Least-squares slope of {column} against event time (CNY per day) of {table} events",
    Agg.MAX_DAILY_COUNT: "Largest number of {table} events on one calendar day (a burst)",
}


class Transform(StrEnum):
    """How a field feature turns one column of a static row into a number."""

    VALUE = "value"  # the number itself (booleans as 0/1)
    EQUALS = "equals"  # 1 when the column equals the argument, else 0
    CATEGORIES = "categories"  # position of the value in the argument list, missing if absent
    DAYS_BEFORE = "days_before"  # days from the column's time to the application time
    DIFFERS_FROM = "differs_from"  # 1 when the column differs from another column of the row


class ConditionKind(StrEnum):
    """One test on an event; a filter is the conjunction of its conditions."""

    WEEKEND = "weekend"  # Saturday or Sunday (flag False: a working day)
    HOUR = "hour"  # hour of day in [low, high); wraps past midnight when low > high
    BETWEEN = "between"  # low <= column < high, either bound may be open
    IN = "in"  # column is one of values
    IS = "is"  # boolean column equals flag


@dataclass(frozen=True)
class Condition:
    """One test of an event filter (see :class:`ConditionKind`)."""

    kind: ConditionKind
    column: str | None = None
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] = ()
    flag: bool = True

    def describe(self) -> str:
        """The condition in words, for feature descriptions."""
        if self.kind is ConditionKind.WEEKEND:
            return "on a weekend" if self.flag else "on a working day"
        if self.kind is ConditionKind.HOUR:
            return f"with hour of day in [{self.low:g}, {self.high:g})"
        if self.kind is ConditionKind.BETWEEN:
            low = "" if self.low is None else f"{self.low:g} <= "
            high = "" if self.high is None else f" < {self.high:g}"
            return f"with {low}{self.column}{high}"
        if self.kind is ConditionKind.IN:
            return f"with {self.column} in {{{', '.join(map(str, self.values))}}}"
        return f"with {self.column} {'true' if self.flag else 'false'}"


@dataclass(frozen=True)
class EventFilter:
    """A named conjunction of conditions on the events of one table."""

    name: str
    conditions: tuple[Condition, ...] = ()

    def describe(self) -> str:
        """The filter in words (empty for the ``all`` filter)."""
        return " and ".join(c.describe() for c in self.conditions)


@dataclass(frozen=True)
class EventTable:
    """An event table as the feature set reads it: entity, time column, windows and filters."""

    name: str
    entity: str
    time: str
    windows: tuple[int, ...]
    filters: Mapping[str, EventFilter]


@dataclass(frozen=True)
class AggregateFeature:
    """One aggregate of one filter of a table's events in the ``window`` days before as-of."""

    name: str
    table: str
    agg: Agg
    column: str | None
    filter: str
    window: int
    group: str
    description: str


@dataclass(frozen=True)
class FieldFeature:
    """One column of the application, its bureau row or its customer, as a number."""

    name: str
    table: str
    column: str
    transform: Transform
    argument: Any
    group: str
    description: str


@dataclass(frozen=True)
class RatioFeature:
    """``numerator / denominator`` of two other features; missing when the denominator is 0."""

    name: str
    numerator: str
    denominator: str
    group: str
    description: str


Feature = AggregateFeature | FieldFeature | RatioFeature


@dataclass(frozen=True)
class FeatureSet:
    """A validated set of feature definitions, in output column order.

    Build one with :func:`load_feature_set` (YAML) or :class:`~zhudai.features.FeatureSetBuilder`
    (Python); both go through the same checks.

    Examples
    --------
    >>> fs = load_feature_set()
    >>> fs.get("orders_count_30d").description
    'Number of orders events, in the 30 days before the application.'
    """

    tables: Mapping[str, EventTable]
    features: tuple[Feature, ...]
    source: str | None = None
    _by_name: dict[str, Feature] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._by_name.update((f.name, f) for f in self.features)

    @property
    def names(self) -> list[str]:
        """Feature names in output order."""
        return [f.name for f in self.features]

    def get(self, name: str) -> Feature:
        """The definition of feature ``name`` (:class:`NotFoundError` naming it if unknown)."""
        try:
            return self._by_name[name]
        except KeyError:
            raise NotFoundError("feature", name) from None

    def groups(self) -> dict[str, list[str]]:
        """Feature names by group (``orders``, ``card_txns``, ``bureau``, ``demographics`` ...)."""
        out: dict[str, list[str]] = {}
        for f in self.features:
            out.setdefault(f.group, []).append(f.name)
        return out

    def subset(self, names: Iterable[str]) -> FeatureSet:
        """A feature set of ``names`` plus every feature their ratios need, in this set's order."""
        keep: set[str] = set()
        stack = list(names)
        while stack:
            feature = self.get(stack.pop())
            if feature.name in keep:
                continue
            keep.add(feature.name)
            if isinstance(feature, RatioFeature):
                stack += [feature.numerator, feature.denominator]
        return FeatureSet(
            self.tables, tuple(f for f in self.features if f.name in keep), self.source
        )


# --------------------------------------------------------------------------- loading


def load_feature_set(path: str | Path | None = None) -> FeatureSet:
    """Load and validate a YAML feature-definition file (the shipped default set if ``None``).

    Raises
    ------
    DefinitionError
        When any definition is invalid; the message names the file, the definition and the
        problem.
    """
    source = Path(path) if path is not None else DEFAULT_DEFINITIONS
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DefinitionError(
            "feature set", f"cannot read the file: {exc.strerror}", source=str(source)
        ) from None
    except yaml.YAMLError as exc:
        raise DefinitionError("feature set", f"not valid YAML: {exc}", source=str(source)) from None
    return feature_set_from_dict(data, source=str(source))


def feature_set_from_dict(data: Any, *, source: str | None = None) -> FeatureSet:
    """Validate definitions given as plain data (the parsed YAML) and build the feature set."""
    return _Loader(source).load(data)


class _Loader:
    """Turns plain data into definitions, raising a ``DefinitionError`` at the first problem."""

    def __init__(self, source: str | None) -> None:
        self.source = source

    def fail(self, name: str, problem: str) -> DefinitionError:
        return DefinitionError(name, problem, source=self.source)

    def load(self, data: Any) -> FeatureSet:
        top = self.mapping("feature set", data, allowed={"version", "tables", "fields", "ratios"})
        if top.get("version", 1) != 1:
            raise self.fail("feature set", f"version must be 1; got {top['version']!r}")
        tables: dict[str, EventTable] = {}
        features: list[Feature] = []
        ratios: list[RatioFeature] = []
        for name, spec in self.mapping("tables", top.get("tables", {})).items():
            table, aggregates, window_ratios = self.table(str(name), spec)
            tables[table.name] = table
            features += aggregates
            ratios += window_ratios
        features += [
            self.field_feature(spec) for spec in self.sequence("fields", top.get("fields", []))
        ]
        self.unique([*features, *ratios])
        groups = {f.name: f.group for f in [*features, *ratios]}
        ratios += [
            self.ratio(spec, groups) for spec in self.sequence("ratios", top.get("ratios", []))
        ]
        features += ratios
        self.unique(features)
        self.check_ratios(features)
        if not features:
            raise self.fail("feature set", "defines no feature")
        return FeatureSet(tables, tuple(features), self.source)

    # -- generic shape checks

    def mapping(self, name: str, value: Any, allowed: set[str] | None = None) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(name, f"must be a mapping; got {type(value).__name__}")
        if allowed is not None and (unknown := sorted(set(map(str, value)) - allowed)):
            raise self.fail(name, f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")
        return value

    def sequence(self, name: str, value: Any) -> Sequence[Any]:
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise self.fail(name, f"must be a list; got {type(value).__name__}")
        return value

    def windows(self, name: str, value: Any) -> tuple[int, ...]:
        out = []
        for w in self.sequence(name, value):
            if isinstance(w, bool) or not isinstance(w, int) or w <= 0:
                raise self.fail(name, f"window must be a positive whole number of days; got {w!r}")
            out.append(w)
        if not out:
            raise self.fail(name, "needs at least one window")
        return tuple(sorted(set(out)))

    def column(self, name: str, table: str, column: Any, kinds: set[Kind] | None = None) -> str:
        columns = EVENT_TABLES.get(table) or STATIC_TABLES[table]
        if column not in columns:
            raise self.fail(name, f"unknown column {column!r} of table {table!r}")
        if kinds is not None and columns[column] not in kinds:
            wanted = "/".join(sorted(k.value for k in kinds))
            raise self.fail(name, f"column {column!r} is {columns[column].value}; needs {wanted}")
        return str(column)

    def unique(self, features: Iterable[Feature]) -> None:
        seen: set[str] = set()
        for f in features:
            if f.name in seen:
                raise self.fail(f.name, "defined more than once")
            seen.add(f.name)

    # -- event tables

    def table(
        self, name: str, spec: Any
    ) -> tuple[EventTable, list[AggregateFeature], list[RatioFeature]]:
        if name not in EVENT_TABLES:
            raise self.fail(name, f"unknown event table; known: {sorted(EVENT_TABLES)}")
        spec = self.mapping(
            name, spec, allowed={"entity", "time", "windows", "filters", "aggregates"}
        )
        entity = self.column(name, name, spec.get("entity", "customer_id"), {Kind.ID})
        if entity not in STATIC_TABLES["applications"]:
            raise self.fail(name, f"entity {entity!r} is not a column of applications")
        time = self.column(name, name, spec.get("time", "ts"), {Kind.DATETIME})
        windows = self.windows(f"{name}.windows", spec.get("windows"))
        filters = {ALL: EventFilter(ALL)}
        for fname, fspec in self.mapping(f"{name}.filters", spec.get("filters", {})).items():
            if fname == ALL:
                raise self.fail(f"{name}.filters.all", "'all' is built in (no condition)")
            filters[str(fname)] = self.event_filter(name, str(fname), fspec)
        table = EventTable(name, entity, time, windows, filters)
        aggregates: list[AggregateFeature] = []
        ratios: list[RatioFeature] = []
        for i, entry in enumerate(self.sequence(f"{name}.aggregates", spec.get("aggregates", []))):
            made, made_ratios = self.aggregate_entry(table, f"{name}.aggregates[{i}]", entry)
            aggregates += made
            ratios += made_ratios
        return table, aggregates, ratios

    def event_filter(self, table: str, name: str, spec: Any) -> EventFilter:
        label = f"{table}.filters.{name}"
        items = spec if isinstance(spec, list) else [spec]
        if not items:
            raise self.fail(label, "needs at least one condition")
        return EventFilter(name, tuple(self.condition(table, label, item) for item in items))

    def condition(self, table: str, label: str, spec: Any) -> Condition:
        spec = self.mapping(
            label, spec, allowed={"weekend", "hour", "column", "between", "in", "is"}
        )
        tests = [k for k in ("weekend", "hour", "between", "in", "is") if k in spec]
        if len(tests) != 1:
            raise self.fail(
                label, f"a condition needs exactly one of weekend/hour/between/in/is; got {tests}"
            )
        test = tests[0]
        if test == "weekend":
            if not isinstance(spec["weekend"], bool) or "column" in spec:
                raise self.fail(label, "weekend takes true or false and no column")
            return Condition(ConditionKind.WEEKEND, flag=spec["weekend"])
        if test == "hour":
            bounds = spec["hour"]
            if (
                "column" in spec
                or not isinstance(bounds, list)
                or len(bounds) != 2
                or not all(
                    isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 24 for b in bounds
                )
                or bounds[0] == bounds[1]
            ):
                raise self.fail(
                    label, f"hour takes [low, high), two different hours 0-24; got {bounds!r}"
                )
            return Condition(ConditionKind.HOUR, low=bounds[0], high=bounds[1])
        if "column" not in spec:
            raise self.fail(label, f"{test} needs a column")
        if test == "between":
            column = self.column(label, table, spec["column"], {Kind.NUMERIC})
            bounds = spec["between"]
            ok = isinstance(bounds, list) and len(bounds) == 2
            ok = ok and all(
                b is None or (isinstance(b, int | float) and not isinstance(b, bool))
                for b in bounds
            )
            if not ok or bounds == [None, None] or (None not in bounds and bounds[0] >= bounds[1]):
                raise self.fail(
                    label,
                    f"between takes [low, high) with low < high (null for open); got {bounds!r}",
                )
            low, high = (None if b is None else float(b) for b in bounds)
            return Condition(ConditionKind.BETWEEN, column=column, low=low, high=high)
        if test == "in":
            column = self.column(label, table, spec["column"], {Kind.CATEGORY, Kind.ID})
            values = spec["in"]
            if isinstance(values, str) or not isinstance(values, list) or not values:
                raise self.fail(label, f"in takes a non-empty list of values; got {values!r}")
            return Condition(ConditionKind.IN, column=column, values=tuple(values))
        column = self.column(label, table, spec["column"], {Kind.BOOL})
        if not isinstance(spec["is"], bool):
            raise self.fail(label, f"is takes true or false; got {spec['is']!r}")
        return Condition(ConditionKind.IS, column=column, flag=spec["is"])

    def aggregate_entry(
        self, table: EventTable, label: str, spec: Any
    ) -> tuple[list[AggregateFeature], list[RatioFeature]]:
        spec = self.mapping(
            label,
            spec,
            allowed={"agg", "column", "filters", "windows", "group", "prefix", "window_ratios"},
        )
        raw_aggs = spec.get("agg")
        raw_aggs = (
            [raw_aggs] if isinstance(raw_aggs, str) else self.sequence(f"{label}.agg", raw_aggs)
        )
        aggs = []
        for a in raw_aggs:
            try:
                aggs.append(Agg(a))
            except ValueError:
                raise self.fail(
                    label, f"unknown aggregate {a!r}; known: {[x.value for x in Agg]}"
                ) from None
        column = spec.get("column")
        if any(a in COLUMN_AGGS for a in aggs):
            if column is None:
                raise self.fail(
                    label, f"{[a.value for a in aggs if a in COLUMN_AGGS]} need a column"
                )
            allowed = (
                {Kind.NUMERIC}
                if any(a in NUMERIC_AGGS for a in aggs)
                else set(Kind) - {Kind.DATETIME}
            )
            column = self.column(label, table.name, column, allowed)
        filters = [str(f) for f in self.sequence(f"{label}.filters", spec.get("filters", [ALL]))]
        for f in filters:
            if f not in table.filters:
                raise self.fail(
                    label,
                    f"unknown filter {f!r} of table {table.name!r}; known: {sorted(table.filters)}",
                )
        if Agg.SHARE in aggs and ALL in filters:
            raise self.fail(
                label, "share needs a filter other than 'all' (the share of all events is 1)"
            )
        windows = self.windows(label, spec["windows"]) if "windows" in spec else table.windows
        prefix = str(spec.get("prefix", table.name))
        group = str(spec.get("group", table.name))
        features: list[AggregateFeature] = []
        ratios: list[RatioFeature] = []
        pairs = [
            tuple(p) for p in self.sequence(f"{label}.window_ratios", spec.get("window_ratios", []))
        ]
        for pair in pairs:
            if len(pair) != 2 or not set(pair) <= set(windows) or pair[0] == pair[1]:
                raise self.fail(
                    label,
                    f"window_ratios takes pairs of two of its windows {list(windows)}; got {list(pair)}",
                )
        for agg in aggs:
            for fname in filters:
                base = self.base_name(prefix, agg, column, fname)
                for w in windows:
                    features.append(
                        AggregateFeature(
                            f"{base}_{w}d",
                            table.name,
                            agg,
                            column if agg in COLUMN_AGGS else None,
                            fname,
                            w,
                            group,
                            self.aggregate_text(table, agg, column, fname, w),
                        )
                    )
                for short, long in pairs:
                    ratios.append(
                        RatioFeature(
                            f"{base}_{short}d_over_{long}d",
                            f"{base}_{short}d",
                            f"{base}_{long}d",
                            group,
                            f"{base}_{short}d / {base}_{long}d: recent level against the longer history.",
                        )
                    )
        return features, ratios

    @staticmethod
    def base_name(prefix: str, agg: Agg, column: str | None, fname: str) -> str:
        parts = [prefix, agg.value.replace("distinct_count", "distinct")]
        if agg in COLUMN_AGGS:
            parts.append(str(column))
        if fname != ALL:
            parts.append(fname)
        return "_".join(parts)

    @staticmethod
    def aggregate_text(
        table: EventTable, agg: Agg, column: str | None, fname: str, window: int
    ) -> str:
        text = _AGG_TEXT[agg].format(table=table.name, column=column)
        described = table.filters[fname].describe()
        if agg is Agg.SHARE:
            text += f" {described} among all its events"
        elif described:
            text += f" {described}"
        return f"{text}, in the {window} days before the application."

    # -- fields and ratios

    def field_feature(self, spec: Any) -> FieldFeature:
        allowed = {"name", "table", "column", "group", "description"} | {
            t.value for t in Transform
        } - {"value"}
        name = str(self.mapping("fields", spec).get("name", "fields[?]"))
        spec = self.mapping(name, spec, allowed=allowed)
        table = spec.get("table")
        if table not in STATIC_TABLES:
            raise self.fail(
                name, f"unknown table {table!r}; fields read one of {sorted(STATIC_TABLES)}"
            )
        transforms = [t for t in Transform if t.value in spec]
        if len(transforms) > 1:
            raise self.fail(name, f"at most one transform; got {[t.value for t in transforms]}")
        transform = transforms[0] if transforms else Transform.VALUE
        argument = spec.get(transform.value)
        kinds = {
            Transform.VALUE: {Kind.NUMERIC, Kind.BOOL},
            Transform.EQUALS: {Kind.CATEGORY, Kind.ID, Kind.BOOL, Kind.NUMERIC},
            Transform.CATEGORIES: {Kind.CATEGORY, Kind.ID},
            Transform.DAYS_BEFORE: {Kind.DATETIME, Kind.DATE},
            Transform.DIFFERS_FROM: {Kind.CATEGORY, Kind.ID},
        }[transform]
        column = self.column(name, table, spec.get("column"), kinds)
        if transform is Transform.CATEGORIES and (
            isinstance(argument, str) or not isinstance(argument, list) or not argument
        ):
            raise self.fail(name, f"categories takes a non-empty list; got {argument!r}")
        if transform is Transform.DAYS_BEFORE and argument is not True:
            raise self.fail(name, f"days_before takes true; got {argument!r}")
        if transform is Transform.DIFFERS_FROM:
            self.column(name, table, argument, {STATIC_TABLES[table][column]})
        if transform is Transform.CATEGORIES:
            argument = tuple(argument)
        description = spec.get("description") or f"{column} of {table} ({transform.value})."
        return FieldFeature(
            name,
            table,
            column,
            transform,
            argument,
            str(spec.get("group", table)),
            str(description),
        )

    def ratio(self, spec: Any, groups: Mapping[str, str]) -> RatioFeature:
        name = str(self.mapping("ratios", spec).get("name", "ratios[?]"))
        spec = self.mapping(
            name, spec, allowed={"name", "numerator", "denominator", "group", "description"}
        )
        for key in ("numerator", "denominator"):
            if not isinstance(spec.get(key), str):
                raise self.fail(name, f"needs a {key} (a feature name)")
        num, den = spec["numerator"], spec["denominator"]
        inputs = {groups.get(num), groups.get(den)} - {None}
        group = spec.get("group") or (inputs.pop() if len(inputs) == 1 else "cross")
        description = spec.get("description") or f"{num} / {den}."
        return RatioFeature(name, num, den, str(group), str(description))

    def check_ratios(self, features: Sequence[Feature]) -> None:
        by_name = {f.name: f for f in features}
        for f in features:
            if isinstance(f, RatioFeature):
                for ref in (f.numerator, f.denominator):
                    if ref not in by_name:
                        raise self.fail(f.name, f"ratio refers to unknown feature {ref!r}")
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = path[path.index(name) :] + [name]
                raise self.fail(name, f"cyclic ratio: {' -> '.join(cycle)}")
            state[name] = 1
            feature = by_name[name]
            if isinstance(feature, RatioFeature):
                for ref in (feature.numerator, feature.denominator):
                    visit(ref, [*path, name])
            state[name] = 2

        for f in features:
            visit(f.name, [])
