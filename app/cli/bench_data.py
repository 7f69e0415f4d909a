"""What the benchmarks run on: accounts of their own, a stack of their own (percentiles are
in bench_stats.py, re-exported here for bench_voice.py)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cli.bench_stats import percentile, percentiles
from app.cli.stack import Stack, StackConfig, isolated_config
from app.db import make_engine, upgrade_to_head
from app.seeding import reset_demo
from billing_adapters.demo_operator import DemoOperator, demo_operator
from billing_adapters.sql.load import insert_demo
from billing_adapters.sql.tables import BssAccount

__all__ = ["add_accounts", "bench_accounts", "percentile", "percentiles", "throwaway_stack"]

FIRST_BENCH_ID = 700000  # six digits, as the demo's: ids compare as strings in order
TEMPLATE_ACCOUNT = "100001"  # Ana: a late fee on the current bill and no waiver in the window


def bench_accounts(
    now: datetime, count: int, base: int = FIRST_BENCH_ID
) -> tuple[DemoOperator, list[str]]:
    """``count`` copies of the template account with ids from ``base`` on, fresh phones and
    line ids."""
    demo = demo_operator(now)
    entry = next(a for a in demo.accounts if a.account.account_id == TEMPLATE_ACCOUNT)
    bills = [b for b in demo.bills if b.account_id == TEMPLATE_ACCOUNT]
    accounts, all_bills, ids = [], [], []
    for n in range(count):
        account_id = str(base + n)
        ids.append(account_id)
        account = entry.account.model_copy(
            update={"account_id": account_id, "phone": f"+1555{account_id}9"[:12]}
        )
        accounts.append(entry.model_copy(update={"account": account}))
        for bill in bills:
            bill_id = bill.bill_id.replace(TEMPLATE_ACCOUNT, account_id)
            lines = tuple(
                line.model_copy(update={"line_id": f"{bill_id}-{i}"})
                for i, line in enumerate(bill.lines)
            )
            all_bills.append(
                bill.model_copy(
                    update={"bill_id": bill_id, "account_id": account_id, "lines": lines}
                )
            )
    payments = tuple(
        p.model_copy(
            update={
                "account_id": a,
                "bill_id": p.bill_id.replace(TEMPLATE_ACCOUNT, a),
            }
        )
        for a in ids
        for p in demo.payments
        if p.account_id == TEMPLATE_ACCOUNT
    )
    subset = demo.model_copy(
        update={
            "accounts": tuple(accounts),
            "bills": tuple(all_bills),
            "payments": payments,
            "orders": (),
            "incidents": (),
            "history": (),
        }
    )
    return subset, ids


def add_accounts(database_url: str, count: int) -> list[str]:
    """``count`` new copies of the template account, numbered after the last ones added."""
    engine = make_engine(database_url)
    with Session(engine) as session, session.begin():
        last = session.scalar(
            select(func.max(BssAccount.account_id)).where(
                BssAccount.account_id >= str(FIRST_BENCH_ID)
            )
        )
        base = int(last) + 1 if last else FIRST_BENCH_ID
        subset, ids = bench_accounts(datetime.now(timezone.utc), count, base)
        insert_demo(session, subset)
    engine.dispose()
    return ids


@contextmanager
def throwaway_stack(**env: str) -> Iterator[tuple[StackConfig, Stack]]:
    """The whole stack on free ports, on a temporary database seeded with the demo operator."""
    with tempfile.TemporaryDirectory(prefix="kestrel-bench-") as folder:
        config = isolated_config(Path(folder), **env)
        database_url = config.env["DATABASE_URL"]
        upgrade_to_head(database_url)
        engine = make_engine(database_url)
        reset_demo(engine, datetime.now(timezone.utc))
        engine.dispose()
        with Stack(config) as stack:
            stack.wait_ready(timeout_s=240, progress=True)
            yield config, stack
