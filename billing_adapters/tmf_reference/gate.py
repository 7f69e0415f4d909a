"""The gate every request passes: the bearer token, request counts, injected faults and, in
validate mode, the conformance check of each /tmf-api exchange.

A plain ASGI middleware, because two faults must act below the HTTP answer: a drop sends the
start of an answer (with a Content-Length it never honours) and returns, so uvicorn closes the
connection mid-answer and the client sees RemoteProtocolError; a held answer is computed (the
posting is applied) and sent ``hang_s`` later. Waits are ``asyncio.sleep``: other requests go on.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billing_adapters.tmf import vocabulary as v
from billing_adapters.tmf_reference.errors import error_response
from billing_adapters.tmf_reference.faults import NOTHING, CallKind, Decision
from billing_adapters.tmf_reference.runtime import ReferenceRuntime

if TYPE_CHECKING:
    from billing_adapters.tmf.conformance import Exchange

log = logging.getLogger(__name__)

POSTINGS = frozenset({v.ADJUST_BALANCE, v.PAYMENT_EXTENSION})
DROPPED_LENGTH = 4096  # what the dropped answer promises; it sends a few bytes of it


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(f"{prefix}/")


def _kind(scope: Scope) -> CallKind:
    posting = scope["method"] == "POST" and scope["path"].rstrip("/") in POSTINGS
    return "posting" if posting else "read"


async def _drop(receive: Receive, send: Send) -> None:
    # The request is read to its end first: closing with some of it unread makes the kernel
    # reset the connection (ECONNRESET, a ReadError) instead of ending it mid-answer.
    await _read_body(receive)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(DROPPED_LENGTH).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b'{"id": "', "more_body": True})
    # Returning now leaves the answer incomplete: uvicorn closes the transport.


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the already-read body to the app, then waits as the real one."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


class _Held:
    """A send that keeps the answer, to check it and to send it later."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    def status(self) -> int:
        start = next((m for m in self.messages if m["type"] == "http.response.start"), None)
        return int(start["status"]) if start else 0

    def headers(self) -> Headers:
        start = next((m for m in self.messages if m["type"] == "http.response.start"), None)
        return Headers(raw=list(start.get("headers", []))) if start else Headers()

    def body(self) -> bytes:
        return b"".join(
            m.get("body", b"") for m in self.messages if m["type"] == "http.response.body"
        )


class Gate:
    def __init__(self, app: ASGIApp, runtime: ReferenceRuntime, routes: list[BaseRoute]) -> None:
        self.app = app
        self.runtime = runtime
        self.routes = routes  # the /tmf-api routes, to name a request by its path template
        token = runtime.config.bearer_token
        self._expected = f"Bearer {token}".encode() if token else None

    def _template(self, scope: Scope) -> str:
        """The path template of the route the request will reach (its stats key)."""
        for route in self.routes:
            match, _child = route.matches(scope)
            if match is Match.FULL:
                return str(getattr(route, "path", scope["path"]))
        return str(scope["path"])

    def _authorised(self, scope: Scope) -> bool:
        if self._expected is None:
            return True
        given = Headers(scope=scope).get("authorization", "").encode()
        return hmac.compare_digest(given, self._expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        tmf = _under(path, "/tmf-api")
        app: Callable[[Scope, Receive, Send], Awaitable[None]] = self.app
        decision: Decision = NOTHING
        if tmf:
            self.runtime.stats.count(f"{scope['method']} {self._template(scope)}")
        if (tmf or _under(path, "/admin")) and not self._authorised(scope):
            denied = error_response(401, "a valid bearer token is required")
            denied.headers["WWW-Authenticate"] = "Bearer"
            app = denied
        elif tmf:
            decision = self.runtime.faults.decide(_kind(scope))
        if not tmf:
            await app(scope, receive, send)
            return
        await self._serve(app, decision, scope, receive, send)

    async def _serve(
        self,
        app: Callable[[Scope, Receive, Send], Awaitable[None]],
        decision: Decision,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        if decision.latency_s:
            await asyncio.sleep(decision.latency_s)
        if decision.drop:
            log.info("fault: dropping %s %s", scope["method"], scope["path"])
            await _drop(receive, send)
            return
        if decision.status is not None:
            log.info("fault: %s to %s %s", decision.status, scope["method"], scope["path"])
            await error_response(decision.status, "injected fault")(scope, receive, send)
            return
        checking = self.runtime.conformance
        if checking is None and decision.hang_s is None:
            await app(scope, receive, send)
            return
        request_body = b""
        if checking is not None:
            request_body = await _read_body(receive)
            receive = _replay(request_body, receive)
        held = _Held()
        await app(scope, receive, held)
        if checking is not None:
            await run_in_threadpool(checking.check, self._exchange(scope, request_body, held))
        if decision.hang_s is not None:
            log.info("fault: holding the answer to %s %s", scope["method"], scope["path"])
            await asyncio.sleep(decision.hang_s)
        for message in held.messages:
            await send(message)

    @staticmethod
    def _exchange(scope: Scope, request_body: bytes, held: _Held) -> Exchange:
        from billing_adapters.tmf.conformance import Exchange

        query = scope.get("query_string", b"").decode("latin-1")
        return Exchange(
            method=scope["method"],
            url=f"{scope['path']}?{query}" if query else scope["path"],
            request_headers=Headers(scope=scope),
            request_body=request_body,
            status=held.status(),
            response_headers=held.headers(),
            response_body=held.body(),
        )
