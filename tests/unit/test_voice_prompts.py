"""How the caller's keys and words answer the question the last answer asked (pure)."""

from __future__ import annotations

import pytest

from app.web.voice.prompts import (
    ASK_FOR_A_PERSON,
    MAX_SPEECH_CHARS,
    CallerTurn,
    Expects,
    Heard,
    Prompt,
    caller_turn,
)

CALLER = "+15550100001"
YES_NO = (("Yes", "/affirm"), ("No", "/deny"))
PIN = Prompt(expects=Expects.PIN, question="Please key in your PIN, then press pound.")
ACCOUNT = Prompt(expects=Expects.IDENTIFIER, question="Please key in your account number.")
YES_OR_NO = Prompt(expects=Expects.CHOICE, question="Shall I go ahead?", choices=YES_NO)
ANYTHING = Prompt(question="How can I help?")


def keys(digits: str, prompt: Prompt, caller: str = CALLER) -> CallerTurn:
    return caller_turn(digits, "", prompt, caller)


def words(speech: str, prompt: Prompt) -> CallerTurn:
    return caller_turn("", speech, prompt, CALLER)


# --- the keypad -------------------------------------------------------------------------------


@pytest.mark.parametrize("prompt", [PIN, ACCOUNT, ANYTHING], ids=["pin", "identifier", "words"])
def test_keypad_digits_reach_the_bot_without_the_pound_key(prompt: Prompt) -> None:
    assert keys("4321#", prompt) == CallerTurn(text="4321")


def test_keypad_digits_without_the_pound_key_reach_the_bot_as_they_are() -> None:
    assert keys("100001", ACCOUNT) == CallerTurn(text="100001")


@pytest.mark.parametrize("digits", ["0", "0#"])
@pytest.mark.parametrize(
    "prompt", [PIN, ACCOUNT, YES_OR_NO, ANYTHING], ids=["pin", "identifier", "choice", "words"]
)
def test_zero_asks_for_a_person_whatever_the_question(digits: str, prompt: Prompt) -> None:
    assert keys(digits, prompt) == CallerTurn(text=ASK_FOR_A_PERSON)
    assert ASK_FOR_A_PERSON == "/request_human"


@pytest.mark.parametrize("digits", ["*", "*#"])
def test_star_at_the_account_question_stands_for_the_number_the_caller_calls_from(
    digits: str,
) -> None:
    assert keys(digits, ACCOUNT) == CallerTurn(text=CALLER)


@pytest.mark.parametrize("prompt", [PIN, YES_OR_NO, ANYTHING], ids=["pin", "choice", "words"])
def test_star_anywhere_but_the_account_question_is_not_the_callers_number(prompt: Prompt) -> None:
    turn = keys("*", prompt)
    assert turn.heard is None
    assert turn.text != CALLER
    assert CALLER not in str(turn.text)


def test_star_at_the_account_question_without_a_caller_id_is_just_a_star() -> None:
    assert keys("*", ACCOUNT, caller="") == CallerTurn(text="*")


@pytest.mark.parametrize(("digits", "payload"), [("1", "/affirm"), ("2", "/deny"), ("2#", "/deny")])
def test_a_choice_key_answers_with_the_payload_of_its_button(digits: str, payload: str) -> None:
    assert keys(digits, YES_OR_NO) == CallerTurn(text=payload)


@pytest.mark.parametrize("digits", ["3", "9", "10", "12"])
def test_a_key_with_no_choice_behind_it_reaches_the_bot_as_the_keys(digits: str) -> None:
    assert keys(digits, YES_OR_NO) == CallerTurn(text=digits)


def test_choice_keys_mean_nothing_when_no_choices_were_offered() -> None:
    assert keys("1", PIN) == CallerTurn(text="1")
    assert keys("1", ANYTHING) == CallerTurn(text="1")


@pytest.mark.parametrize("digits", ["12ab", "4 3 2 1", "#", "##", "1" * 41, "+1", "4321\n"])
def test_keys_twilio_would_never_send_are_unusable(digits: str) -> None:
    assert keys(digits, PIN) == CallerTurn(heard=Heard.UNUSABLE)


def test_keys_win_over_words_heard_in_the_same_turn() -> None:
    assert caller_turn("4321#", "I forgot my PIN", PIN, CALLER) == CallerTurn(text="4321")


