"""What the last answer asked the caller, and how the caller's keys and words answer it. Pure.

The gateway keeps a ``Prompt`` with each turn (app/web/voice/turns.py) and reads the next
request with it: the keypad means digits when an account number or PIN was asked for, a choice
when choices were spoken ("say yes, or press one"), and ``0`` always asks for a person. ``*`` at
the account question stands for the number the caller is calling from; it proves nothing (the
PIN is asked for all the same) and the question is the same whoever calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.spoken import digits_from_words

MAX_SPEECH_CHARS = 600  # about a minute of speech; more is not an answer to a question
ASK_FOR_A_PERSON = "/request_human"
DIGIT_ANSWER_WORDS = {"my", "it", "it's", "is", "its", "the", "pin", "account", "number", "code"}
KEY_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9,
}  # fmt: skip


class Expects(str, Enum):
    IDENTIFIER = "identifier"  # account number or phone: keypad digits, or * for caller ID
    PIN = "pin"  # keypad digits; never read back
    CHOICE = "choice"  # spoken choices with keys
    WORDS = "words"  # anything


class Prompt(BaseModel):
    """The question a turn left the caller with (stored with the turn, no caller input in it)."""

    model_config = ConfigDict(frozen=True)

    expects: Expects = Expects.WORDS
    question: str = ""  # the words to say again when the caller says nothing
    choices: tuple[tuple[str, str], ...] = ()  # (title, payload), key n is choices[n - 1]
    silences: int = 0  # reprompts in a row so far
    case: str | None = None  # the case reference of a handoff

    def stored(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def restored(cls, data: dict[str, Any] | None) -> Prompt:
        return cls.model_validate(data) if data else cls()


class Heard(Enum):
    SILENCE = "silence"
    TOO_LONG = "too_long"
    UNUSABLE = "unusable"  # keys Twilio would never send


@dataclass(frozen=True)
class CallerTurn:
    """What to send to the bot (``text``), or why there is nothing to send (``heard``)."""

    text: str | None = None
    heard: Heard | None = None


DIGITS = re.compile(r"[0-9*#]{1,40}")
PHONE = re.compile(r"\+?[0-9]{7,15}")


def _spoken_digits(speech: str) -> str | None:
    """ "four three two one" or "it's 4 3 2 1" -> "4321"; None when other words are in it."""
    words = re.findall(r"[a-z']+|\d+", speech.lower())
    kept = [w for w in words if w not in DIGIT_ANSWER_WORDS]
    digits = digits_from_words(" ".join(kept)).replace(" ", "")
    if kept and digits.isdigit() and all(w.isdigit() or digits_from_words(w) for w in kept):
        return digits
    return None


def _chosen(prompt: Prompt, key: int | None) -> str | None:
    if key is not None and 1 <= key <= len(prompt.choices):
        return prompt.choices[key - 1][1]
    return None


def _from_keys(digits: str, prompt: Prompt, caller: str) -> CallerTurn:
    keys = digits.rstrip("#")
    if not DIGITS.fullmatch(digits) or not keys:
        return CallerTurn(heard=Heard.UNUSABLE)
    if keys == "0":
        return CallerTurn(ASK_FOR_A_PERSON)
    if prompt.expects is Expects.IDENTIFIER and keys == "*":
        return CallerTurn(caller if PHONE.fullmatch(caller) else "*")  # withheld: "anonymous"
    if prompt.expects is Expects.CHOICE and keys.isdigit():
        choice = _chosen(prompt, int(keys))
        if choice is not None:
            return CallerTurn(choice)
    return CallerTurn(keys)


def _from_speech(speech: str, prompt: Prompt) -> CallerTurn:
    speech = speech.strip()
    if len(speech) > MAX_SPEECH_CHARS:
        return CallerTurn(heard=Heard.TOO_LONG)
    if prompt.expects in (Expects.IDENTIFIER, Expects.PIN):
        digits = _spoken_digits(speech)
        if digits:
            return CallerTurn(digits)
    if prompt.expects is Expects.CHOICE:
        said = re.sub(r"[^a-z0-9 ]", "", speech.lower()).strip()
        said = said.removeprefix("press ").strip()
        choice = _chosen(prompt, KEY_WORDS.get(said) or (int(said) if said.isdigit() else None))
        if choice is not None:
            return CallerTurn(choice)
    return CallerTurn(speech)


def caller_turn(digits: str, speech: str, prompt: Prompt, caller: str) -> CallerTurn:
    """The bot's input for one Gather result (keys win over words: they are unambiguous)."""
    if digits:
        return _from_keys(digits, prompt, caller)
    if speech.strip():
        return _from_speech(speech, prompt)
    return CallerTurn(heard=Heard.SILENCE)
