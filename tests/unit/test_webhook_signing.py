"""The case webhook's signature: what we send and what a receiver checks (app/web/webhooks.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine

from app.backoffice.case_events import ClaimedEvent
from app.web.webhooks import WebhookSender, payload, sign, verify

SECRET = "whsec-test"
BODY = b'{"case":{"id":"case_1"},"event":"case.created"}'
NOW = 1_795_000_000


def test_the_signature_is_the_hex_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == f"sha256={expected}"
    assert sign(SECRET, str(NOW), BODY) == sign(SECRET, NOW, BODY)


def test_a_fresh_signed_body_verifies() -> None:
    assert verify(SECRET, str(NOW), BODY, sign(SECRET, NOW, BODY), now=NOW + 10)


def test_a_wrong_signature_fails_verification() -> None:
    assert not verify(SECRET, str(NOW), BODY, sign("another-secret", NOW, BODY), now=NOW)
    assert not verify(SECRET, str(NOW), BODY, "sha256=" + "0" * 64, now=NOW)
    assert not verify(SECRET, str(NOW), BODY, "", now=NOW)
    assert not verify(SECRET, str(NOW), BODY, "sha256=é", now=NOW)  # non-ASCII: no crash


def test_a_changed_body_or_timestamp_fails_verification() -> None:
    header = sign(SECRET, NOW, BODY)
    assert not verify(SECRET, str(NOW), BODY + b" ", header, now=NOW)
    assert not verify(SECRET, str(NOW + 1), BODY, header, now=NOW)


def test_an_old_timestamp_fails_verification_even_when_correctly_signed() -> None:
    old = NOW - 301
    assert not verify(SECRET, str(old), BODY, sign(SECRET, old, BODY), now=NOW)
    assert verify(SECRET, str(old), BODY, sign(SECRET, old, BODY), now=NOW, tolerance_s=600)


def test_a_timestamp_from_the_future_fails_verification() -> None:
    later = NOW + 301
    assert not verify(SECRET, str(later), BODY, sign(SECRET, later, BODY), now=NOW)


def test_a_timestamp_that_is_not_plain_digits_fails_verification() -> None:
    for stamp in ("", "-5", " 1795000000", "1795000000.5", "١٧٩٥"):
        assert not verify(SECRET, stamp, BODY, sign(SECRET, stamp, BODY), now=NOW)


def test_an_empty_secret_never_verifies() -> None:
    assert not verify("", str(NOW), BODY, sign("", NOW, BODY), now=NOW)


def test_the_payload_is_compact_sorted_json_with_the_event_and_the_case() -> None:
    at = datetime(2026, 11, 20, 15, 30, 5, 123456, tzinfo=timezone.utc)
    event = ClaimedEvent(
        id="evt_1", kind="case.created", case_id="case_1", at=at, attempt=1, lease_until=at
    )
    body = payload(event, {"id": "case_1", "reference": "KM-1001"})
    assert body == (
        b'{"at":"2026-11-20T15:30:05Z","case":{"id":"case_1","reference":"KM-1001"},'
        b'"event":"case.created","id":"evt_1"}'
    )
    assert json.loads(body)["case"]["reference"] == "KM-1001"


def no_engine() -> Engine:
    raise AssertionError("backoff needs no database")


def test_the_backoff_doubles_from_two_seconds_for_five_retries_and_is_capped() -> None:
    default = WebhookSender(no_engine, lambda _id: None, url="", secret="")
    assert [default.backoff(n).total_seconds() for n in range(1, 6)] == [2, 4, 8, 16, 32]
    capped = WebhookSender(no_engine, lambda _id: None, url="", secret="", max_backoff_s=10)
    assert [capped.backoff(n) for n in (3, 4, 5)] == [timedelta(seconds=s) for s in (8, 10, 10)]
