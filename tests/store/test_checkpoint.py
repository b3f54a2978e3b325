"""WAL checkpoints run from the background thread, not inside a committing call.

Until a checkpoint, committed pages live only in the ``-wal`` file: the database file's size
tells, without checkpointing anything itself, whether one ran."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

from zhudai.store.checkpoint import BACKSTOP_PAGES, WalCheckpointer
from zhudai.store.db import get_engine

ROWS, ROW_BYTES = 40, 4000


def test_engine_connections_leave_checkpoints_to_the_thread(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'z.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKSTOP_PAGES
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_run_once_copies_the_wal_back_and_drops_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
    writer.execute("CREATE TABLE t (x BLOB)")
    for _ in range(ROWS):
        writer.execute(f"INSERT INTO t VALUES (randomblob({ROW_BYTES}))")
        writer.commit()
    assert path.stat().st_size < ROWS * ROW_BYTES  # the writer checkpointed nothing itself
    checkpointer = WalCheckpointer(interval_s=3600)
    gone = tmp_path / "gone.db"
    checkpointer._paths |= {path, gone}  # registered without starting the thread
    checkpointer.run_once()
    assert path.stat().st_size > ROWS * ROW_BYTES
    assert gone not in checkpointer._paths
    assert writer.execute("SELECT count(*) FROM t").fetchone()[0] == ROWS
    writer.close()


def test_registered_thread_checkpoints_a_live_engine(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    engine = get_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x BLOB)"))
    for _ in range(ROWS):
        with engine.begin() as conn:
            conn.execute(text(f"INSERT INTO t VALUES (randomblob({ROW_BYTES}))"))
    deadline = time.monotonic() + 10
    while path.stat().st_size < ROWS * ROW_BYTES and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.stat().st_size > ROWS * ROW_BYTES
