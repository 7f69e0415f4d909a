"""The composition root: the one place that builds adapters from settings. Lazily, once."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy.engine import Engine

from app.backoffice.sql import SqlBackOfficeFactory
from app.db import make_engine
from app.policy_loader import load_policy
from app.settings import Settings
from billing_adapters.sql import SqlBss
from domain.usecases.deps import Deps


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


_lock = threading.Lock()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


@lru_cache(maxsize=4)
def get_engine(url: str) -> Engine:
    return make_engine(url)


def build_deps(settings: Settings) -> Deps:
    engine = get_engine(settings.database_url)
    bss = SqlBss(engine)
    return Deps(
        billing=bss,
        orders=bss,
        network=bss,
        backoffice=SqlBackOfficeFactory(engine),
        clock=SystemClock(),
        policy=load_policy(settings.policy_file),
        operator_timezone=settings.operator_timezone,
        minutes_per_case=settings.handoff_minutes_per_case,
    )


_deps: Deps | None = None


def get_deps() -> Deps:
    """The process-wide dependencies, built on first use (nothing connects at import)."""
    global _deps
    with _lock:
        if _deps is None:
            _deps = build_deps(get_settings())
        return _deps


def use_deps(deps: Deps | None) -> None:
    """Replace the process-wide dependencies (tests hand in fakes; None rebuilds from settings)."""
    global _deps
    with _lock:
        _deps = deps
