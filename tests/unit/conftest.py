"""Fixtures the action tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.bootstrap import use_deps
from domain.usecases.deps import Deps
from tests.unit.fakes import demo_deps


@pytest.fixture
def deps() -> Iterator[Deps]:
    """The demo operator on a throw-away back office, installed as the actions' dependencies."""
    deps = demo_deps()
    use_deps(deps)
    yield deps
    use_deps(None)
