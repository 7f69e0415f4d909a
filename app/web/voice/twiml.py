"""The gateway's answers to Twilio, built with the ``twilio`` package (never hand-written XML).

Every answer either listens again (``<Gather input="dtmf speech">`` with the words inside, so the
caller can interrupt them), transfers (``<Dial>`` or ``<Enqueue>``), or says goodbye and hangs up.
None is ever empty: Twilio hangs up on a response with nothing to do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from app.web.voice.prompts import Expects, Prompt
from app.web.voice.speech import MAX_CHOICES, for_the_ear, spoken_choices

HINTS = (
    "account number, PIN, bill, balance, due date, late fee, duplicate charge, outage, credit, "
    "payment extension, more time, order, agent, person, yes, no, goodbye"
)
NOTHING_TO_SAY = "Is there anything else I can help you with?"
FIRST_SILENCE = "Sorry, I didn't hear anything."
SECOND_SILENCE = "Are you still there?"
PERSON_KEY = "You can also press zero to talk to a person."
SILENT_GOODBYE = (
    "I still can't hear you, so I'll end the call now. Please call us again any time. Goodbye."
)
TOO_LONG = "Sorry, that was a lot at once. Could you tell me again in a few words?"
UNUSABLE_KEYS = "Sorry, I didn't get those keys."
TRANSFERRING = "I'm putting you through to a person now. Please hold."
APOLOGY = "I'm sorry, something went wrong on our side."
NO_TRANSFER = "Please call us again in a few minutes. Goodbye."
CONNECTED_GOODBYE = "Thanks for calling Kestrel Mobile. Goodbye."
NOBODY_FREE = "I'm sorry, nobody from our team could take your call just now."
CALL_BACK = "Someone from our team will call you back. Goodbye."
SILENCES_BEFORE_GOODBYE = 2
CONNECTED = {"completed", "answered", "bridged"}  # DialCallStatus / QueueResult of a good transfer


@dataclass(frozen=True)
class VoiceStyle:
    """How the line speaks and where it transfers (from the settings)."""

    base_url: str  # the public URL Twilio calls, without a trailing slash
    language: str = "en-US"
    voice: str = ""
    handoff_number: str = ""
    handoff_queue: str = ""

    def url(self, **query: str | int) -> str:
        return f"{self.base_url}/twilio/voice?{urlencode(query)}"

    @property
    def can_transfer(self) -> bool:
        return bool(self.handoff_number or self.handoff_queue)


def _say(parent: VoiceResponse | Gather, text: str, style: VoiceStyle) -> None:
    if not text:
        return
    attributes = {"language": style.language}
    if style.voice:
        attributes["voice"] = style.voice
    parent.say(text, **attributes)


def _gather(words: Sequence[str], prompt: Prompt, next_turn: int, style: VoiceStyle) -> str:
    response = VoiceResponse()
    keys: dict[str, Any] = {"finish_on_key": "#"}
    if prompt.expects is Expects.CHOICE:
        keys = {"num_digits": 1}
    gather = Gather(
        input="dtmf speech",
        action=style.url(turn=next_turn),
        method="POST",
        timeout=6,
        speech_timeout="auto",
        action_on_empty_result=True,
        barge_in=True,
        language=style.language,
        hints=HINTS,
        **keys,
    )
    for text in words:
        _say(gather, text, style)
    response.append(gather)
    response.redirect(style.url(turn=next_turn), method="POST")  # if Gather ever falls through
    return str(response.to_xml())


def _transfer(response: VoiceResponse, next_turn: int, style: VoiceStyle) -> None:
    action = style.url(turn=next_turn, step="handoff")
    if style.handoff_queue:
        response.enqueue(style.handoff_queue, action=action, method="POST")
    else:
        response.dial(style.handoff_number, action=action, method="POST", timeout=25)


def _goodbye(words: Sequence[str], style: VoiceStyle) -> str:
    response = VoiceResponse()
    for text in words:
        _say(response, text, style)
    response.hangup()
    return str(response.to_xml())


@dataclass(frozen=True)
class Answer:
    twiml: str
    prompt: Prompt


def _kestrel(reply: Mapping[str, Any]) -> Mapping[str, Any]:
    data = reply.get("kestrel")
    return data if isinstance(data, Mapping) else {}


def _choices(replies: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    """(title, payload) of the turn's buttons, the last ones a keypad has keys for."""
    buttons = [b for r in replies for b in (r.get("buttons") or [])][-MAX_CHOICES:]
    return tuple((str(b.get("title", "")), str(b.get("payload", ""))) for b in buttons)


