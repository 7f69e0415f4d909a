"""Alembic environment: both metadatas (BSS and back office) in one database.

The URL is the config's ``sqlalchemy.url`` when set (tests, ``app.db.upgrade_to_head``), else
the project settings, so ``alembic upgrade head`` targets the same database as the app.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context

from app.backoffice.tables import backoffice_metadata
from app.db import is_sqlite, make_engine
from billing_adapters.sql.tables import bss_metadata
from billing_adapters.sql.types import UtcDateTime

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = [bss_metadata, backoffice_metadata]


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Revisions must not import app code: UtcDateTime is a plain DateTime in the database.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime()"
    return False


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from app.settings import Settings

    return Settings().database_url


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=is_sqlite(url),
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _url()
    # make_engine: same pragmas and BEGIN IMMEDIATE as the app, and the SQLite folder is created.
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=is_sqlite(url),
                compare_type=True,
                render_item=render_item,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
