"""A phone call as Twilio makes it: the same form fields, every request signed the way Twilio
signs it (HMAC-SHA1 of the URL and the sorted form, with the account's auth token), each answer
parsed as TwiML and the next request sent where that TwiML says."""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import httpx
from twilio.request_validator import RequestValidator


@dataclass
class Twiml:
    root: ET.Element
    raw: str

    @classmethod
    def parse(cls, raw: str) -> Twiml:
        root = ET.fromstring(raw)
        assert root.tag == "Response", raw
        assert len(root) > 0, f"empty TwiML makes Twilio hang up: {raw}"
        return cls(root, raw)

    @property
    def says(self) -> list[str]:
        return [(say.text or "") for say in self.root.iter("Say")]

    @property
    def spoken(self) -> str:
        return " ".join(self.says)

    @property
    def gather(self) -> ET.Element | None:
        return self.root.find("Gather")

    @property
    def dial(self) -> ET.Element | None:
        return self.root.find("Dial")

    @property
    def hangs_up(self) -> bool:
        return self.root.find("Hangup") is not None

    def next_url(self) -> str:
        for verb in (self.gather, self.dial, self.root.find("Enqueue")):
            if verb is not None:
                return str(verb.get("action"))
        raise AssertionError(f"nowhere to go next: {self.raw}")


@dataclass
class TwilioCaller:
    """One inbound call to the number whose voice webhook is ``{web_url}/twilio/voice``."""

    web_url: str
    auth_token: str
    caller: str = "+15550100001"
    number: str = "+15550107000"
    call_sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))
    last: Twiml | None = None
    sent: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)  # the gateway's Server-Timing per answer

    def fields(self, **extra: str) -> dict[str, str]:
        return {
            "AccountSid": "AC" + "0" * 32,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": "in-progress",
            "Called": self.number,
            "Caller": self.caller,
            "Direction": "inbound",
            "From": self.caller,
            "To": self.number,
            **extra,
        }

    def sign(self, url: str, form: dict[str, str]) -> str:
        return str(RequestValidator(self.auth_token).compute_signature(url, form))

    def post(
        self, url: str, form: dict[str, str], signature: str | None = None, signed: bool = True
    ) -> httpx.Response:
        headers = {}
        if signed:
            headers["X-Twilio-Signature"] = signature or self.sign(url, form)
        self.sent.append((url, form))
        return httpx.post(url, data=form, headers=headers, timeout=30)

    def answer(self, url: str, form: dict[str, str]) -> Twiml:
        response = self.post(url, form)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        timing = re.search(r"gateway;dur=([\d.]+)", response.headers.get("server-timing", ""))
        assert timing, "the gateway reports its server time"
        self.server_ms.append(float(timing.group(1)))
        self.last = Twiml.parse(response.text)
        return self.last

    def ring(self) -> Twiml:
        return self.answer(f"{self.web_url}/twilio/voice", self.fields(CallStatus="ringing"))

    def _gathered(self, **result: str) -> Twiml:
        assert self.last is not None and self.last.gather is not None, "nothing is listening"
        return self.answer(self.last.next_url(), self.fields(**result))

    def press(self, keys: str) -> Twiml:
        """Keys on the keypad; a final ``#`` ends them and, as Twilio does, is not in Digits."""
        finished = "#" if keys.endswith("#") else ""
        return self._gathered(Digits=keys.removesuffix("#"), FinishedOnKey=finished)

    def say(self, words: str) -> Twiml:
        return self._gathered(SpeechResult=words, Confidence="0.91")

    def stay_silent(self) -> Twiml:
        return self._gathered()

    def transfer_ends(self, status: str) -> Twiml:
        assert self.last is not None and self.last.dial is not None, "no transfer under way"
        return self.answer(self.last.next_url(), self.fields(DialCallStatus=status))

    def hang_up(self, status: str = "completed") -> httpx.Response:
        return self.post(
            f"{self.web_url}/twilio/status",
            self.fields(CallStatus=status, CallDuration="42"),
        )
