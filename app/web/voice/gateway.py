"""The Twilio voice line: ``/twilio/voice`` (the number's webhook and every Gather's action),
``/twilio/status`` (status callback) and ``/twilio/fallback`` (fallback URL).

Every request must carry Twilio's signature of the exact public URL and its form
(app/web/voice/twilio_request.py: 403 otherwise, before the turn is read or anything is stored
or sent). One Rasa conversation per ``CallSid``. Each turn's answer is kept
by ``(CallSid, turn)``: a request Twilio repeats gets the same TwiML and the bot never hears the
turn twice. Whatever fails inside, the caller hears an apology and is put through to a person:
never a 500, never an empty answer. Nothing the caller says or keys in is logged (one turn is
the PIN).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from app.settings import Settings
from app.web.voice.bot_client import VoiceBot
from app.web.voice.prompts import Heard, Prompt, caller_turn
from app.web.voice.turns import ClaimState, VoiceTurns
from app.web.voice.twilio_request import (
    TwilioForm,
    VoiceRequestRefused,
    signed_form,
    turn_of,
)
from app.web.voice.twiml import (
    TOO_LONG,
    UNUSABLE_KEYS,
    Answer,
    VoiceStyle,
    after_handoff,
    apology,
    ask_again,
    bot_answer,
    hang_up,
    reprompt,
)
from domain.errors import DomainError

log = logging.getLogger(__name__)

CALL_START = "/greet"  # what the bot hears when the phone rings: its greeting, on the voice line
ENDED_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
WAIT_POLL_S = 0.2
XML = "application/xml"


def _plain(status: int, text: str) -> Response:
    return Response(content=text + "\n", status_code=status, media_type="text/plain")


def _xml(twiml: str, started: float) -> Response:
    elapsed_ms = (time.perf_counter() - started) * 1000
    return Response(
        content=twiml, media_type=XML, headers={"Server-Timing": f"gateway;dur={elapsed_ms:.1f}"}
    )


class VoiceGateway:
    def __init__(
        self,
        settings: Settings,
        turns: Callable[[], VoiceTurns],
        bot: Callable[[], VoiceBot],
        clock: Callable[[], datetime],
    ) -> None:
        self.auth_token = settings.twilio_auth_token
        self.base_url = (
            settings.public_base_url or f"http://{settings.web_host}:{settings.web_port}"
        ).rstrip("/")
        self.style = VoiceStyle(
            base_url=self.base_url,
            language=settings.twilio_language,
            voice=settings.twilio_voice,
            handoff_number=settings.voice_handoff_number,
            handoff_queue=settings.twilio_handoff_queue,
        )
        self.wait_s = settings.voice_turn_timeout_s + 1
        self._turns, self._bot, self._clock = turns, bot, clock

    async def signed_form(self, request: Request) -> TwilioForm:
        return await signed_form(request, self.auth_token, self.base_url)

    # --- /twilio/voice -----------------------------------------------------------------------

    def voice(self, form: TwilioForm, turn: int, step: str) -> str:
        call_sid = form.call_sid
        try:
            if step == "handoff":  # no side effect: the same answer however often it is asked
                return self._after_handoff(form, call_sid, turn)
            return self._conversation_turn(form, call_sid, turn)
        except Exception as error:  # the store, the bot, a bug: the caller still hears us
            self._log_failure(call_sid, turn, error)
            return apology(turn + 1, self.style)

    def _conversation_turn(self, form: TwilioForm, call_sid: str, turn: int) -> str:
        turns = self._turns()
        if turns.call_ended(call_sid):
            return hang_up()
        claim = turns.claim(call_sid, turn, self._clock())
        if claim.state is ClaimState.DONE and claim.twiml is not None:
            log.info("voice %s turn %d: repeated request, same answer", call_sid, turn)
            return claim.twiml
        if claim.state is ClaimState.PENDING:
            return self._answer_of_pending(turns, call_sid, turn)
        try:
            answer = self._answer(form, call_sid, turn, claim.state is ClaimState.TAKEN_OVER, turns)
        except Exception as error:
            self._log_failure(call_sid, turn, error)
            twiml = apology(turn + 1, self.style)
            self._keep(turns, call_sid, turn, twiml, Prompt())
            return twiml
        self._keep(turns, call_sid, turn, answer.twiml, answer.prompt)
        return answer.twiml

    def _log_failure(self, call_sid: str, turn: int, error: Exception) -> None:
        expected = isinstance(error, DomainError)  # a known failure: no trace needed
        log.log(logging.ERROR if expected else logging.CRITICAL,
                "voice %s turn %d failed: %s: %s", call_sid, turn, type(error).__name__, error,
                exc_info=not expected)  # fmt: skip

    def _keep(
        self, turns: VoiceTurns, call_sid: str, turn: int, twiml: str, prompt: Prompt
    ) -> None:
        """Keep a turn's answer for repeats. If the store fails the caller still gets it; a
        repeat then retakes the stale claim, and the bot's channel knows the turn by its id."""
        try:
            turns.finish(call_sid, turn, twiml, prompt.stored(), self._clock())
        except DomainError as error:
            log.error("voice %s turn %d: answer not kept: %s", call_sid, turn, error)

    def _answer_of_pending(self, turns: VoiceTurns, call_sid: str, turn: int) -> str:
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            time.sleep(WAIT_POLL_S)
            twiml = turns.answer(call_sid, turn)
            if twiml is not None:
                log.info("voice %s turn %d: repeat while answering; same answer", call_sid, turn)
                return twiml
        log.error("voice %s turn %d: still answering after %.0f s", call_sid, turn, self.wait_s)
        return apology(turn + 1, self.style)

    def _answer(
        self, form: TwilioForm, call_sid: str, turn: int, retry: bool, turns: VoiceTurns
    ) -> Answer:
        next_turn = turn + 1
        if turn == 0:
            text = CALL_START
        else:
            prompt = Prompt.restored(turns.prompt_before(call_sid, turn))
            heard = caller_turn(
                form.get("Digits"), form.get("SpeechResult"), prompt, form.get("From")
            )
            if heard.heard is Heard.SILENCE:
                log.info("voice %s turn %d: silence %d", call_sid, turn, prompt.silences + 1)
                return reprompt(prompt, next_turn, self.style)
            if heard.heard is Heard.TOO_LONG:
                return ask_again(TOO_LONG, prompt, next_turn, self.style)
            if heard.heard is Heard.UNUSABLE or heard.text is None:
                return ask_again(UNUSABLE_KEYS, prompt, next_turn, self.style)
            text = heard.text
        started = time.perf_counter()
        replies = self._bot().send(call_sid, text, f"{call_sid}-{turn}", retry)
        log.info("voice %s turn %d: %d replies from the bot in %.0f ms", call_sid, turn,
                 len(replies), (time.perf_counter() - started) * 1000)  # fmt: skip
        return bot_answer(replies, next_turn, self.style)

    def _after_handoff(self, form: TwilioForm, call_sid: str, turn: int) -> str:
        result = form.get("DialCallStatus") or form.get("QueueResult")
        prompt = Prompt.restored(self._turns().prompt_before(call_sid, turn))
        log.info("voice %s: transfer ended: %s", call_sid, result or "unknown")
        return after_handoff(result, prompt.case, self.style).twiml

    # --- /twilio/status and /twilio/fallback -----------------------------------------------

    def status(self, form: TwilioForm) -> None:
        call_sid, status = form.call_sid, form.get("CallStatus")
        if status not in ENDED_STATUSES:
            return
        try:
            turns = self._turns()
            if turns.call_ended(call_sid):
                return
            self._bot().close(call_sid)  # first: a close that failed is tried again next time
            turns.end_call(call_sid, status, self._clock())
            log.info("voice %s: call ended (%s); conversation closed", call_sid, status)
        except Exception as error:  # Twilio only needs to hear that the callback arrived
            self._log_failure(call_sid, 0, error)

    def fallback(self, form: TwilioForm, turn: int) -> str:
        log.error("voice %s: Twilio used the fallback URL (error %s at %s)",
                  form.get("CallSid") or "?", form.get("ErrorCode") or "?",
                  form.get("ErrorUrl") or "?")  # fmt: skip
        return apology(turn + 1, self.style)


