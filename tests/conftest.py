"""Shared by every tier: measurements that `make test` prints after the test run."""

from __future__ import annotations

from collections.abc import Callable

import pytest

_measurements: list[str] = []


@pytest.fixture(scope="session")
def report_measurement() -> Callable[[str], None]:
    """Record a line (accuracy, corpus result ...) for the summary at the end of the run."""
    return _measurements.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _measurements:
        terminalreporter.section("measurements")
        for line in _measurements:
            terminalreporter.write_line(line)
