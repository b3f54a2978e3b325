"""Engines and transactions. SQLite (a file under ``settings.home``) is the embedded default;
any SQLAlchemy URL (e.g. ``postgresql+psycopg://...``) works through ``ZHUDAI_DB_URL``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from zhudai.settings import get_settings


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """One engine per URL (default: the settings' database URL)."""
    url = url or get_settings().database_url
    engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


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