# --- speech -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "speech", ["one", "One.", "press one", "Press one.", "1", "press 1", " one "]
)
def test_saying_the_first_key_at_a_choice_answers_with_the_first_button(speech: str) -> None:
    assert words(speech, YES_OR_NO) == CallerTurn(text="/affirm")


@pytest.mark.parametrize("speech", ["two", "Press two.", "press  two", "2"])
def test_saying_the_second_key_at_a_choice_answers_with_the_second_button(speech: str) -> None:
    assert words(speech, YES_OR_NO) == CallerTurn(text="/deny")


@pytest.mark.parametrize("speech", ["three", "press nine", "yes please", "one two"])
def test_words_that_name_no_offered_key_reach_the_bot_as_words(speech: str) -> None:
    assert words(speech, YES_OR_NO) == CallerTurn(text=speech)


@pytest.mark.parametrize(
    "speech",
    [
        "four three two one",
        "it's 4 3 2 1",
        "It's 4 3 2 1.",
        "4321",
        "my PIN is four three two one",
        "four, three, two, one.",
    ],
)
def test_a_pin_said_aloud_reaches_the_bot_as_its_digits(speech: str) -> None:
    assert words(speech, PIN) == CallerTurn(text="4321")


def test_an_account_number_said_aloud_reaches_the_bot_as_its_digits() -> None:
    assert words("one zero zero zero zero one", ACCOUNT) == CallerTurn(text="100001")


@pytest.mark.parametrize(
    "speech", ["I forgot my PIN", "one moment please", "I want a person", "the"]
)
def test_other_words_at_a_pin_prompt_stay_words(speech: str) -> None:
    assert words(speech, PIN) == CallerTurn(text=speech)


def test_digit_words_are_left_as_words_when_no_number_was_asked_for() -> None:
    assert words("four three two one", ANYTHING) == CallerTurn(text="four three two one")


def test_speech_reaches_the_bot_without_surrounding_blanks() -> None:
    assert words("  what do I owe?  ", ANYTHING) == CallerTurn(text="what do I owe?")


@pytest.mark.parametrize("speech", ["", " ", "\t\n"])
@pytest.mark.parametrize("prompt", [PIN, YES_OR_NO, ANYTHING], ids=["pin", "choice", "words"])
def test_no_keys_and_no_words_is_silence(speech: str, prompt: Prompt) -> None:
    assert caller_turn("", speech, prompt, CALLER) == CallerTurn(heard=Heard.SILENCE)


@pytest.mark.parametrize("prompt", [PIN, YES_OR_NO, ANYTHING], ids=["pin", "choice", "words"])
def test_speech_over_the_limit_is_too_long_to_be_an_answer(prompt: Prompt) -> None:
    assert words("a" * (MAX_SPEECH_CHARS + 1), prompt) == CallerTurn(heard=Heard.TOO_LONG)
    assert words("four " * 200, prompt) == CallerTurn(heard=Heard.TOO_LONG)


def test_speech_at_the_limit_still_reaches_the_bot() -> None:
    assert words("a" * MAX_SPEECH_CHARS, ANYTHING) == CallerTurn(text="a" * MAX_SPEECH_CHARS)


# --- the prompt kept with a turn --------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        PIN,
        ACCOUNT,
        YES_OR_NO,
        ANYTHING,
        Prompt(),
        Prompt(expects=Expects.CHOICE, question="Which?", choices=YES_NO, silences=2),
        Prompt(case="KM-1001"),
    ],
    ids=["pin", "identifier", "choice", "words", "empty", "silences", "case"],
)
def test_a_stored_prompt_is_restored_as_it_was(prompt: Prompt) -> None:
    assert Prompt.restored(prompt.stored()) == prompt


def test_a_stored_prompt_is_plain_json_data() -> None:
    assert YES_OR_NO.stored() == {
        "expects": "choice",
        "question": "Shall I go ahead?",
        "choices": [["Yes", "/affirm"], ["No", "/deny"]],
        "silences": 0,
        "case": None,
    }


@pytest.mark.parametrize("data", [None, {}])
def test_no_stored_prompt_restores_as_the_open_question(data: dict[str, object] | None) -> None:
    assert Prompt.restored(data) == Prompt()
    assert Prompt.restored(data).expects is Expects.WORDS
