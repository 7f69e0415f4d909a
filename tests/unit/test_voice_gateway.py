"""The voice gateway through FastAPI's TestClient: Twilio's signed form posts in, TwiML out.

In-process only: the turn store is ``MemoryVoiceTurns`` and the bot a fake written here (no
network, no Rasa). Every request is signed the way Twilio signs it, over the public URL.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from app.settings import Settings
from app.web.voice import gateway as gateway_module
from app.web.voice.gateway import VoiceGateway, build_voice_router
from app.web.voice.prompts import MAX_SPEECH_CHARS
from app.web.voice.turns import MemoryVoiceTurns
from app.web.voice.twilio_request import MAX_BODY_BYTES
from domain.errors import ExternalRefused, ExternalTimeout, StorageUnavailable
from tests.e2e.twilio_caller import Twiml

TOKEN = "tok"
BASE = "https://voice.example"
SID = "CA" + "0f" * 16  # no run of the caller's digits in it: the log test looks for "4321"
OTHER_SID = "CA" + "ab" * 16
CALLER = "+15550100001"
CARE_LINE = "+15550107100"  # the demo handoff number
START = datetime(2026, 1, 15, 10, 0, tzinfo=timezone.utc)
SERVER_TIMING = re.compile(r"gateway;dur=\d+(\.\d+)?")

ACCOUNT_REPLY = {
    "text": "Please key in your account number, then press pound. Or press star to use the "
    "number you're calling from.",
    "kestrel": {"expects": "identifier"},
}
PIN_REPLY = {"text": "Thanks. Now please key in your four-digit PIN, then press pound.",
             "kestrel": {"expects": "pin"}}  # fmt: skip
OFFER_REPLY = {
    "text": "I can take off the $5.00 late fee. Shall I go ahead?",
    "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
}
HANDOFF_REPLY = {
    "text": "I've opened a case for you. Your case reference is KM-1001; a person from our team "
    "will pick it up.",
    "kestrel": {"state": "handoff", "case": "KM-1001"},
}
DONE_REPLY = {"text": "Done. Anything else?"}


@dataclass(frozen=True)
class Sent:
    call_sid: str
    text: str
    message_id: str
    retry: bool


@dataclass
class FakeBot:
    """Answers each turn with the next scripted replies (``DONE_REPLY`` once they run out)."""

    script: list[list[dict[str, Any]]] = field(default_factory=lambda: [[ACCOUNT_REPLY]])
    error: Exception | None = None
    close_error: Exception | None = None
    sent: list[Sent] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    def send(self, call_sid: str, text: str, message_id: str, retry: bool) -> list[dict[str, Any]]:
        self.sent.append(Sent(call_sid, text, message_id, retry))
        if self.error is not None:
            raise self.error
        return self.script.pop(0) if self.script else [DONE_REPLY]

    def close(self, call_sid: str) -> None:
        self.closed.append(call_sid)
        if self.close_error is not None:
            raise self.close_error

    @property
    def heard(self) -> list[str]:
        return [sent.text for sent in self.sent]


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "twilio_auth_token": TOKEN,
        "public_base_url": BASE,
        "demo_mode": True,
        "twilio_handoff_number": "",
        "twilio_handoff_queue": "",
        "twilio_language": "en-US",
        "twilio_voice": "Polly.Joanna-Neural",
        "voice_turn_timeout_s": 10.0,
        **overrides,
    }
    return Settings(_env_file=None, **values)


def fields(call_sid: str = SID, **extra: str) -> dict[str, str]:
    """The form Twilio posts for an inbound call."""
    return {
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": "in-progress",
        "Called": "+15550107000",
        "Caller": CALLER,
        "Direction": "inbound",
        "From": CALLER,
        "To": "+15550107000",
        **extra,
    }


def sign(url: str, form: dict[str, str], token: str = TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, form))


@dataclass
class Line:
    """One gateway on a test client, with the turn store and the bot behind it."""

    client: TestClient
    gateway: VoiceGateway
    turns: MemoryVoiceTurns
    bot: FakeBot
    clock: Clock

    def post(
        self,
        path: str,
        form: dict[str, str],
        *,
        signature: str | None = None,
        signed: bool = True,
        token: str = TOKEN,
    ) -> httpx.Response:
        headers = {}
        if signed:
            headers["X-Twilio-Signature"] = signature or sign(BASE + path, form, token)
        response: httpx.Response = self.client.post(path, data=form, headers=headers)
        return response

    def answer(self, path: str, form: dict[str, str]) -> Twiml:
        response = self.post(path, form)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        return Twiml.parse(response.text)

    def ring(self, call_sid: str = SID) -> Twiml:
        return self.answer("/twilio/voice", fields(call_sid, CallStatus="ringing"))

    def turn(self, turn: int, call_sid: str = SID, **result: str) -> Twiml:
        return self.answer(f"/twilio/voice?turn={turn}", fields(call_sid, **result))

    def nothing_kept_for(self, call_sid: str = SID) -> bool:
        return (
            all(self.turns.answer(call_sid, turn) is None for turn in range(5))
            and self.turns.prompt_before(call_sid, 10_001) is None
            and not self.turns.call_ended(call_sid)
        )


def make_line(
    bot: FakeBot | None = None,
    turns: MemoryVoiceTurns | None = None,
    **overrides: Any,
) -> Line:
    bot = bot or FakeBot()
    turns = turns or MemoryVoiceTurns()
    clock = Clock()
    gateway = VoiceGateway(settings(**overrides), lambda: turns, lambda: bot, clock)
    app = FastAPI()
    app.include_router(build_voice_router(gateway))
    client = TestClient(app, raise_server_exceptions=False)
    return Line(client, gateway, turns, bot, clock)


@pytest.fixture
def line() -> Iterator[Line]:
    made = make_line()
    with made.client:
        yield made


def assert_apology_with_transfer(response: httpx.Response) -> Twiml:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert "Traceback" not in response.text
    parsed = Twiml.parse(response.text)
    assert "sorry, something went wrong" in parsed.spoken
    assert parsed.dial is not None, parsed.raw
    assert (parsed.dial.text or "").strip() == CARE_LINE
    assert "step=handoff" in parsed.next_url()
    return parsed


# --- a call -----------------------------------------------------------------------------------


def test_a_signed_ringing_call_is_answered_with_twiml_and_the_bots_greeting(line: Line) -> None:
    response = line.post("/twilio/voice", fields(CallStatus="ringing"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    parsed = Twiml.parse(response.text)
    assert parsed.gather is not None
    assert "account number" in parsed.spoken
    assert parsed.next_url() == f"{BASE}/twilio/voice?turn=1"
    assert line.bot.sent == [Sent(SID, "/greet", f"{SID}-0", False)]


def test_the_answer_carries_the_gateways_server_timing(line: Line) -> None:
    response = line.post("/twilio/voice", fields(CallStatus="ringing"))
    assert response.status_code == 200
    assert SERVER_TIMING.fullmatch(response.headers["server-timing"])


def test_keypad_digits_reach_the_bot_as_the_next_turn_without_the_pound_key(line: Line) -> None:
    line.ring()
    parsed = line.turn(1, Digits="100001#", FinishedOnKey="#")
    assert line.bot.sent[-1] == Sent(SID, "100001", f"{SID}-1", False)
    assert parsed.next_url() == f"{BASE}/twilio/voice?turn=2"


def test_star_at_the_account_question_sends_the_callers_number(line: Line) -> None:
    line.ring()
    line.turn(1, Digits="*")
    assert line.bot.heard == ["/greet", CALLER]


def test_a_choice_key_sends_the_payload_of_its_button() -> None:
    line = make_line(FakeBot(script=[[OFFER_REPLY]]))
    offer = line.ring()
    assert offer.gather is not None and offer.gather.get("numDigits") == "1"
    line.turn(1, Digits="1")
    assert line.bot.heard == ["/greet", "/affirm"]


def test_zero_asks_the_bot_for_a_person(line: Line) -> None:
    line.ring()
    line.turn(1, Digits="0")
    assert line.bot.heard == ["/greet", "/request_human"]


def test_a_pin_said_aloud_reaches_the_bot_as_its_digits() -> None:
    line = make_line(FakeBot(script=[[PIN_REPLY]]))
    line.ring()
    line.turn(1, SpeechResult="four three two one", Confidence="0.91")
    assert line.bot.heard == ["/greet", "4321"]


def test_two_calls_are_two_conversations(line: Line) -> None:
    line.ring(SID)
    line.ring(OTHER_SID)
    assert [(s.call_sid, s.message_id) for s in line.bot.sent] == [
        (SID, f"{SID}-0"),
        (OTHER_SID, f"{OTHER_SID}-0"),
    ]


# --- signatures -------------------------------------------------------------------------------

RING = fields(CallStatus="ringing")


def _unsigned(line: Line) -> httpx.Response:
    return line.post("/twilio/voice", RING, signed=False)


def _forged(line: Line) -> httpx.Response:
    return line.post("/twilio/voice", RING, signature="bm90IGEgc2lnbmF0dXJlIGF0IGFsbA==")


def _changed_after_signing(line: Line) -> httpx.Response:
    signature = sign(f"{BASE}/twilio/voice", RING)
    return line.post("/twilio/voice", {**RING, "From": "+15550199999"}, signature=signature)


def _added_after_signing(line: Line) -> httpx.Response:
    signature = sign(f"{BASE}/twilio/voice", RING)
    return line.post("/twilio/voice", {**RING, "Digits": "0"}, signature=signature)


def _for_another_url(line: Line) -> httpx.Response:
    return line.post("/twilio/voice", RING, signature=sign("http://127.0.0.1/twilio/voice", RING))


def _for_another_turn(line: Line) -> httpx.Response:
    signature = sign(f"{BASE}/twilio/voice?turn=1", RING)
    return line.post("/twilio/voice?turn=0", RING, signature=signature)


def _with_another_token(line: Line) -> httpx.Response:
    return line.post("/twilio/voice", RING, token="not-the-token")


REFUSED = {
    "missing": _unsigned,
    "forged": _forged,
    "field-changed": _changed_after_signing,
    "field-added": _added_after_signing,
    "other-url": _for_another_url,
    "other-turn": _for_another_turn,
    "other-token": _with_another_token,
}


@pytest.mark.parametrize("request_of", list(REFUSED.values()), ids=list(REFUSED))
def test_a_request_without_twilios_signature_of_our_url_is_refused_before_anything_happens(
    line: Line, request_of: Callable[[Line], httpx.Response]
) -> None:
    response = request_of(line)
    assert response.status_code == 403
    assert "<Response" not in response.text
    assert line.bot.sent == []
    assert line.bot.closed == []
    assert line.nothing_kept_for(SID)


@pytest.mark.parametrize("path", ["/twilio/status", "/twilio/fallback"])
def test_the_status_and_fallback_routes_refuse_an_unsigned_request_too(
    line: Line, path: str
) -> None:
    line.ring()
    form = fields(CallStatus="completed")
    assert line.post(path, form, signed=False).status_code == 403
    assert line.post(path, form, signature=sign(f"http://127.0.0.1{path}", form)).status_code == 403
    assert line.bot.closed == []
    assert not line.turns.call_ended(SID)


@pytest.mark.parametrize("path", ["/twilio/voice", "/twilio/status", "/twilio/fallback"])
def test_without_an_auth_token_every_route_answers_503(path: str) -> None:
    line = make_line(twilio_auth_token="", demo_mode=False)
    form = fields(CallStatus="completed" if path.endswith("status") else "ringing")
    response = line.post(path, form, token="")
    assert response.status_code == 503
    assert line.post(path, form, signed=False).status_code == 503
    assert line.bot.sent == [] and line.bot.closed == []
    assert line.nothing_kept_for(SID)


# --- repeats ----------------------------------------------------------------------------------


def test_a_repeated_ringing_request_gets_byte_identical_twiml_and_the_bot_hears_it_once(
    line: Line,
) -> None:
    first = line.post("/twilio/voice", RING)
    again = line.post("/twilio/voice", RING)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert line.bot.heard == ["/greet"]


def test_a_repeated_turn_gets_the_same_answer_and_the_bot_hears_it_once(line: Line) -> None:
    line.ring()
    form = fields(Digits="100001#")
    first = line.post("/twilio/voice?turn=1", form)
    again = line.post("/twilio/voice?turn=1", form)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert line.bot.heard == ["/greet", "100001"]


def test_a_turn_left_pending_by_a_dead_request_is_answered_as_a_retry(line: Line) -> None:
    line.ring()
    line.turns.claim(SID, 1, START)
    line.clock.now = START + timedelta(minutes=2)
    parsed = line.turn(1, Digits="100001#")
    assert parsed.gather is not None
    assert line.bot.sent[-1] == Sent(SID, "100001", f"{SID}-1", True)


def test_a_repeat_while_the_turn_is_answered_gets_that_answer(
    line: Line, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gateway_module, "WAIT_POLL_S", 0.02)
    line.ring()
    line.turns.claim(SID, 1, START)
    kept = line.turns.answer(SID, 0)
    assert kept is not None
    finisher = threading.Timer(0.1, line.turns.finish, (SID, 1, kept, {}, START))
    finisher.start()
    try:
        response = line.post("/twilio/voice?turn=1", fields(Digits="100001#"))
    finally:
        finisher.join()
    assert response.status_code == 200
    assert response.text == kept
    assert line.bot.heard == ["/greet"]


def test_a_repeat_of_a_turn_that_stays_pending_gets_an_apology_not_a_second_bot_turn(
    line: Line, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gateway_module, "WAIT_POLL_S", 0.02)
    line.gateway.wait_s = 0.2
    line.ring()
    line.turns.claim(SID, 1, START)
    response = line.post("/twilio/voice?turn=1", fields(Digits="100001#"))
    assert_apology_with_transfer(response)
    assert line.bot.heard == ["/greet"]


# --- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        ExternalTimeout("the bot did not answer in time: ReadTimeout"),
        ExternalRefused("the bot's voice channel answered HTTP 502"),
        RuntimeError("a bug in the gateway"),
        KeyError("text"),
    ],
    ids=["timeout", "refused", "runtime-error", "key-error"],
)
def test_a_bot_that_fails_gives_an_apology_and_a_transfer_never_a_500(error: Exception) -> None:
    line = make_line(FakeBot(error=error))
    response = line.post("/twilio/voice", RING)
    assert_apology_with_transfer(response)
    assert type(error).__name__ not in response.text
    assert str(error) not in response.text
    again = line.post("/twilio/voice", RING)
    assert again.content == response.content
    assert len(line.bot.sent) == 1


def test_a_bot_answer_that_is_not_the_contract_gives_an_apology() -> None:
    line = make_line(FakeBot(script=[["not a reply"]]))  # type: ignore[list-item]
    assert_apology_with_transfer(line.post("/twilio/voice", RING))


def test_the_fallback_url_apologises_and_puts_the_caller_through(line: Line) -> None:
    form = fields(ErrorCode="11200", ErrorUrl=f"{BASE}/twilio/voice?turn=3")
    parsed = assert_apology_with_transfer(line.post("/twilio/fallback?turn=3", form))
    assert parsed.next_url() == f"{BASE}/twilio/voice?turn=4&step=handoff"
    assert line.bot.sent == []


def test_the_fallback_url_without_a_turn_still_apologises(line: Line) -> None:
    response = line.post("/twilio/fallback", fields())
    assert_apology_with_transfer(response)
    assert SERVER_TIMING.fullmatch(response.headers["server-timing"])


# --- transfers --------------------------------------------------------------------------------


def test_a_handoff_dials_the_care_line_and_a_busy_line_gives_the_case_reference_again() -> None:
    line = make_line(FakeBot(script=[[ACCOUNT_REPLY], [HANDOFF_REPLY]]))
    line.ring()
    transfer = line.turn(1, Digits="0")
    assert transfer.dial is not None and (transfer.dial.text or "").strip() == CARE_LINE
    assert transfer.next_url() == f"{BASE}/twilio/voice?turn=2&step=handoff"
    form = fields(DialCallStatus="busy")
    response = line.post("/twilio/voice?turn=2&step=handoff", form)
    assert response.status_code == 200
    parsed = Twiml.parse(response.text)
    assert "K M, one zero zero one" in parsed.spoken
    assert "call you back" in parsed.spoken
    assert parsed.hangs_up
    assert line.post("/twilio/voice?turn=2&step=handoff", form).content == response.content
    assert line.bot.heard == ["/greet", "/request_human"]


def test_a_transfer_that_connected_ends_the_call_with_goodbye() -> None:
    line = make_line(FakeBot(script=[[HANDOFF_REPLY]]))
    line.ring()
    parsed = line.answer("/twilio/voice?turn=1&step=handoff", fields(DialCallStatus="completed"))
    assert parsed.spoken == "Thanks for calling Kestrel Mobile. Goodbye."
    assert parsed.hangs_up


# --- the end of a call ------------------------------------------------------------------------


def test_a_completed_call_closes_the_conversation_once_even_if_told_twice(line: Line) -> None:
    line.ring()
    form = fields(CallStatus="completed", CallDuration="42")
    first = line.post("/twilio/status", form)
    again = line.post("/twilio/status", form)
    assert first.status_code == again.status_code == 204
    assert first.content == b""
    assert line.bot.closed == [SID]
    assert line.turns.call_ended(SID)


@pytest.mark.parametrize("status", ["busy", "failed", "no-answer", "canceled"])
def test_every_way_a_call_ends_closes_the_conversation(line: Line, status: str) -> None:
    assert line.post("/twilio/status", fields(CallStatus=status)).status_code == 204
    assert line.bot.closed == [SID]


@pytest.mark.parametrize("status", ["ringing", "in-progress", "queued", ""])
def test_a_status_of_a_call_still_going_closes_nothing(line: Line, status: str) -> None:
    line.ring()
    assert line.post("/twilio/status", fields(CallStatus=status)).status_code == 204
    assert line.bot.closed == []
    assert not line.turns.call_ended(SID)
    assert line.turn(1, Digits="100001#").gather is not None


def test_a_close_the_bot_refuses_still_answers_204(line: Line) -> None:
    line.bot.close_error = ExternalRefused("closing the conversation: HTTP 500")
    assert line.post("/twilio/status", fields(CallStatus="completed")).status_code == 204


def test_a_request_for_a_call_that_ended_hangs_up_without_the_bot(line: Line) -> None:
    line.ring()
    line.post("/twilio/status", fields(CallStatus="completed"))
    parsed = line.turn(1, Digits="100001#")
    assert [child.tag for child in parsed.root] == ["Hangup"]
    assert line.bot.heard == ["/greet"]


# --- what the caller gave -------------------------------------------------------------------


def test_speech_far_too_long_is_asked_again_politely_without_the_bot(line: Line) -> None:
    line.ring()
    speech = "I want to talk about my bill " * 200
    assert len(speech) > MAX_SPEECH_CHARS
    parsed = line.turn(1, SpeechResult=speech[:5000], Confidence="0.9")
    assert parsed.gather is not None
    assert "a lot at once" in parsed.spoken
    assert "account number" in parsed.spoken  # the question again
    assert line.bot.heard == ["/greet"]


def test_keys_twilio_would_never_send_are_asked_again_without_the_bot(line: Line) -> None:
    line.ring()
    parsed = line.turn(1, Digits="12ab")
    assert parsed.gather is not None
    assert "didn't get those keys" in parsed.spoken
    assert line.bot.heard == ["/greet"]


def test_silence_is_reprompted_twice_then_the_call_ends_without_the_bot(line: Line) -> None:
    line.ring()
    first = line.turn(1)
    assert first.gather is not None
    assert "didn't hear anything" in first.spoken and "account number" in first.spoken
    assert first.next_url() == f"{BASE}/twilio/voice?turn=2"
    second = line.turn(2, SpeechResult="")
    assert second.gather is not None
    assert "press zero" in second.spoken and "account number" in second.spoken
    third = line.turn(3)
    assert third.gather is None and third.hangs_up
    assert line.bot.heard == ["/greet"]


def test_an_answer_after_a_silence_reaches_the_bot_as_an_answer_to_the_same_question(
    line: Line,
) -> None:
    line.ring()
    line.turn(1)
    line.turn(2, Digits="*")
    assert line.bot.heard == ["/greet", CALLER]


def test_the_callers_pin_is_never_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    line = make_line(FakeBot(script=[[ACCOUNT_REPLY], [PIN_REPLY], [DONE_REPLY]]))
    caplog.set_level(logging.DEBUG)
    line.ring()
    line.turn(1, Digits="100001#", FinishedOnKey="#")
    line.turn(2, Digits="4321#", FinishedOnKey="#")
    line.turn(2, Digits="4321#", FinishedOnKey="#")  # a repeat
    line.post("/twilio/voice?turn=3", fields(Digits="4321#"), signed=False)  # a refusal
    assert line.bot.heard == ["/greet", "100001", "4321"]
    assert any(r.name == gateway_module.__name__ for r in caplog.records), "turns are logged"
    for record in caplog.records:
        assert "4321" not in record.getMessage(), record.getMessage()
        assert "100001" not in record.getMessage(), record.getMessage()
    assert "4321" not in caplog.text


def test_a_pin_said_aloud_is_never_in_the_log_either(caplog: pytest.LogCaptureFixture) -> None:
    line = make_line(FakeBot(script=[[PIN_REPLY], [DONE_REPLY]]))
    caplog.set_level(logging.DEBUG)
    line.ring()
    line.turn(1, SpeechResult="four three two one", Confidence="0.9")
    assert line.bot.heard == ["/greet", "4321"]
    assert "4321" not in caplog.text
    assert "four three" not in caplog.text


# --- malformed requests -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "call_sid",
    ["xyz", "", "CA" + "0F" * 16, "CA" + "0f" * 15, "CA" + "0f" * 17, "PN" + "0f" * 16],
    ids=["xyz", "empty", "upper-case", "short", "long", "not-a-call"],
)
def test_a_signed_request_with_a_malformed_call_sid_is_refused_with_400(
    line: Line, call_sid: str
) -> None:
    form = fields(call_sid, CallStatus="ringing")
    assert line.post("/twilio/voice", form).status_code == 400
    assert line.post("/twilio/status", {**form, "CallStatus": "completed"}).status_code == 400
    assert line.bot.sent == [] and line.bot.closed == []


def test_a_signed_request_without_a_call_sid_is_refused_with_400(line: Line) -> None:
    form = {key: value for key, value in RING.items() if key != "CallSid"}
    assert line.post("/twilio/voice", form).status_code == 400
    assert line.bot.sent == []


@pytest.mark.parametrize("turn", ["abc", "-1", "1.5", "", "10001", "0x1"])
def test_a_turn_that_is_not_a_number_up_to_10000_is_refused_with_400(line: Line, turn: str) -> None:
    path = f"/twilio/voice?turn={turn}"
    assert line.post(path, fields(Digits="1")).status_code == 400
    assert line.post(f"/twilio/fallback?turn={turn}", fields()).status_code == 400
    assert line.bot.sent == []


def test_a_turn_of_unicode_superscript_digits_is_refused_with_400_not_500(line: Line) -> None:
    response = line.post("/twilio/voice?turn=%C2%B2", fields(Digits="1"))
    assert response.status_code == 400


def test_a_body_over_32_kib_is_refused_with_413(line: Line) -> None:
    form = fields(SpeechResult="a" * MAX_BODY_BYTES)
    response = line.post("/twilio/voice?turn=1", form)
    assert response.status_code == 413
    assert line.bot.sent == []


def test_a_streamed_body_over_32_kib_is_refused_with_413(line: Line) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"CallSid=" + SID.encode() + b"&SpeechResult="
        for _ in range(5):
            yield b"a" * 8192

    response = line.client.post(
        "/twilio/voice?turn=1",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert line.bot.sent == []


def test_a_json_body_is_refused_with_415(line: Line) -> None:
    response = line.client.post(
        "/twilio/voice",
        json=RING,
        headers={"X-Twilio-Signature": sign(f"{BASE}/twilio/voice", RING)},
    )
    assert response.status_code == 415
    assert line.bot.sent == []


def test_a_form_with_a_repeated_field_is_refused_with_400(line: Line) -> None:
    body = f"CallSid={SID}&Digits=1&Digits=2"
    response = line.client.post(
        "/twilio/voice?turn=1",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert line.bot.sent == []


def test_a_form_that_is_not_utf8_is_refused_with_400(line: Line) -> None:
    response = line.client.post(
        "/twilio/voice",
        content=b"CallSid=\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400


# --- what the gateway's own parts do when they fail -------------------------------------------


class BrokenTurns(MemoryVoiceTurns):
    """A turn store whose database is locked (what SqlVoiceTurns raises then)."""

    def claim(self, call_sid: str, turn: int, now: datetime) -> Any:
        raise StorageUnavailable("database is locked")


def test_a_turn_store_that_is_down_still_gives_the_caller_an_apology() -> None:
    line = make_line(turns=BrokenTurns())
    assert_apology_with_transfer(line.post("/twilio/voice", RING))


def test_a_close_that_fails_with_a_bug_still_answers_204(line: Line) -> None:
    line.bot.close_error = RuntimeError("a bug in close")
    assert line.post("/twilio/status", fields(CallStatus="completed")).status_code == 204


def test_a_close_that_failed_is_tried_again_when_twilio_reports_the_end_again(line: Line) -> None:
    line.bot.close_error = ExternalRefused("closing the conversation: HTTP 503")
    line.post("/twilio/status", fields(CallStatus="completed"))
    assert not line.turns.call_ended(SID)
    line.bot.close_error = None
    assert line.post("/twilio/status", fields(CallStatus="completed")).status_code == 204
    assert line.bot.closed == [SID, SID]
    assert line.turns.call_ended(SID)


def test_an_answer_the_store_could_not_keep_still_reaches_the_caller() -> None:
    class ForgetfulTurns(MemoryVoiceTurns):
        def finish(self, *args: Any, **kwargs: Any) -> None:
            raise StorageUnavailable("database is locked")

    line = make_line(turns=ForgetfulTurns())
    greeting = Twiml.parse(line.post("/twilio/voice", RING).text)
    assert greeting.gather is not None and "account number" in greeting.spoken
