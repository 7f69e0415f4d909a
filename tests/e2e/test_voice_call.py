"""Phone calls through the real stack: Twilio's requests (signed as Twilio signs them) to the web
app's voice gateway, which reaches Rasa through bot/channels/voice.py, then the action server and
the back office. Every answer is parsed as TwiML and checked the way a caller would hear it."""

from __future__ import annotations

import json
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import MetaData, create_engine, select

from tests.e2e.conftest import LiveStack
from tests.e2e.twilio_caller import TwilioCaller, Twiml

pytestmark = pytest.mark.e2e

ANA, ANA_PIN, ANA_PHONE = "100001", "4321", "+15550100001"
UNKNOWN_PHONE = "+15550199999"
# Nothing a text-to-speech voice would read out as a symbol, and no number left in digits.
NOT_FOR_THE_EAR = re.compile(r"[0-9$%&*_#~|<>\[\]{}()\"`/\\+=@^:;•]|https?|www\.")
GATHER = {
    "input": "dtmf speech",
    "speechTimeout": "auto",
    "actionOnEmptyResult": "true",
    "bargeIn": "true",
    "language": "en-US",
}


def caller(live: LiveStack, phone: str = ANA_PHONE) -> TwilioCaller:
    return TwilioCaller(live.config.web_url, live.config.env["TWILIO_AUTH_TOKEN"], caller=phone)


def assert_for_the_ear(twiml: Twiml) -> None:
    assert twiml.says and all(twiml.says), twiml.raw
    for said in twiml.says:
        assert not NOT_FOR_THE_EAR.search(said), said


def assert_listens(twiml: Twiml, live: LiveStack, turn: int) -> None:
    gather = twiml.gather
    assert gather is not None, twiml.raw
    assert {k: gather.get(k) for k in GATHER} == GATHER
    assert "late fee" in str(gather.get("hints"))
    assert gather.get("action") == f"{live.config.web_url}/twilio/voice?turn={turn}"


def verified_call(live: LiveStack, pin_by: str = "keypad") -> TwilioCaller:
    call = caller(live)
    call.ring()
    call.press(f"{ANA}#")
    welcome = call.press(f"{ANA_PIN}#") if pin_by == "keypad" else call.say("four three two one")
    assert "Thanks, Ana, you're verified" in welcome.spoken, welcome.raw
    return call


def test_a_whole_call_explains_the_bill_and_takes_off_the_late_fee(fresh: LiveStack) -> None:
    before = fresh.ops(ANA)
    call = caller(fresh)

    greeting = call.ring()
    assert "automated assistant, not a person" in greeting.spoken
    assert "account number" in greeting.spoken and "press star" in greeting.spoken
    assert_listens(greeting, fresh, 1)
    assert greeting.gather is not None and greeting.gather.get("finishOnKey") == "#"

    pin_prompt = call.press(f"{ANA}#")
    assert "PIN" in pin_prompt.spoken and ANA not in pin_prompt.raw
    assert_listens(pin_prompt, fresh, 2)

    welcome = call.press(f"{ANA_PIN}#")
    assert "Thanks, Ana, you're verified" in welcome.spoken
    assert ANA_PIN not in welcome.raw  # never read back

    explanation = call.say("why is my bill so high")
    assert "one hundred twelve dollars and forty cents" in explanation.spoken
    assert "five dollars" in explanation.spoken  # the late fee
    assert_listens(explanation, fresh, 4)

    offer = call.say("can you take off the late fee")
    assert "five dollar credit" in offer.spoken and "Shall I go ahead?" in offer.spoken
    assert "Say yes, or press one. Say no, or press two." in offer.spoken
    assert offer.gather is not None and offer.gather.get("numDigits") == "1"
    assert fresh.ops(ANA)["balance_cents"] == before["balance_cents"], "nothing before a yes"

    done = call.say("yes")
    assert "Done" in done.spoken and "one hundred seven dollars and forty cents" in done.spoken
    for answer in (greeting, pin_prompt, welcome, explanation, offer, done):
        assert_for_the_ear(answer)

    after = fresh.ops(ANA)
    [applied] = [a for a in after["adjustments"] if a["status"] == "applied"]
    assert (applied["kind"], applied["amount_cents"], applied["decided_by"]) == (
        "late_fee_waiver",
        500,
        "bot",
    )
    assert after["balance_cents"] == before["balance_cents"] - 500
    assert call.hang_up().status_code == 204


def test_a_pin_said_aloud_verifies_the_caller(fresh: LiveStack) -> None:
    call = verified_call(fresh, pin_by="speech")
    assert call.last is not None and call.last.gather is not None


