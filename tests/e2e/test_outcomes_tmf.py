"""The outcome tests of the demo operator (test_outcomes.py), every one of them, against the TMF
reference BSS over HTTP (BSS=tmf): the same conversations must end the same way when the bot's
bills, balances, PIN checks and postings go through the TM Forum adapter. Afterwards, every
exchange the reference BSS saw had been checked against the TM Forum specs: none broke them.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import LiveStack
from tests.e2e.test_outcomes import *  # noqa: F403  (the tests themselves, collected here again)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live(live_tmf: LiveStack) -> LiveStack:
    """Every test of this module runs on the BSS=tmf stack."""
    live_tmf.tmf_admin("DELETE", "faults")
    live_tmf.tmf_admin("DELETE", "conformance")
    return live_tmf


def test_every_exchange_of_these_conversations_conforms_to_the_tmf_specs(
    live: LiveStack,
) -> None:
    report = live.tmf_admin("GET", "conformance").json()
    assert report["checked"] > 200, report["checked"]
    assert report["violations"] == []
