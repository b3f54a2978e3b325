"""``write_transaction``: on SQLite the process's writers take turns, so a read-then-write
transaction neither fails on SQLite's lock upgrade nor loses another thread's update."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from zhudai.store.db import get_engine, write_transaction

THREADS, WRITES = 4, 25


def _counter(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = get_engine(f"sqlite:///{tmp_path / 'counter.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    return engine


def _bump(engine, begin, errors: list[Exception]) -> None:  # type: ignore[no-untyped-def]
    for _ in range(WRITES):
        try:
            with begin(engine) as conn:
                n = conn.execute(text("SELECT n FROM counter")).scalar_one()
                threading.Event().wait(0.001)  # another thread gets the GIL here
                conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except Exception as exc:  # noqa: BLE001 -- collected for the assertion
            errors.append(exc)


def _run(engine, begin) -> tuple[int, list[Exception]]:  # type: ignore[no-untyped-def]
    errors: list[Exception] = []
    threads = [threading.Thread(target=_bump, args=(engine, begin, errors)) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.connect() as conn:
        return conn.execute(text("SELECT n FROM counter")).scalar_one(), errors


def test_sqlite_writers_take_turns(tmp_path: Path) -> None:
    engine = _counter(tmp_path)
    assert _run(engine, write_transaction) == (THREADS * WRITES, [])


def test_without_turns_sqlite_refuses_or_loses_updates(tmp_path: Path) -> None:
    engine = _counter(tmp_path)  # the same work on engine.begin(): what the lock prevents
    total, errors = _run(engine, lambda e: e.begin())
    assert errors or total < THREADS * WRITES


def test_a_write_inside_a_write_does_not_wait_for_itself(tmp_path: Path) -> None:
    engine = _counter(tmp_path)
    other = get_engine(f"sqlite:///{tmp_path / 'other.db'}")
    with write_transaction(engine) as conn, write_transaction(engine) as inner:
        assert conn is not inner  # two transactions, one thread: the lock is reentrant
    with write_transaction(other):
        pass
