"""Input frames shared by the batch and Spark engines: checks and the application/static views."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from zhudai.exceptions import InvalidInputError
from zhudai.features.definitions import FieldFeature, Transform
from zhudai.features.plan import Plan
from zhudai.features.schema import APPLICATION_KEY, APPLICATION_TIME, STATIC_KEYS

#: Leading columns of every batch output, before the features.
ID_COLUMNS = (APPLICATION_KEY, "customer_id", APPLICATION_TIME)
ROW = "__row"


def field_columns(f: FieldFeature) -> list[str]:
    """Columns of its table a field feature reads."""
    return [f.column, str(f.argument)] if f.transform is Transform.DIFFERS_FROM else [f.column]


def static_name(table: str, column: str) -> str:
    """Column name of a static table's column in the joined static frame."""
    return column if table == "applications" else f"{table}.{column}"


def application_frame(plan: Plan, applications: pl.DataFrame) -> pl.DataFrame:
    """The application columns a plan reads, with ``applied_at`` in microseconds and a row index."""
    fields = [f for f in plan.fields.values() if f.table == "applications"]
    entities = sorted({tp.table.entity for tp in plan.tables.values()})
    used = sorted({c for f in fields for c in field_columns(f)})
    cols = list(dict.fromkeys([*ID_COLUMNS, *entities, *used]))
    apps = require_table({"applications": applications}, "applications", cols).select(cols)
    return (
        apps.with_columns(pl.col(APPLICATION_TIME).cast(pl.Datetime("us")))
        .with_row_index(ROW)
        .with_columns(pl.col(ROW).cast(pl.Int64))
    )


def require_table(
    tables: Mapping[str, pl.DataFrame], name: str, columns: list[str]
) -> pl.DataFrame:
    """The table ``name`` with ``columns``, or an error naming what is missing."""
    if name not in tables:
        raise InvalidInputError(name, "table missing: the feature set reads it")
    frame = tables[name]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"{name}.{missing[0]}", f"column missing; the table has {frame.columns}"
        )
    return frame


def null_values_error(table: str, column: str, count: int) -> InvalidInputError:
    """The error for missing values in an event column.

    The engines would treat them differently (a null spreads through a polars sum, Spark's
    skips it), so every engine refuses them and the caller decides to drop or fill.
    """
    return InvalidInputError(
        f"{table}.{column}",
        f"{count} null value(s); event columns must be complete (drop or fill them)",
    )


def require_events(
    tables: Mapping[str, pl.DataFrame], name: str, columns: list[str]
) -> pl.DataFrame:
    """The event table ``name`` with ``columns``, which must hold no nulls."""
    frame = require_table(tables, name, columns)
    nulls = frame.select(pl.col(columns).null_count()).row(0)
    for column, count in zip(columns, nulls, strict=True):
        if count:
            raise null_values_error(name, column, count)
    return frame


def static_tables(plan: Plan, tables: Mapping[str, pl.DataFrame]) -> list[tuple[str, pl.DataFrame]]:
    """(join key, frame) of each static table other than applications that fields read.

    Columns are renamed ``<table>.<column>`` (see :func:`static_name`) and keys made unique,
    so a left join onto the applications adds exactly one row's worth of columns.
    """
    fields = list(plan.fields.values())
    out = []
    for table in sorted({f.table for f in fields} - {"applications"}):
        key = STATIC_KEYS[table]
        columns = sorted({c for f in fields if f.table == table for c in field_columns(f)})
        frame = require_table(tables, table, [key, *columns]).unique(
            key, keep="first", maintain_order=True
        )
        out.append(
            (key, frame.select(key, *[pl.col(c).alias(static_name(table, c)) for c in columns]))
        )
    return out
