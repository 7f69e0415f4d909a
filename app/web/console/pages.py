"""The console's case pages: the queue (live, by server-sent events) and the case view.

``build_console_pages`` is wired by app/web/main.py next to the sign-in router (auth.py) and the
dashboard; every page needs a signed-in person, every form also the session's CSRF token.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases made inside
# the builder, which string annotations would hide from it.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from app.backoffice.staff import StaffUser
from app.settings import Settings
from app.web.console.auth import ConsoleAuth
from app.web.console.case_page import add_case_routes
from app.web.console.queue_feed import (
    QueueFeed,
    iso,
    queue_events,
    sla_state,
    wait_text,
    waited_seconds,
)
from app.web.console.takeover import Takeover
from app.web.console.templating import render
from domain.usecases.deps import Deps

EVENT_STREAM_HEADERS = {
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",  # nginx: pass each event on at once instead of buffering
}


def build_console_pages(
    get_deps: Callable[[], Deps],
    auth: ConsoleAuth,
    takeover_factory: Callable[[], Takeover],
    settings: Settings,
) -> APIRouter:
    """``GET /console/`` (the queue), ``GET /console/events`` (its live feed) and the case
    pages under ``/console/cases/{id}``."""
    router = APIRouter()
    feed = QueueFeed(get_deps, settings.queue_sla_minutes)
    PageUser = Annotated[StaffUser, Depends(auth.page_user)]

    @router.get("/console/", response_class=HTMLResponse)
    def queue_page(request: Request, user: PageUser) -> HTMLResponse:
        now = get_deps().clock.now()
        rows: list[dict[str, Any]] = []
        for row in feed.rows():
            waited = waited_seconds(row, now)
            rows.append(
                {
                    **row,
                    "sla": sla_state(waited, feed.sla_minutes),
                    "wait": wait_text(waited, feed.sla_minutes),
                }
            )
        return render(
            request, "queue.html", user=user, rows=rows, now=iso(now),
            sla_minutes=feed.sla_minutes,
        )  # fmt: skip

    @router.get("/console/events")
    async def events(request: Request, _: PageUser) -> StreamingResponse:
        def now() -> str | None:
            return iso(get_deps().clock.now())

        return StreamingResponse(
            queue_events(feed, request.is_disconnected, now=now),
            media_type="text/event-stream",
            headers=EVENT_STREAM_HEADERS,
        )

    add_case_routes(router, get_deps, auth, takeover_factory)
    return router