def test_star_uses_the_calling_number_and_the_pin_is_still_required(fresh: LiveStack) -> None:
    call = caller(fresh)
    call.ring()
    asked = call.press("*")
    assert "PIN" in asked.spoken and "Ana" not in asked.spoken
    assert "Thanks, Ana, you're verified" in call.press(f"{ANA_PIN}#").spoken


def test_the_prompts_are_the_same_whether_or_not_the_calling_number_is_known(
    fresh: LiveStack,
) -> None:
    known, unknown = caller(fresh), caller(fresh, UNKNOWN_PHONE)
    assert known.ring().raw == unknown.ring().raw
    assert known.press("*").raw == unknown.press("*").raw
    wrong = unknown.press("1234#")
    assert "couldn't verify" in wrong.spoken and "account number" in wrong.spoken


def test_a_silent_caller_hears_the_question_twice_then_a_polite_goodbye(live: LiveStack) -> None:
    call = caller(live)
    question = call.ring()
    first = call.stay_silent()
    assert "didn't hear anything" in first.spoken and "account number" in first.spoken
    assert_listens(first, live, 2)
    second = call.stay_silent()
    assert "still there" in second.spoken and "press zero to talk to a person" in second.spoken
    last = call.stay_silent()
    assert "Goodbye" in last.spoken and last.hangs_up and last.gather is None
    for answer in (question, first, second, last):
        assert_for_the_ear(answer)


def test_a_caller_who_asks_for_a_person_gets_a_case_and_is_put_through(fresh: LiveStack) -> None:
    call = verified_call(fresh)
    transfer = call.say("I want to talk to a person")
    [case] = fresh.ops(ANA)["cases"]
    assert case["channel"] == "voice"
    spelled = "K M, " + " ".join(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"][int(d)]
        for d in case["reference"].removeprefix("KM-")
    )
    assert f"Your case reference is {spelled}" in transfer.spoken
    assert transfer.dial is not None and transfer.dial.text == "+15550107100"
    assert "step=handoff" in str(transfer.dial.get("action"))
    assert_for_the_ear(transfer)

    goodbye = call.transfer_ends("completed")
    assert goodbye.hangs_up and "Goodbye" in goodbye.spoken


def test_a_busy_handoff_line_gives_the_case_reference_and_a_call_back(fresh: LiveStack) -> None:
    call = verified_call(fresh)
    call.say("agent please")
    [case] = fresh.ops(ANA)["cases"]
    busy = call.transfer_ends("busy")
    assert "nobody from our team could take your call" in busy.spoken
    assert "Your case reference is K M" in busy.spoken and "call you back" in busy.spoken
    assert busy.hangs_up
    assert_for_the_ear(busy)
    assert fresh.ops(ANA)["cases"] == [case]  # the same case, not a second one


def all_events(live: LiveStack, sender: str) -> list[dict]:
    response = httpx.get(
        f"{live.config.rasa_url}/conversations/{sender}/tracker",
        params={"token": live.config.env["RASA_TOKEN"], "include_events": "ALL"},
        timeout=10,
    )
    response.raise_for_status()
    return list(response.json()["events"])


def tracker_events(live: LiveStack, sender: str) -> list[dict]:
    return [e for e in all_events(live, sender) if e["event"] in ("user", "bot")]


def test_goodbye_hangs_up_and_the_ended_call_closes_its_conversation(live: LiveStack) -> None:
    call = caller(live)
    call.ring()
    farewell = call.say("that's all, goodbye")
    assert "Goodbye" in farewell.spoken and farewell.hangs_up and farewell.gather is None
    assert_for_the_ear(farewell)

    assert call.hang_up().status_code == 204
    assert call.hang_up().status_code == 204  # Twilio may post it again: closed once
    events = all_events(live, call.call_sid)
    assert [e["event"] for e in events].count("restart") == 1
    late = call.answer(f"{live.config.web_url}/twilio/voice?turn=2", call.fields(Digits="1"))
    assert late.hangs_up and not late.says


# --- what must never happen ------------------------------------------------------------------


def voice_turn_rows(live: LiveStack, call_sid: str) -> int:
    with sqlite3.connect(live.database_url.removeprefix("sqlite:///")) as db:
        return int(
            db.execute(
                "SELECT count(*) FROM voice_turns WHERE call_sid = ?", (call_sid,)
            ).fetchone()[0]
        )


@pytest.mark.parametrize("forgery", ["forged", "missing", "tampered", "wrong url"])
def test_a_request_without_twilios_signature_is_refused_with_no_side_effect(
    live: LiveStack, forgery: str
) -> None:
    call = caller(live)
    url = f"{live.config.web_url}/twilio/voice"
    form = call.fields(CallStatus="ringing")
    if forgery == "forged":
        response = call.post(url, form, signature="bm90IGEgc2lnbmF0dXJlIGF0IGFsbA==")
    elif forgery == "missing":
        response = call.post(url, form, signed=False)
    elif forgery == "tampered":
        signature = call.sign(url, form)
        response = call.post(url, {**form, "From": "+15550100004"}, signature=signature)
    else:
        elsewhere = "https://attacker.example/twilio/voice"
        response = call.post(url, form, signature=call.sign(elsewhere, form))
    assert response.status_code == 403
    assert "Traceback" not in response.text
    assert voice_turn_rows(live, call.call_sid) == 0
    assert tracker_events(live, call.call_sid) == []


