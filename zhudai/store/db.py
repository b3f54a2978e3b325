"""Engines and transactions. SQLite (a file under ``settings.home``) is the embedded default;
any SQLAlchemy URL (e.g. ``postgresql+psycopg://...``) works through ``ZHUDAI_DB_URL``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from zhudai.privacy.masking import mask_text
from zhudai.settings import get_settings
from zhudai.store.checkpoint import BACKSTOP_PAGES, CHECKPOINTER

# user:password@ inside any URL, and libpq's password=... in a connection string.
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]+@")
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")  # CHECKPOINTER does it
    cur.close()


_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def json_dumps(value: object) -> str:
    """JSON text of a column value (orjson: a decision record of ~19 KB takes some 40 us
    instead of the standard library's 425 us, measured on the live pipeline's records).

    Examples
    --------
    >>> json_dumps({"score": 612.5, 3: None})
    '{"score":612.5,"3":null}'
    """
    return orjson.dumps(value, option=_JSON_OPTIONS).decode()


#: Called with a writing transaction's connection and the JSON answer of that write, so a
#: caller (the API's idempotency store) can keep the answer in the same transaction.
AnswerHook = Callable[[Connection, dict[str, Any]], None]


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL (default: the settings' database URL, read at each call, so the
    cache is keyed by the URL itself and a changed ``ZHUDAI_HOME`` gets its own engine)."""
    return _engine(url or get_settings().database_url)


def clear_engines() -> None:
    """Forget the cached engines (a removed or replaced database file)."""
    _engine.cache_clear()


get_engine.cache_clear = clear_engines  # type: ignore[attr-defined]  # the former lru_cache API


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    engine = create_engine(
        url,
        future=True,
        pool_pre_ping=not url.startswith("sqlite"),
        json_serializer=json_dumps,
        json_deserializer=orjson.loads,
    )
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if engine.url.database and engine.url.database != ":memory:":
            CHECKPOINTER.register(Path(engine.url.database))
    return engine


#: One writer at a time per SQLite database in this process (see :func:`write_transaction`).
_SQLITE_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_GUARD = threading.Lock()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """``engine.begin()``; on SQLite, this process's threads first take turns for it.

    SQLite has one write lock per database: a thread that finds it taken sleeps in SQLite's
    busy handler (1, 2, 5 ... up to 100 ms a try) while others take it, so a hot writer's tail
    grows. Queueing on a Python lock hands it over at once: the API's p99 on the embedded store
    went from 170 to 93 ms at 8 connections (one worker, one core). Reentrant, so a write
    inside it may open another.
    """
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            yield conn
        return
    with _WRITERS_GUARD:
        lock = _SQLITE_WRITERS.setdefault(str(engine.url), threading.RLock())
    with lock, engine.begin() as conn:
        yield conn


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A unit of work: everything in the block commits together or not at all."""
    session = sessionmaker(get_engine(url), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def describe_error(exc: SQLAlchemyError, urls: Iterable[str] = ()) -> str:
    """One line for a user: the driver's first message line (SQLAlchemy's own message if no
    driver was involved), without the SQL, its parameters or any password. The passwords of
    ``urls`` (e.g. ``ZHUDAI_DB_URL`` and ``--url``) are masked wherever they appear.

    Examples
    --------
    >>> from sqlalchemy.exc import OperationalError
    >>> err = OperationalError("SELECT 1", {}, Exception("password for u:pw@db rejected\\nhint"))
    >>> describe_error(err, ["postgresql://u:pw@db/x"])
    'password for u:***@db rejected'
    """
    message = str(exc.orig) if isinstance(exc, DBAPIError) and exc.orig is not None else str(exc)
    line = next((ln.strip() for ln in message.splitlines() if ln.strip()), type(exc).__name__)
    line = _KV_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", line))
    for url in urls:
        try:
            password = make_url(url).password
        except Exception:  # not a URL: nothing of it to mask
            continue
        if password:
            line = line.replace(str(password), "***")
    return mask_text(line)
