"""The gateway's answers to Twilio, parsed as TwiML and read the way a caller hears them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from app.web.voice.prompts import Expects, Prompt
from app.web.voice.twiml import (
    HINTS,
    TOO_LONG,
    UNUSABLE_KEYS,
    Answer,
    VoiceStyle,
    after_handoff,
    apology,
    ask_again,
    bot_answer,
    handoff,
    hang_up,
    reprompt,
)
from tests.e2e.twilio_caller import Twiml

BASE = "https://voice.example"
CARE_LINE = "+15550107100"
VOICE = "Polly.Joanna-Neural"
DIAL = VoiceStyle(base_url=BASE, voice=VOICE, handoff_number=CARE_LINE)
QUEUE = VoiceStyle(base_url=BASE, voice=VOICE, handoff_number=CARE_LINE, handoff_queue="care")
NOWHERE = VoiceStyle(base_url=BASE, voice=VOICE)
PLAIN = VoiceStyle(base_url=BASE, handoff_number=CARE_LINE)  # Twilio's default voice
# What a text-to-speech voice would read out as a symbol, or a number left in digits.
NOT_FOR_THE_EAR = re.compile(r"[0-9$%&*#<>()\"/:]")
SPELLED_CASE = "K M, one zero zero one"

YES = {"title": "Yes", "payload": "/affirm"}
NO = {"title": "No", "payload": "/deny"}
PIN_REPLY = {"text": "Now please key in your four-digit PIN, then press pound.",
             "kestrel": {"expects": "pin"}}  # fmt: skip
ACCOUNT_REPLY = {
    "text": "Please key in your account number, then press pound. Or press star to use the "
    "number you're calling from.",
    "kestrel": {"expects": "identifier"},
}
OFFER_REPLY = {
    "text": "Your balance is $112.40. I can take off the $5.00 late fee. Shall I go ahead?",
    "buttons": [YES, NO],
}
HANDOFF_TEXT = (
    "I've opened a case for you. Your case reference is KM-1001; a person from our team will "
    "pick it up, and the expected wait is about 4 minutes."
)
HANDOFF_REPLY = {"text": HANDOFF_TEXT, "kestrel": {"state": "handoff", "case": "KM-1001"}}
SYMBOLS_REPLY = {
    "text": "**Bill** for 12/2025: $112.40 (due December 12, 2026) - 50% paid & 24/7 help at "
    'https://kestrel.example/help or +1 555 010 7000. Case KM-7F3A21 said "ok" #2 <3 :)'
}


def twiml(answer: Answer | str) -> Twiml:
    """The TwiML of an answer, parsed; every answer must be fit for the ear."""
    raw = answer.twiml if isinstance(answer, Answer) else answer
    parsed = Twiml.parse(raw)
    for said in parsed.says:
        assert said.strip(), raw
        assert not NOT_FOR_THE_EAR.search(said), said
    return parsed


def says(parsed: Twiml) -> list[ET.Element]:
    return list(parsed.root.iter("Say"))


def gather_of(parsed: Twiml) -> ET.Element:
    gather = parsed.gather
    assert gather is not None, parsed.raw
    return gather


def gather_says(parsed: Twiml) -> str:
    return " ".join(say.text or "" for say in gather_of(parsed).iter("Say"))


# --- listening --------------------------------------------------------------------------------


def test_a_pin_prompt_listens_for_keys_and_speech_until_the_pound_key() -> None:
    parsed = twiml(bot_answer([PIN_REPLY], 3, DIAL))
    gather = gather_of(parsed)
    assert gather.get("input") == "dtmf speech"
    assert gather.get("finishOnKey") == "#"
    assert gather.get("actionOnEmptyResult") == "true"
    assert gather.get("speechTimeout") == "auto"
    assert gather.get("bargeIn") == "true"
    assert gather.get("language") == "en-US"
    assert gather.get("method") == "POST"
    assert gather.get("hints")
    assert gather.get("hints") == HINTS
    assert gather.get("numDigits") is None
    assert gather.get("action") == f"{BASE}/twilio/voice?turn=3"


def test_the_words_of_a_prompt_are_inside_the_gather_so_the_caller_can_interrupt_them() -> None:
    parsed = twiml(bot_answer([PIN_REPLY], 3, DIAL))
    assert [s.text for s in parsed.root.findall("Say")] == []  # none outside the Gather
    assert gather_says(parsed) == "Now please key in your four-digit PIN, then press pound."


def test_a_gather_that_falls_through_goes_to_the_same_next_turn() -> None:
    parsed = twiml(bot_answer([PIN_REPLY], 7, DIAL))
    redirect = parsed.root.find("Redirect")
    assert redirect is not None
    assert redirect.text == f"{BASE}/twilio/voice?turn=7"
    assert list(parsed.root)[-1] is redirect


def test_a_pin_prompt_is_remembered_as_a_pin_question() -> None:
    answer = bot_answer([PIN_REPLY], 3, DIAL)
    assert answer.prompt.expects is Expects.PIN
    assert answer.prompt.question == "Now please key in your four-digit PIN, then press pound."
    assert not twiml(answer).hangs_up


def test_an_account_prompt_is_remembered_as_an_identifier_question() -> None:
    answer = bot_answer([ACCOUNT_REPLY], 1, DIAL)
    assert answer.prompt.expects is Expects.IDENTIFIER
    assert gather_of(twiml(answer)).get("finishOnKey") == "#"


def test_yes_no_buttons_take_one_key_and_are_spoken_as_choices() -> None:
    answer = bot_answer([OFFER_REPLY], 2, DIAL)
    parsed = twiml(answer)
    gather = gather_of(parsed)
    assert gather.get("numDigits") == "1"
    assert gather.get("input") == "dtmf speech"
    assert gather.get("action") == f"{BASE}/twilio/voice?turn=2"
    spoken = gather_says(parsed)
    assert "one hundred twelve dollars and forty cents" in spoken
    assert spoken.endswith("Say yes, or press one. Say no, or press two.")
    assert answer.prompt.expects is Expects.CHOICE
    assert answer.prompt.choices == (("Yes", "/affirm"), ("No", "/deny"))


def test_several_replies_are_said_in_order_in_one_gather() -> None:
    replies = [{"text": "Thanks, Ana, you're verified."}, {"text": "What can I do for you?"}]
    parsed = twiml(bot_answer(replies, 4, DIAL))
    assert [s.text for s in gather_of(parsed).iter("Say")] == [
        "Thanks, Ana, you're verified.",
        "What can I do for you?",
    ]


@pytest.mark.parametrize(
    "replies",
    [
        [{"text": "", "custom": {"image": "https://kestrel.example/bill.png"}}],
        [{"custom": {"data": {"chart": [1, 2, 3]}}}],
        [{"text": "🙂"}],
        [],
    ],
    ids=["image", "custom-data", "emoji-only", "no-replies"],
)
def test_a_reply_with_nothing_to_say_still_listens_with_words(
    replies: list[dict[str, Any]],
) -> None:
    answer = bot_answer(replies, 2, DIAL)
    parsed = twiml(answer)
    assert len(parsed.root) > 0
    assert gather_says(parsed) == "Is there anything else I can help you with?"
    assert answer.prompt.question == "Is there anything else I can help you with?"
    assert not parsed.hangs_up


# --- transfers --------------------------------------------------------------------------------


def test_a_handoff_spells_the_case_reference_then_dials_the_care_line() -> None:
    answer = bot_answer([HANDOFF_REPLY], 4, DIAL)
    parsed = twiml(answer)
    assert SPELLED_CASE in parsed.spoken
    assert "KM-1001" not in parsed.spoken
    dial = parsed.dial
    assert dial is not None, parsed.raw
    assert (dial.text or "").strip() == CARE_LINE
    action = str(dial.get("action"))
    assert action.startswith(f"{BASE}/twilio/voice?")
    assert "step=handoff" in action
    assert "turn=4" in action
    children = [child.tag for child in parsed.root]
    assert children.index("Dial") > max(i for i, tag in enumerate(children) if tag == "Say")
    assert parsed.gather is None and not parsed.hangs_up
    assert answer.prompt.case == "KM-1001"
    assert not twiml(answer).hangs_up


def test_a_handoff_to_a_queue_enqueues_instead_of_dialling() -> None:
    parsed = twiml(bot_answer([HANDOFF_REPLY], 4, QUEUE))
    enqueue = parsed.root.find("Enqueue")
    assert enqueue is not None, parsed.raw
    assert enqueue.text == "care"
    assert "step=handoff" in str(enqueue.get("action"))
    assert parsed.dial is None
    assert SPELLED_CASE in parsed.spoken


def test_a_handoff_with_nowhere_to_transfer_says_goodbye_and_hangs_up() -> None:
    answer = bot_answer([HANDOFF_REPLY], 4, NOWHERE)
    parsed = twiml(answer)
    assert parsed.dial is None and parsed.root.find("Enqueue") is None
    assert SPELLED_CASE in parsed.spoken
    assert "call you back" in parsed.spoken
    assert "Goodbye" in parsed.spoken
    assert parsed.hangs_up
    assert list(parsed.root)[-1].tag == "Hangup"
    assert twiml(answer).hangs_up


def test_a_handoff_function_call_puts_the_words_before_the_transfer() -> None:
    parsed = twiml(handoff(["One moment."], "KM-1001", 5, DIAL))
    assert parsed.says[0] == "One moment."
    assert "putting you through" in parsed.says[-1]
    assert parsed.dial is not None
    assert parsed.next_url() == f"{BASE}/twilio/voice?turn=5&step=handoff"


def test_an_ended_conversation_says_its_last_words_and_hangs_up() -> None:
    answer = bot_answer([{"text": "Thanks for calling. Goodbye!", "kestrel": {"state": "ended"}}],
                        6, DIAL)  # fmt: skip
    parsed = twiml(answer)
    assert parsed.spoken == "Thanks for calling. Goodbye!"
    assert parsed.hangs_up
    assert parsed.gather is None and parsed.dial is None
    assert twiml(answer).hangs_up


@pytest.mark.parametrize("result", ["busy", "no-answer", "failed", "canceled", ""])
def test_a_transfer_nobody_took_gives_the_case_reference_again_and_a_call_back(
    result: str,
) -> None:
    answer = after_handoff(result, "KM-1001", DIAL)
    parsed = twiml(answer)
    assert SPELLED_CASE in parsed.spoken
    assert "call you back" in parsed.spoken
    assert parsed.hangs_up
    assert parsed.dial is None and parsed.gather is None
    assert twiml(answer).hangs_up


@pytest.mark.parametrize("result", ["completed", "answered", "bridged"])
def test_a_transfer_that_connected_ends_with_goodbye(result: str) -> None:
    answer = after_handoff(result, "KM-1001", DIAL)
    parsed = twiml(answer)
    assert parsed.spoken == "Thanks for calling Kestrel Mobile. Goodbye."
    assert "call you back" not in parsed.spoken
    assert parsed.hangs_up
    assert twiml(answer).hangs_up


def test_a_failed_transfer_without_a_case_still_promises_a_call_back() -> None:
    parsed = twiml(after_handoff("busy", None, DIAL))
    assert "case reference" not in parsed.spoken
    assert "call you back" in parsed.spoken
    assert parsed.hangs_up


# --- silence and answers the gateway could not pass on ----------------------------------------


def test_the_first_silence_asks_the_question_again() -> None:
    asked = bot_answer([ACCOUNT_REPLY], 1, DIAL).prompt
    answer = reprompt(asked, 2, DIAL)
    parsed = twiml(answer)
    spoken = gather_says(parsed)
    assert spoken.startswith("Sorry, I didn't hear anything.")
    assert asked.question in spoken
    assert "zero" not in spoken
    assert gather_of(parsed).get("action") == f"{BASE}/twilio/voice?turn=2"
    assert answer.prompt.silences == 1
    assert answer.prompt.expects is Expects.IDENTIFIER
    assert not twiml(answer).hangs_up


def test_the_second_silence_also_offers_the_person_key() -> None:
    asked = bot_answer([ACCOUNT_REPLY], 1, DIAL).prompt
    second = reprompt(reprompt(asked, 2, DIAL).prompt, 3, DIAL)
    spoken = gather_says(twiml(second))
    assert asked.question in spoken
    assert "press zero" in spoken
    assert second.prompt.silences == 2
    assert not twiml(second).hangs_up


def test_the_third_silence_says_goodbye_and_hangs_up() -> None:
    prompt = bot_answer([ACCOUNT_REPLY], 1, DIAL).prompt
    answers = []
    for turn in (2, 3, 4):
        answer = reprompt(prompt, turn, DIAL)
        answers.append(answer)
        prompt = answer.prompt
    third = twiml(answers[-1])
    assert third.gather is None
    assert third.hangs_up
    assert "Goodbye" in third.spoken
    assert twiml(answers[-1]).hangs_up
    assert [a.twiml.count("<Gather") for a in answers] == [1, 1, 0]  # at most two reprompts


def test_a_reprompt_at_a_choice_keeps_the_choices_and_the_single_key() -> None:
    asked = bot_answer([OFFER_REPLY], 2, DIAL).prompt
    answer = reprompt(asked, 3, DIAL)
    assert gather_of(twiml(answer)).get("numDigits") == "1"
    assert answer.prompt.choices == asked.choices


def test_a_reprompt_of_an_empty_question_asks_if_anything_else_is_needed() -> None:
    spoken = gather_says(twiml(reprompt(Prompt(), 1, DIAL)))
    assert "Is there anything else I can help you with?" in spoken


@pytest.mark.parametrize("opening", [TOO_LONG, UNUSABLE_KEYS])
def test_an_answer_that_could_not_be_passed_on_asks_the_question_again(opening: str) -> None:
    asked = bot_answer([PIN_REPLY], 3, DIAL).prompt.model_copy(update={"silences": 2})
    answer = ask_again(opening, asked, 4, DIAL)
    parsed = twiml(answer)
    spoken = gather_says(parsed)
    assert spoken.startswith(opening)
    assert asked.question in spoken
    assert gather_of(parsed).get("action") == f"{BASE}/twilio/voice?turn=4"
    assert answer.prompt.silences == 0
    assert answer.prompt.expects is Expects.PIN


def test_too_long_speech_is_answered_politely() -> None:
    assert "a lot at once" in gather_says(twiml(ask_again(TOO_LONG, Prompt(), 2, DIAL)))


# --- failures and ended calls -----------------------------------------------------------------


def test_an_apology_puts_the_caller_through_to_a_person() -> None:
    parsed = twiml(apology(3, DIAL))
    assert "sorry" in parsed.spoken.lower()
    assert parsed.dial is not None
    assert (parsed.dial.text or "").strip() == CARE_LINE
    assert parsed.next_url() == f"{BASE}/twilio/voice?turn=3&step=handoff"


def test_an_apology_with_a_queue_enqueues() -> None:
    parsed = twiml(apology(3, QUEUE))
    assert parsed.root.find("Enqueue") is not None and parsed.dial is None


def test_an_apology_with_nowhere_to_transfer_says_when_to_call_and_hangs_up() -> None:
    parsed = twiml(apology(3, NOWHERE))
    assert "sorry" in parsed.spoken.lower()
    assert "call us again" in parsed.spoken
    assert parsed.hangs_up and parsed.dial is None


def test_hanging_up_is_only_a_hangup() -> None:
    parsed = twiml(hang_up())
    assert [child.tag for child in parsed.root] == ["Hangup"]


# --- every answer -----------------------------------------------------------------------------


def _all_answers(style: VoiceStyle) -> list[str]:
    pin = bot_answer([PIN_REPLY], 3, style)
    once = reprompt(pin.prompt, 4, style)
    twice = reprompt(once.prompt, 5, style)
    built: list[Answer | str] = [
        pin,
        bot_answer([ACCOUNT_REPLY], 1, style),
        bot_answer([OFFER_REPLY], 2, style),
        bot_answer([SYMBOLS_REPLY, OFFER_REPLY], 2, style),
        bot_answer([{"text": ""}], 2, style),
        bot_answer([HANDOFF_REPLY], 4, style),
        bot_answer([SYMBOLS_REPLY, HANDOFF_REPLY], 4, style),
        bot_answer([{"text": "Bye (for now)!", "kestrel": {"state": "ended"}}], 4, style),
        handoff(["Sure."], "KM-7F3A21", 5, style),
        after_handoff("busy", "KM-1001", style),
        after_handoff("no-answer", "KM-7F3A21", style),
        after_handoff("completed", "KM-1001", style),
        once,
        twice,
        reprompt(twice.prompt, 6, style),
        ask_again(TOO_LONG, pin.prompt, 4, style),
        ask_again(UNUSABLE_KEYS, pin.prompt, 4, style),
        apology(3, style),
        hang_up(),
    ]
    return [a.twiml if isinstance(a, Answer) else a for a in built]


STYLES = {"dial": DIAL, "queue": QUEUE, "nowhere": NOWHERE, "default-voice": PLAIN}


@pytest.mark.parametrize("style", list(STYLES.values()), ids=list(STYLES))
def test_no_say_in_any_answer_holds_a_digit_or_a_symbol(style: VoiceStyle) -> None:
    for raw in _all_answers(style):
        parsed = Twiml.parse(raw)
        for said in parsed.says:
            assert not NOT_FOR_THE_EAR.search(said), f"{said!r} in {raw}"


@pytest.mark.parametrize("style", list(STYLES.values()), ids=list(STYLES))
def test_no_answer_is_ever_empty(style: VoiceStyle) -> None:
    for raw in _all_answers(style):
        parsed = Twiml.parse(raw)
        assert any(
            parsed.root.find(verb) is not None for verb in ("Gather", "Dial", "Enqueue", "Hangup")
        ), raw


@pytest.mark.parametrize(
    "builder",
    [
        lambda style: bot_answer([PIN_REPLY], 3, style).twiml,
        lambda style: bot_answer([HANDOFF_REPLY], 4, style).twiml,
        lambda style: after_handoff("busy", "KM-1001", style).twiml,
        lambda style: reprompt(Prompt(question="Hello?"), 2, style).twiml,
        lambda style: apology(3, style),
    ],
    ids=["gather", "handoff", "after-handoff", "reprompt", "apology"],
)
def test_every_say_has_the_voice_when_one_is_set_and_none_when_it_is_empty(
    builder: Callable[[VoiceStyle], str],
) -> None:
    voiced, plain = says(twiml(builder(DIAL))), says(twiml(builder(PLAIN)))
    assert voiced and plain
    assert all(say.get("voice") == VOICE for say in voiced)
    assert all("voice" not in say.attrib for say in plain)
    assert all(say.get("language") == "en-US" for say in voiced + plain)


def test_the_language_of_the_style_is_the_language_of_listening_and_speaking() -> None:
    style = VoiceStyle(base_url=BASE, language="en-GB", handoff_number=CARE_LINE)
    parsed = twiml(bot_answer([PIN_REPLY], 3, style))
    assert gather_of(parsed).get("language") == "en-GB"
    assert all(say.get("language") == "en-GB" for say in says(parsed))
