"""Loading a generated world (``zhudai world generate --out DIR``) into the store.

The world's Parquet files already carry personal data only as ciphertexts, tokens and masks, so
loading is a column mapping. Everything goes in one transaction, including moving PostgreSQL's id
sequences past the loaded ids: a failed load leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from rich.progress import Progress
from sqlalchemy import Connection, Table, func, literal, select

from zhudai.exceptions import InvalidInputError
from zhudai.store.db import get_engine
from zhudai.store.migrate import upgrade
from zhudai.store.models import Base

_CHUNK = 50_000


@dataclass(frozen=True)
class TableLoad:
    """How one world table becomes one store table."""

    parquet: str
    table_name: str
    rename: dict[str, str] = field(default_factory=dict)
    derive: Callable[[pl.DataFrame], pl.DataFrame] | None = None

    @property
    def table(self) -> Table:
        return Base.metadata.tables[self.table_name]


def _idempotency(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(idempotency_key=pl.format("world-{}", pl.col("repayment_id")))


def _no_penalty(df: pl.DataFrame) -> pl.DataFrame:
    """The world's bank charges no penalty interest (its paid amounts are the dues exactly)."""
    return df.with_columns(penalty_apr=pl.lit(0.0))


def _unpaid_is_zero(df: pl.DataFrame) -> pl.DataFrame:
    return (
        df.with_columns(pl.col("paid_amount").fill_null(0.0)) if "paid_amount" in df.columns else df
    )


def _channel_codes(df: pl.DataFrame) -> pl.DataFrame:
    """A world channel's kind is the code partners send (one channel per kind)."""
    return df.with_columns(code=pl.col("kind"))


def _funder_appetite(df: pl.DataFrame) -> pl.DataFrame:
    """A funder's code (its name's first word) and a daily quota of a 30th of the monthly one;
    grades and products are left open (the routing also reads ``min_score`` and ``max_apr``)."""
    return df.with_columns(
        code=pl.col("name").str.split(" ").list.first().str.to_lowercase(),
        daily_quota=(pl.col("monthly_quota") / 30).round(2),
    )


# Parents before children, so foreign keys hold at every insert.
LOADS: tuple[TableLoad, ...] = (
    TableLoad("channels", "channels", {"channel_id": "id"}, derive=_channel_codes),
    TableLoad("products", "products", {"product_code": "code"}),
    TableLoad("funders", "funders", {"funder_id": "id"}, derive=_funder_appetite),
    TableLoad("customers", "customers", {"customer_id": "id"}),
    TableLoad("applications", "applications", {"application_id": "id"}),
    TableLoad("bureau", "bureau_reports"),
    TableLoad("device_events", "device_events", {"event_id": "id"}),
    TableLoad("orders", "orders", {"order_id": "id"}),
    TableLoad("card_txns", "card_txns", {"txn_id": "id"}),
    TableLoad("contacts", "contacts", {"is_customer_id": "contact_customer_id"}),
    TableLoad("loans", "loans", {"loan_id": "id"}, derive=_no_penalty),
    TableLoad("installments", "installments", derive=_unpaid_is_zero),
    TableLoad("repayments", "repayments", {"repayment_id": "id"}, derive=_idempotency),
    TableLoad("collection_actions", "collection_actions", {"action_id": "id"}),
    TableLoad("call_transcripts", "call_records", {"call_id": "id", "text": "transcript"}),
    TableLoad("complaints", "complaints", {"complaint_id": "id"}),
)


def _frame(world_dir: Path, load: TableLoad) -> pl.DataFrame | None:
    path = world_dir / f"{load.parquet}.parquet"
    if not path.exists():
        return None
    df = pl.read_parquet(path)
    if load.derive is not None:
        df = load.derive(df)
    df = df.rename({k: v for k, v in load.rename.items() if k in df.columns})
    keep = [c.name for c in load.table.columns if c.name in df.columns]
    return df.select(keep)


def _advance_sequences(conn: Connection, tables: list[Table]) -> None:
    """Set each table's serial/identity sequence past its largest id (PostgreSQL only).

    The world brings explicit ids, which do not move a sequence; without this the store's next
    insert (e.g. ``submit_application``) would take id 1 and collide with the loaded rows. An
    empty table's sequence restarts at 1. SQLite needs nothing: its next rowid is max + 1.
    """
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.format_table
    for table in tables:
        col = table.autoincrement_column  # an integer, non-foreign-key, single-column primary key
        if col is None:
            continue
        seq = func.pg_get_serial_sequence(literal(quote(table)), literal(col.name))
        if conn.scalar(select(seq)) is None:  # an integer id without a sequence: nothing to move
            continue
        top = func.max(col)
        conn.execute(select(func.setval(seq, func.coalesce(top, 1), top.is_not(None))))


def load_world_dir(world_dir: str | Path, db_url: str | None = None) -> dict[str, int]:
    """Load every world table found in ``world_dir`` into the store at ``db_url``.

    Returns the rows written per store table. Raises :class:`InvalidInputError` if the folder
    holds no world.
    """
    world_dir = Path(world_dir)
    if not (world_dir / "customers.parquet").exists():
        raise InvalidInputError(
            "world_dir", f"{world_dir} has no customers.parquet (not a generated world)"
        )
    upgrade(db_url)
    frames = [(load, df) for load in LOADS if (df := _frame(world_dir, load)) is not None]
    counts: dict[str, int] = {}
    with Progress(transient=True) as progress, get_engine(db_url).begin() as conn:
        task = progress.add_task("loading world", total=sum(df.height for _, df in frames))
        for load, df in frames:
            for chunk in df.iter_slices(_CHUNK):
                conn.execute(load.table.insert(), chunk.to_dicts())
                progress.advance(task, chunk.height)
            counts[load.table.name] = df.height
        _advance_sequences(conn, [load.table for load, _ in frames])
    return counts