def build_voice_router(gateway: VoiceGateway) -> APIRouter:
    router = APIRouter(prefix="/twilio", include_in_schema=False)

    async def signed(request: Request, work: Callable[[TwilioForm], Response]) -> Response:
        """``work`` runs (in a thread: it waits on the bot and the database) for a request
        Twilio signed; any other gets its refusal as plain text."""
        try:
            form = await gateway.signed_form(request)
            return await run_in_threadpool(work, form)
        except VoiceRequestRefused as refusal:
            log.warning("voice: %s %s refused (%d): %s", request.method, request.url.path,
                        refusal.status, refusal)  # fmt: skip
            return _plain(refusal.status, str(refusal))

    @router.post("/voice")
    async def voice(request: Request) -> Response:
        started = time.perf_counter()
        step = request.query_params.get("step", "")
        return await signed(
            request, lambda form: _xml(gateway.voice(form, turn_of(request), step), started)
        )

    @router.post("/status")
    async def status(request: Request) -> Response:
        def closed(form: TwilioForm) -> Response:
            gateway.status(form)
            return Response(status_code=204)

        return await signed(request, closed)

    @router.post("/fallback")
    async def fallback(request: Request) -> Response:
        started = time.perf_counter()
        return await signed(
            request, lambda form: _xml(gateway.fallback(form, turn_of(request)), started)
        )

    return router
