"""Copy a whole store (every table of ``zhudai.store.models``) into an empty database, so a test
can serve the session's demo home on PostgreSQL without running the demo again there."""

from __future__ import annotations

from sqlalchemy import func, select, text

from zhudai.store.db import get_engine
from zhudai.store.migrate import upgrade
from zhudai.store.models import Base

_CHUNK = 5_000


def copy_store(source_url: str, target_url: str) -> dict[str, int]:
    """Migrate ``target_url`` to head, empty it and copy every row of ``source_url`` into it, parents
    before children; PostgreSQL's id sequences then continue after the copied ids. Returns
    the rows copied per table."""
    upgrade(target_url)
    source, target = get_engine(source_url), get_engine(target_url)
    copied: dict[str, int] = {}
    with source.connect() as src, target.begin() as dst:
        for table in reversed(Base.metadata.sorted_tables):  # rows the migrations seeded
            dst.execute(table.delete())
        for table in Base.metadata.sorted_tables:
            rows = src.execute(select(table)).mappings()
            n = 0
            while chunk := rows.fetchmany(_CHUNK):
                dst.execute(table.insert(), [dict(r) for r in chunk])
                n += len(chunk)
            copied[table.name] = n
            if target.dialect.name != "postgresql":
                continue
            for column in table.primary_key.columns:
                if column.autoincrement is not True and not (
                    column.autoincrement == "auto" and len(table.primary_key.columns) == 1
                ):
                    continue
                sequence = dst.scalar(
                    text("select pg_get_serial_sequence(:t, :c)"),
                    {"t": table.name, "c": column.name},
                )
                top = dst.scalar(select(func.max(column)))
                if sequence and top is not None:
                    dst.execute(text("select setval(:s, :v)"), {"s": sequence, "v": top})
    return copied
