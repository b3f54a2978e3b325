"""Alembic environment: migrates the URL handed over by :func:`zhudai.store.migrate.upgrade`."""

from alembic import context
from sqlalchemy import create_engine

from zhudai.store.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connectable = config.attributes.get("connection") or create_engine(url)
    with connectable.connect() if hasattr(connectable, "connect") else connectable as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
