"""Read-only sessions on SQLite (app.db.read_only): they read while a writer holds the lock,
and they cannot write. The BSS's reads and the back office's known reads use them."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.backoffice.sql import SqlBackOfficeFactory
from app.db import make_engine, read_only
from billing_adapters.sql import SqlBss


def test_a_read_only_session_reads_at_once_while_a_writer_holds_the_lock(
    seeded_engine: Engine,
) -> None:
    bss = SqlBss(seeded_engine)
    writer = Session(seeded_engine)
    writer.execute(text("UPDATE bss_accounts SET name = name"))  # BEGIN IMMEDIATE: the lock
    try:
        started = time.monotonic()
        account = bss.get_account("100001")
        with SqlBackOfficeFactory(read_only(seeded_engine))() as office:
            office.flags.kill_switch()
        assert time.monotonic() - started < 1.0  # the busy timeout is 30 s
        assert account.account_id == "100001"
    finally:
        writer.rollback()
        writer.close()


def test_a_read_only_session_cannot_write_while_another_writer_holds_the_lock(
    seeded_engine: Engine,
) -> None:
    impatient = make_engine(str(seeded_engine.url), busy_timeout_s=0.2)
    writer = Session(seeded_engine)
    writer.execute(text("UPDATE bss_accounts SET name = name"))
    try:
        with Session(read_only(impatient)) as reader:
            assert reader.scalar(text("SELECT count(*) FROM bss_accounts"))
            with pytest.raises(OperationalError):
                reader.execute(text("UPDATE bss_accounts SET name = name"))
    finally:
        writer.rollback()
        writer.close()
        impatient.dispose()


def test_writers_still_wait_for_each_other(seeded_engine: Engine) -> None:
    impatient = make_engine(str(seeded_engine.url), busy_timeout_s=0.2)
    writer = Session(seeded_engine)
    writer.execute(text("UPDATE bss_accounts SET name = name"))
    try:
        started = time.monotonic()
        with Session(impatient) as second, pytest.raises(OperationalError):
            second.execute(text("SELECT 1"))  # BEGIN IMMEDIATE waits, then gives up
        assert time.monotonic() - started >= timedelta(milliseconds=150).total_seconds()
    finally:
        writer.rollback()
        writer.close()
        impatient.dispose()
