"""Small in-process fakes for unit tests: a clock you set, and the demo operator in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from app.backoffice.memory import InMemoryBackOfficeFactory
from app.policy_loader import load_policy
from billing_adapters.demo_operator import demo_operator
from billing_adapters.memory import InMemoryBss
from domain.usecases.deps import Deps

POLICY_FILE = Path(__file__).resolve().parents[2] / "app" / "autonomy-policy.yml"
T = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)


@dataclass
class FakeClock:
    moment: datetime = T
    step: timedelta = field(default=timedelta(0))

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta


def demo_deps(clock: FakeClock | None = None) -> Deps:
    clock = clock or FakeClock()
    demo = demo_operator(T)
    bss = InMemoryBss.from_demo(demo, clock=clock)
    return Deps(
        billing=bss,
        orders=bss,
        network=bss,
        backoffice=InMemoryBackOfficeFactory(demo.history),
        clock=clock,
        policy=load_policy(POLICY_FILE),
    )
