"""One contract for the voice gateway's turn store, run against the SQL and in-memory adapters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.backoffice.voice_turns import SqlVoiceTurns
from app.web.voice.turns import STALE_CLAIM, ClaimState, MemoryVoiceTurns, VoiceTurns

pytestmark = pytest.mark.integration
T = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
CALL = "CA" + "1" * 32
OTHER = "CA" + "2" * 32


@pytest.fixture(params=["memory", "sql"])
def turns(request: pytest.FixtureRequest) -> VoiceTurns:
    if request.param == "memory":
        return MemoryVoiceTurns()
    return SqlVoiceTurns(request.getfixturevalue("engine"))


def test_the_first_request_of_a_turn_answers_it_and_a_second_one_waits(turns: VoiceTurns):
    assert turns.claim(CALL, 1, T).state is ClaimState.NEW
    assert turns.claim(CALL, 1, T + timedelta(seconds=1)).state is ClaimState.PENDING
    assert turns.answer(CALL, 1) is None
    assert turns.claim(CALL, 2, T).state is ClaimState.NEW
    assert turns.claim(OTHER, 1, T).state is ClaimState.NEW


def test_a_finished_turn_gives_every_repeat_the_same_twiml(turns: VoiceTurns):
    turns.claim(CALL, 3, T)
    turns.finish(CALL, 3, "<Response><Hangup/></Response>", {"expects": "pin"}, T)
    again = turns.claim(CALL, 3, T + timedelta(minutes=5))
    assert again.state is ClaimState.DONE
    assert again.twiml == "<Response><Hangup/></Response>" == turns.answer(CALL, 3)


def test_a_claim_left_pending_by_a_dead_request_is_taken_over_once_stale(turns: VoiceTurns):
    turns.claim(CALL, 4, T)
    assert turns.claim(CALL, 4, T + STALE_CLAIM).state is ClaimState.PENDING
    later = T + STALE_CLAIM + timedelta(seconds=1)
    assert turns.claim(CALL, 4, later).state is ClaimState.TAKEN_OVER
    assert turns.claim(CALL, 4, later + timedelta(seconds=1)).state is ClaimState.PENDING


def test_the_prompt_before_a_turn_is_the_newest_finished_one_of_that_call(turns: VoiceTurns):
    assert turns.prompt_before(CALL, 5) is None
    for turn, expects in ((0, "identifier"), (1, "pin"), (2, "words")):
        turns.claim(CALL, turn, T)
        turns.finish(CALL, turn, "<Response/>", {"expects": expects}, T)
    turns.claim(CALL, 3, T)  # pending: no prompt yet
    turns.finish(OTHER, 7, "<Response/>", {"expects": "choice"}, T)
    assert turns.prompt_before(CALL, 2) == {"expects": "pin"}
    assert turns.prompt_before(CALL, 4) == {"expects": "words"}
    assert turns.prompt_before(CALL, 0) is None


def test_a_call_ends_once_and_stays_ended(turns: VoiceTurns):
    assert not turns.call_ended(CALL)
    assert turns.end_call(CALL, "completed", T) is True
    assert turns.end_call(CALL, "completed", T + timedelta(seconds=2)) is False
    assert turns.call_ended(CALL)
    assert not turns.call_ended(OTHER)
