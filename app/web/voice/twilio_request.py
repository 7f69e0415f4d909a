"""What the gateway accepts from Twilio: a bounded, URL-encoded form that Twilio signed for our
public URL (``X-Twilio-Signature``: HMAC-SHA1 of the exact URL and the sorted form, with the
account's auth token). Anything else is a ``VoiceRequestRefused`` carrying its HTTP status."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi import Request
from twilio.request_validator import RequestValidator

from domain.errors import InvalidInput

MAX_BODY_BYTES = 32 * 1024  # Twilio's largest voice request is a few kB
CALL_SID = re.compile(r"CA[0-9a-f]{32}")
MAX_TURN = 10_000


class VoiceRequestRefused(InvalidInput):
    """A request the gateway will not act on; ``status`` is what Twilio (or a forger) gets."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class TwilioForm:
    fields: Mapping[str, str]

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    @property
    def call_sid(self) -> str:
        sid = self.get("CallSid")
        if not CALL_SID.fullmatch(sid):
            raise VoiceRequestRefused(400, "CallSid is missing or malformed")
        return sid


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise VoiceRequestRefused(413, f"request body over {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise VoiceRequestRefused(413, f"request body over {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _form(body: bytes, content_type: str) -> dict[str, str]:
    if body and not content_type.startswith("application/x-www-form-urlencoded"):
        raise VoiceRequestRefused(415, "expected application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError) as error:
        raise VoiceRequestRefused(400, "the form is not valid URL-encoded UTF-8") from error
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise VoiceRequestRefused(400, "a form field is repeated")
    return fields


TURN = re.compile(r"[0-9]{1,5}")


def turn_of(request: Request) -> int:
    raw = request.query_params.get("turn", "0")
    if not TURN.fullmatch(raw) or int(raw) > MAX_TURN:
        raise VoiceRequestRefused(400, "turn must be a number from 0 to 10000")
    return int(raw)


async def signed_form(request: Request, auth_token: str, base_url: str) -> TwilioForm:
    """The form of a request Twilio signed for ``base_url`` + path + query; refused otherwise."""
    if not auth_token:
        raise VoiceRequestRefused(503, "the voice line is not configured (TWILIO_AUTH_TOKEN)")
    fields = _form(await _body(request), request.headers.get("content-type", ""))
    url = base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("x-twilio-signature", "")
    if not signature or not RequestValidator(auth_token).validate(url, fields, signature):
        raise VoiceRequestRefused(403, "invalid or missing X-Twilio-Signature")
    return TwilioForm(fields)
