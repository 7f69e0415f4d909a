"""The outgoing case webhook: posts the outbox's ``case.created`` / ``case.decided`` events to
CASE_WEBHOOK_URL, signed with CASE_WEBHOOK_SECRET, from a daemon thread of the web app.

Every request carries ``X-Kestrel-Timestamp`` (unix seconds) and ``X-Kestrel-Signature:
sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``, so a receiver can tell our posts from
forgeries and refuse replays of old ones; ``X-Kestrel-Delivery`` (the event id) is the same on
every retry of one event, so receivers deduplicate on it. A 2xx answer delivers; anything else is
retried with exponential backoff, then the event is marked failed. The claim and the results are
app/backoffice/case_events.py's (safe with several web app processes). The case is rendered when
it is posted, so a late ``case.created`` already shows a decision taken since.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.backoffice.case_events import CaseEventStore, ClaimedEvent

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger(__name__)

RenderCase = Callable[[str], dict[str, Any] | None]  # case id -> the case API's JSON, or None
SIGNATURE_PREFIX = "sha256="
TIMESTAMP = re.compile(r"[0-9]{1,12}")
MAX_EVENTS_PER_PASS = 200  # so stop() is not kept waiting behind a long backlog


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Kestrel-Signature`` value of ``body`` sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, header: str, now: float, tolerance_s: float = 300
) -> bool:
    """What a receiver checks: the signature is ours and the timestamp within ``tolerance_s`` of
    ``now`` (either way: an old post replayed is refused, and so is one from the future)."""
    if not secret or not TIMESTAMP.fullmatch(timestamp):
        return False
    if abs(now - int(timestamp)) > tolerance_s:
        return False
    # Constant time, on bytes (compare_digest refuses non-ASCII str, which a forger may send).
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), header.strip().encode())


def iso_z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def payload(event: ClaimedEvent, case: dict[str, Any]) -> bytes:
    """The body, serialised once: these exact bytes are signed and sent."""
    document = {"event": event.kind, "id": event.id, "at": iso_z(event.at), "case": case}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class WebhookSender:
    """The outbox's one consumer in this process: ``start()``, ``wake()``, ``stop()``."""

    def __init__(
        self,
        get_engine: Callable[[], Engine],
        render_case: RenderCase,
        *,
        url: str,
        secret: str,
        timeout_s: float = 5.0,
        interval_s: float = 1.0,
        backoff_s: float = 2.0,
        max_backoff_s: float = 300.0,
        max_attempts: int = 6,
        clock: Callable[[], datetime] = _utc_now,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._get_engine = get_engine
        self._render_case = render_case
        self._url, self._secret = url.strip(), secret
        self._timeout_s, self._interval_s = timeout_s, interval_s
        self._backoff_s, self._max_backoff_s = backoff_s, max_backoff_s
        self._max_attempts = max_attempts
        self._clock = clock
        self._transport = transport
        # Longer than one delivery can take (connect, write, read the status line), so a live
        # sender never loses its claim to another process half-way through a post.
        self._lease = timedelta(seconds=4 * timeout_s + 30)
        self._store: CaseEventStore | None = None
        self._client: httpx.Client | None = None
        self._said_no_secret = False
        self._soonest_retry_s = interval_s  # when the loop next looks, if nobody wakes it
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        get_engine: Callable[[], Engine],
        render_case: RenderCase,
        **options: Any,
    ) -> WebhookSender:
        return cls(
            get_engine,
            render_case,
            url=settings.case_webhook_url,
            secret=settings.case_webhook_secret,
            timeout_s=settings.case_webhook_timeout_s,
            **options,
        )

    def backoff(self, attempt: int) -> timedelta:
        """Wait after failed attempt ``attempt`` (1-based): 2, 4, 8, 16, 32 s by default."""
        return timedelta(seconds=min(self._max_backoff_s, self._backoff_s * 2 ** (attempt - 1)))

    def run_once(self) -> int:
        """One pass over the due events; how many were delivered. Never raises."""
        try:
            return self._pass()
        except SQLAlchemyError as error:
            log.warning("webhook pass failed (%s); retrying later", type(error).__name__)
        except Exception:  # a bug must not stop the thread: events would wait for a restart
            log.exception("webhook pass failed unexpectedly; retrying later")
        return 0

    def wake(self) -> None:
        """Something was just published: deliver now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="case-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout_s + 10)
            self._thread = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            # Cleared before the pass, so a wake() during it runs another pass straight after.
            self._wake.clear()
            self._soonest_retry_s = self._interval_s
            self.run_once()
            # A retry this pass scheduled sooner than the next poll is not kept waiting for it.
            self._wake.wait(max(0.0, self._soonest_retry_s))

    def _outbox(self) -> CaseEventStore:
        if self._store is None:
            self._store = CaseEventStore(self._get_engine())
        return self._store

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=self._timeout_s, transport=self._transport, follow_redirects=False
            )
        return self._client

    def _pass(self) -> int:
        store = self._outbox()
        if not self._url:
            skipped = store.skip_pending()
            if skipped:
                log.info("no CASE_WEBHOOK_URL: %d case event(s) marked skipped", skipped)
            return 0
        if not self._secret:
            if not self._said_no_secret:
                log.error(
                    "CASE_WEBHOOK_URL is set but CASE_WEBHOOK_SECRET is empty: case events are "
                    "not sent (they stay pending until a secret is configured)"
                )
                self._said_no_secret = True
            return 0
        tried: set[str] = set()
        delivered = 0
        while not self._stop.is_set() and len(tried) < MAX_EVENTS_PER_PASS:
            event = store.claim_next(self._clock(), self._lease, self._max_attempts, tried)
            if event is None:
                break
            tried.add(event.id)
            delivered += self._deliver(store, event)
        return delivered

    def _deliver(self, store: CaseEventStore, event: ClaimedEvent) -> bool:
        try:
            case = self._render_case(event.case_id)
        except Exception as error:  # the database or a bug: a failed attempt like any other
            self._failed(store, event, f"case not rendered ({type(error).__name__}: {error})")
            return False
        if case is None:
            log.warning("webhook %s %s: case %s is gone; not sent", event.kind, event.id,
                        event.case_id)  # fmt: skip
            store.mark_failed(event, "the case no longer exists")
            return False
        problem = self._post(event, payload(event, case))
        if problem is None:
            if store.mark_delivered(event, self._clock()):
                log.info("webhook %s %s (case %s) delivered, attempt %d", event.kind, event.id,
                         event.case_id, event.attempt)  # fmt: skip
            return True
        self._failed(store, event, problem)
        return False

    def _post(self, event: ClaimedEvent, body: bytes) -> str | None:
        """None when the receiver took it (2xx), else what went wrong, for the log and the row."""
        timestamp = str(int(self._clock().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Kestrel-Event": event.kind,
            "X-Kestrel-Delivery": event.id,
            "X-Kestrel-Timestamp": timestamp,
            "X-Kestrel-Signature": sign(self._secret, timestamp, body),
        }
        try:
            # Streamed and never read: only the status matters, and a receiver cannot make us
            # download a large answer.
            with self._http().stream("POST", self._url, content=body, headers=headers) as answer:
                status = answer.status_code
        except httpx.TimeoutException as error:
            return f"timed out after {self._timeout_s:g} s ({type(error).__name__})"
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            return f"{type(error).__name__}: {error}"
        return None if 200 <= status < 300 else f"HTTP {status}"

    def _failed(self, store: CaseEventStore, event: ClaimedEvent, error: str) -> None:
        if event.attempt >= self._max_attempts:
            if store.mark_failed(event, error):
                log.error("webhook %s %s (case %s) failed for good after %d attempts: %s",
                          event.kind, event.id, event.case_id, event.attempt, error)  # fmt: skip
            return
        delay = self.backoff(event.attempt)
        self._soonest_retry_s = min(self._soonest_retry_s, delay.total_seconds())
        if store.retry_later(event, error, self._clock() + delay):
            log.warning("webhook %s %s (case %s) attempt %d/%d failed: %s; retry in %g s",
                        event.kind, event.id, event.case_id, event.attempt, self._max_attempts,
                        error, delay.total_seconds())  # fmt: skip
