"""Import a real data set from CSV or Parquet under zhudai's column names and types.

A :class:`Column` says where a zhudai column comes from (``source``), what type it must have
and, for dates, its format. :func:`import_table` reads the file, renames, casts strictly, and
fails with one clear message naming the column (and for a bad value its row and text), so a
mapping mistake is found at import time rather than deep inside a model.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "loans.csv"
>>> _ = path.write_text("cust_no,amt,opened,overdue\\n7,1200.5,2024-03-01,yes\\n8,800,2024-03-09,no\\n")
>>> df = import_table(path, {"cust_no": "customer_id", "amt": Column("amount", "float64"),
...                          "opened": Column("booked_on", "date"), "overdue": Column("bad", "bool")})
>>> df.columns, df["bad"].to_list()
(['customer_id', 'amount', 'booked_on', 'bad'], [True, False])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from zhudai.exceptions import InvalidInputError
from zhudai.table_files import read_table

ColumnType = Literal["int64", "float64", "str", "bool", "date", "datetime", "keep"]
_TRUE = {"true", "1", "yes", "y", "t", "是", "1.0"}
_FALSE = {"false", "0", "no", "n", "f", "否", "0.0"}
_POLARS = {"int64": pl.Int64, "float64": pl.Float64, "str": pl.Utf8}
_DEFAULT_FORMAT = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%d %H:%M:%S"}


@dataclass(frozen=True)
class Column:
    """One zhudai column: its name, type (``keep`` = as read) and date/time ``format``.

    ``required=False`` lets the source column be absent (the column is then all null).
    """

    name: str
    dtype: ColumnType = "keep"
    format: str | None = None
    required: bool = True

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise InvalidInputError("name", f"must be a non-empty string; got {self.name!r}")
        if self.dtype not in ("int64", "float64", "str", "bool", "date", "datetime", "keep"):
            raise InvalidInputError(
                self.name,
                f"dtype must be one of int64, float64, str, bool, date, datetime, keep; got {self.dtype!r}",
            )


def import_table(
    path: str | Path,
    columns: Mapping[str, str | Column],
    *,
    keep_unmapped: bool = False,
    delimiter: str = ",",
    null_values: tuple[str, ...] = ("", "NA", "NULL", "null", "None"),
) -> pl.DataFrame:
    """Read ``path`` (``.csv``/``.txt`` or ``.parquet``) and map ``source -> zhudai`` columns.

    Parameters
    ----------
    path
        The file; its suffix chooses the reader.
    columns
        ``{source column: zhudai name or Column}``, in the output's column order.
    keep_unmapped
        Append the source columns that are not mapped, unchanged (default: drop them).
    delimiter, null_values
        CSV reading options (ignored for Parquet).

    Raises
    ------
    InvalidInputError
        The file is missing or of an unknown kind, a required source column is absent, two
        sources map to one name, or a value cannot be parsed as its column's type.
    """
    path = Path(path)
    if not columns:
        raise InvalidInputError("columns", "the mapping is empty; map at least one column")
    specs = {src: (c if isinstance(c, Column) else Column(str(c))) for src, c in columns.items()}
    names = [c.name for c in specs.values()]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InvalidInputError("columns", f"several source columns map to {duplicated}")
    # CSV is read as text throughout: the mapping decides the types
    raw = read_table(
        path, "path", separator=delimiter, infer_schema=False, null_values=list(null_values)
    )
    out: list[pl.Series] = []
    for source, spec in specs.items():
        if source not in raw.columns:
            if spec.required:
                raise InvalidInputError(
                    source,
                    f"column not found in {path.name} (wanted for {spec.name!r}); "
                    f"available: {', '.join(raw.columns[:20])}",
                )
            out.append(
                pl.Series(spec.name, [None] * raw.height, dtype=_POLARS.get(spec.dtype, pl.Utf8))
            )
            continue
        out.append(_cast(raw[source], spec, source).alias(spec.name))
    if keep_unmapped:
        out += [raw[c] for c in raw.columns if c not in specs and c not in names]
    return pl.DataFrame(out)


def _cast(series: pl.Series, spec: Column, source: str) -> pl.Series:
    """Cast strictly; on failure, name the column, the first bad row and its value."""
    if spec.dtype == "keep":
        return series
    text = series.cast(pl.Utf8).str.strip_chars() if series.dtype == pl.Utf8 else series
    if spec.dtype == "bool":
        return _to_bool(text, spec, source)
    if spec.dtype in ("date", "datetime"):
        if series.dtype == pl.Date or isinstance(series.dtype, pl.Datetime):
            return series.cast(pl.Date if spec.dtype == "date" else pl.Datetime("us"))
        fmt = spec.format or _DEFAULT_FORMAT[spec.dtype]
        parse = text.str.to_date if spec.dtype == "date" else text.str.to_datetime
        parsed = parse(fmt, strict=False)
        return _check(text, parsed, spec, source, f"{spec.dtype} ({fmt})")
    if spec.dtype == "int64" and text.dtype == pl.Utf8:
        # "12" and "12.0" are integers; "12.5" is not (no silent truncation).
        exact = text.cast(pl.Int64, strict=False)  # every int64, no float rounding
        as_float = text.cast(pl.Float64, strict=False)
        whole = as_float.is_not_null() & (as_float == as_float.floor()) & (as_float.abs() < 2**53)
        nulls = pl.Series(text.name, [None] * len(text), dtype=pl.Int64)
        parsed = exact.fill_null(as_float.cast(pl.Int64, strict=False).zip_with(whole, nulls))
        return _check(text, parsed, spec, source, "an integer")
    return _check(text, text.cast(_POLARS[spec.dtype], strict=False), spec, source, spec.dtype)


def _to_bool(text: pl.Series, spec: Column, source: str) -> pl.Series:
    if text.dtype == pl.Boolean:
        return text
    low = text.cast(pl.Utf8).str.to_lowercase()
    values = pl.select(
        pl.when(pl.lit(low.is_in(list(_TRUE))))
        .then(True)
        .when(pl.lit(low.is_in(list(_FALSE))))
        .then(False)
        .alias("v")
    )["v"]
    return _check(
        text, values.cast(pl.Boolean), spec, source, "a boolean (true/false, 1/0, yes/no)"
    )


def _check(
    original: pl.Series, parsed: pl.Series, spec: Column, source: str, what: str
) -> pl.Series:
    bad = parsed.is_null() & original.is_not_null()
    if bad.any():
        row = int(bad.arg_true()[0])
        raise InvalidInputError(
            source,
            f"cannot parse {original[row]!r} at row {row + 1} as {what} (for {spec.name!r}); "
            f"{int(bad.sum())} bad value(s) in all",
        )
    return parsed


__all__ = ["Column", "ColumnType", "import_table"]
