"""Tables on disk: Parquet or CSV, chosen by the file's suffix, read and written in one place.

Every command and loader that takes a table file (``--data``, ``--labels``, ``--out``, a data
set to import) goes through here, so they accept the same suffixes and fail the same way.

Examples
--------
>>> import tempfile, pathlib
>>> import polars as pl
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_table(pl.DataFrame({"id": [1, 2], "bad": [0, 1]}), folder / "labels.parquet")
>>> read_table(folder / "labels.parquet")["bad"].to_list()
[0, 1]
>>> read_table(folder / "labels.xlsx", "labels")
Traceback (most recent call last):
...
zhudai.exceptions.InvalidInputError: labels: labels.xlsx: unknown file kind '.xlsx'; use .csv or .parquet
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd
import polars as pl

from zhudai.exceptions import InvalidInputError, MissingFileError

TableKind = Literal["csv", "parquet"]

SUFFIXES: dict[str, TableKind] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def table_kind(path: str | Path, field: str = "data") -> TableKind:
    """``"csv"`` or ``"parquet"`` by the suffix of ``path``; another suffix is refused, naming
    ``field`` (check an output path with it before the work that fills it)."""
    p = Path(path)
    kind = SUFFIXES.get(p.suffix.lower())
    if kind is None:
        raise InvalidInputError(
            field, f"{p.name}: unknown file kind {p.suffix.lower()!r}; use .csv or .parquet"
        )
    return kind


def _existing(path: str | Path, field: str) -> tuple[Path, TableKind]:
    p = Path(path)
    kind = table_kind(p, field)
    if not p.is_file():
        raise MissingFileError(field, p)
    return p, kind


def read_table(path: str | Path, field: str = "data", **csv_options: Any) -> pl.DataFrame:
    """The table in ``path`` as a polars frame; ``csv_options`` go to :func:`polars.read_csv`
    (Parquet ignores them). A missing file is a :class:`MissingFileError` naming ``field``."""
    p, kind = _existing(path, field)
    return pl.read_parquet(p) if kind == "parquet" else pl.read_csv(p, **csv_options)


def read_pandas_table(path: str | Path, field: str = "data") -> pd.DataFrame:
    """The table in ``path`` as a pandas frame (pandas' own readers, so its dtypes)."""
    p, kind = _existing(path, field)
    return pd.read_parquet(p) if kind == "parquet" else pd.read_csv(p)


def write_table(frame: pl.DataFrame | pd.DataFrame, path: str | Path, field: str = "out") -> None:
    """Write ``frame`` (polars or pandas, without the pandas index) to ``path`` by its suffix,
    creating the folder."""
    p = Path(path)
    kind = table_kind(p, field)
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(frame, pl.DataFrame) and kind == "parquet":
        frame.write_parquet(p)
    elif isinstance(frame, pl.DataFrame):
        frame.write_csv(p)
    elif kind == "parquet":
        frame.to_parquet(p, index=False)
    else:
        frame.to_csv(p, index=False)