def test_the_bots_voice_channel_refuses_anyone_without_the_gateways_secret(
    live: LiveStack,
) -> None:
    sender = "CA" + "f" * 32
    body = {"sender": sender, "message": "hello", "message_id": f"{sender}-0"}
    url = f"{live.config.rasa_url}/webhooks/voice/webhook"
    assert httpx.post(url, json=body, timeout=10).status_code == 403
    wrong = {"X-Voice-Gateway-Secret": "guess"}
    assert httpx.post(url, json=body, headers=wrong, timeout=10).status_code == 403
    assert tracker_events(live, sender) == []
    right = {"X-Voice-Gateway-Secret": live.config.env["VOICE_GATEWAY_SECRET"]}
    answered = httpx.post(url, json=body, headers=right, timeout=30)
    assert answered.status_code == 200 and answered.json()["replies"]


def test_malformed_and_oversized_requests_get_a_clear_answer_never_a_trace(
    live: LiveStack,
) -> None:
    call = caller(live)
    call.ring()
    url = f"{live.config.web_url}/twilio/voice"
    bad_sid = call.fields(CallSid="CA-not-a-call")
    assert call.post(url, bad_sid).status_code == 400
    assert call.post(f"{url}?turn=first", call.fields()).status_code == 400
    huge = call.fields(SpeechResult="x" * 40_000)
    assert call.post(f"{url}?turn=1", huge).status_code == 413
    rambling = call.answer(f"{url}?turn=1", call.fields(SpeechResult="blah " * 1000))
    assert "a lot at once" in rambling.spoken and rambling.gather is not None
    json_body = httpx.post(url, json=call.fields(), timeout=10)
    assert json_body.status_code == 415
    for response in (json_body,):
        assert "Traceback" not in response.text


def test_a_repeated_consent_request_gets_the_same_answer_and_applies_the_credit_once(
    fresh: LiveStack,
) -> None:
    before = fresh.ops(ANA)["balance_cents"]
    call = verified_call(fresh)
    call.say("waive my late fee")
    assert call.last is not None
    url, form = call.last.next_url(), call.fields(SpeechResult="yes", Confidence="0.93")
    signature = call.sign(url, form)
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(lambda _: call.post(url, form, signature=signature), range(2))
    third = call.post(url, form, signature=signature)
    assert first.status_code == second.status_code == third.status_code == 200
    assert first.text == second.text == third.text
    assert "Done" in Twiml.parse(first.text).spoken
    account = fresh.ops(ANA)
    assert [a["status"] for a in account["adjustments"]] == ["applied"]
    assert account["balance_cents"] == before - 500
    yes_turns = [e for e in tracker_events(fresh, call.call_sid) if e.get("text") == "yes"]
    assert len(yes_turns) == 1


def test_the_pin_of_a_call_is_in_no_tracker_log_or_back_office_table(fresh: LiveStack) -> None:
    by_keypad = verified_call(fresh)
    by_voice = verified_call(fresh, pin_by="speech")
    by_keypad.hang_up()
    by_voice.hang_up()
    # Not inside an id, a hash, a file:line or a [pid]; "PIN 4321" or "text": "4321" is caught.
    pin = re.compile(
        rf"(?<![0-9A-Za-z_\-:.\[/]){ANA_PIN}(?![0-9A-Za-z_\-:\]])|four three two one", re.I
    )

    # Text only: a row id or an amount in cents may be 4321 without being anybody's PIN.
    with sqlite3.connect(fresh.tracker_db) as tracker:
        columns = "sender_id, type_name, action_name, intent_name, data"
        stored = [str(row) for row in tracker.execute(f"SELECT {columns} FROM events")]
    assert any(by_keypad.call_sid in row for row in stored), "the calls are in the tracker"
    assert not [row for row in stored if pin.search(row)]
    assert not pin.search(fresh.logs())

    engine = create_engine(fresh.database_url)
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        for table in tables.sorted_tables:
            if table.name.startswith("bss_"):
                continue  # the reference BSS holds the PIN hashes, as an operator's BSS would
            for row in connection.execute(select(table)):
                texts = [json.dumps(v) if isinstance(v, (dict, list)) else v for v in row]
                texts = [v for v in texts if isinstance(v, str)]
                assert not [v for v in texts if pin.search(v)], (table.name, row)
    engine.dispose()
