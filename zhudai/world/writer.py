"""Deterministic Parquet output: fixed writer settings, no timestamps, caller-fixed row order.

pyarrow writes no creation time; ``created_by`` is the library version and the schema is the
table's own, so the same data gives byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

_OPTIONS = {"compression": "zstd", "compression_level": 1, "write_statistics": True}
ROW_GROUP = 1_000_000


def label_column(names, codes: np.ndarray) -> pl.Series:
    """String column ``names[codes]``, gathered in Polars (much faster than numpy strings)."""
    return pl.Series(list(names), dtype=pl.Utf8).gather(
        pl.Series(np.asarray(codes, dtype=np.int64))
    )


def _arrow(df: pl.DataFrame) -> pa.Table:
    return df.to_arrow().replace_schema_metadata(None)


def _dictionary_columns(table: pa.Table) -> list[str]:
    """Dictionary-encode text and flags only: ids, times and amounts rarely repeat."""
    return [
        f.name
        for f in table.schema
        if pa.types.is_large_string(f.type)
        or pa.types.is_string(f.type)
        or pa.types.is_boolean(f.type)
    ]


def write_table(df: pl.DataFrame, path: Path) -> int:
    """Write one table; returns its row count."""
    table = _arrow(df)
    pq.write_table(
        table, path, row_group_size=ROW_GROUP, use_dictionary=_dictionary_columns(table), **_OPTIONS
    )
    return df.height


class BlockWriter:
    """Append blocks of one table to a Parquet file (bounded memory for big event tables)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, df: pl.DataFrame) -> None:
        table = _arrow(df)
        if self._writer is None:
            self._writer = pq.ParquetWriter(
                self.path, table.schema, use_dictionary=_dictionary_columns(table), **_OPTIONS
            )
        self._writer.write_table(table, row_group_size=ROW_GROUP)
        self.rows += df.height

    def close(self) -> int:
        """Finish the file; returns its row count."""
        if self._writer is not None:
            self._writer.close()
        return self.rows
