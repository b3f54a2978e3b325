"""Schema migrations (Alembic), configured in code so no ``alembic.ini`` has to be found."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from zhudai.exceptions import MigrationError
from zhudai.store.db import get_engine

_SCRIPTS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> str:
    """Bring the database at ``url`` (default: settings) to ``revision``; returns the URL used."""
    engine = get_engine(url)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # SQLite alters a table by copying it into a new one (Alembic's batch mode); with
            # foreign keys enforced, dropping the old one fails while other tables point at it.
            # The switch only works outside a transaction; the keys are checked before commit.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise MigrationError(f"foreign keys broken by the upgrade: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
    return engine.url.render_as_string(hide_password=True)


def current_revision(url: str | None = None) -> str | None:
    """The revision the database is at (``None`` before the first upgrade)."""
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision the migrations define (there is exactly one head)."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {heads}")
    return str(heads[0])