def _prompt_of(
    replies: Sequence[Mapping[str, Any]], choices: tuple[tuple[str, str], ...], question: str
) -> Prompt:
    expects = {str(_kestrel(r).get("expects") or "") for r in replies}
    if Expects.PIN.value in expects:
        return Prompt(expects=Expects.PIN, question=question)
    if Expects.IDENTIFIER.value in expects:
        return Prompt(expects=Expects.IDENTIFIER, question=question)
    if choices:
        return Prompt(expects=Expects.CHOICE, question=question, choices=choices)
    return Prompt(question=question)


def bot_answer(replies: Sequence[Mapping[str, Any]], next_turn: int, style: VoiceStyle) -> Answer:
    """The bot's replies for the ear: spoken, then listen, transfer or hang up."""
    words = [spoken for r in replies if (spoken := for_the_ear(str(r.get("text") or "")))]
    states = [_kestrel(r) for r in replies]
    case = next(
        (str(s["case"]) for s in states if s.get("state") == "handoff" and s.get("case")), None
    )
    if case is not None:
        return handoff(words, case, next_turn, style)
    if any(s.get("state") == "ended" for s in states):
        return Answer(_goodbye(words, style), Prompt())
    choices = _choices(replies)
    if choices:
        words.append(spoken_choices([title for title, _ in choices]))
    if not words:
        words = [NOTHING_TO_SAY]
    prompt = _prompt_of(replies, choices, " ".join(words))
    return Answer(_gather(words, prompt, next_turn, style), prompt)


def handoff(words: Sequence[str], case: str, next_turn: int, style: VoiceStyle) -> Answer:
    prompt = Prompt(case=case)
    if not style.can_transfer:
        return Answer(_goodbye([*words, CALL_BACK], style), prompt)
    response = VoiceResponse()
    for text in [*words, TRANSFERRING]:
        _say(response, text, style)
    _transfer(response, next_turn, style)
    return Answer(str(response.to_xml()), prompt)


def after_handoff(result: str, case: str | None, style: VoiceStyle) -> Answer:
    """Where a transfer ended: connected (goodbye) or not (the case reference, a call back)."""
    if result in CONNECTED:
        return Answer(_goodbye([CONNECTED_GOODBYE], style), Prompt())
    words = [NOBODY_FREE]
    if case:
        words.append(f"Your case reference is {for_the_ear(case)}.")
    return Answer(_goodbye([*words, CALL_BACK], style), Prompt(case=case))


def reprompt(prompt: Prompt, next_turn: int, style: VoiceStyle) -> Answer:
    """Silence: the question again, at most twice (the second time with the person key)."""
    silences = prompt.silences + 1
    if silences > SILENCES_BEFORE_GOODBYE:
        return Answer(_goodbye([SILENT_GOODBYE], style), Prompt())
    question = prompt.question or NOTHING_TO_SAY
    words = [FIRST_SILENCE, question] if silences == 1 else [SECOND_SILENCE, question, PERSON_KEY]
    again = prompt.model_copy(update={"silences": silences})
    return Answer(_gather(words, again, next_turn, style), again)


def ask_again(opening: str, prompt: Prompt, next_turn: int, style: VoiceStyle) -> Answer:
    """An answer the gateway could not pass on (too long, odd keys): the question again."""
    again = prompt.model_copy(update={"silences": 0})
    return Answer(
        _gather([opening, prompt.question or NOTHING_TO_SAY], again, next_turn, style), again
    )


def apology(next_turn: int, style: VoiceStyle) -> str:
    """Whatever failed: say sorry and hand the caller to a person (or say when to call again)."""
    if not style.can_transfer:
        return _goodbye([APOLOGY, NO_TRANSFER], style)
    response = VoiceResponse()
    for text in (APOLOGY, TRANSFERRING):
        _say(response, text, style)
    _transfer(response, next_turn, style)
    return str(response.to_xml())


def hang_up() -> str:
    """For a request about a call that is already over."""
    response = VoiceResponse()
    response.hangup()
    return str(response.to_xml())
