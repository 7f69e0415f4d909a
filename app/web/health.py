"""/healthz: is each part of the stack answering?"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine


def _probe(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=2.0)
    except httpx.HTTPError as error:
        return {"ok": False, "error": type(error).__name__}
    return {"ok": response.status_code < 500, "status": response.status_code}


def _database(engine: Engine) -> dict[str, Any]:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means "not healthy", reported not raised
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def health_report(rasa_url: str, action_server_url: str, engine: Engine) -> dict[str, Any]:
    parts = {
        "rasa": _probe(f"{rasa_url}/version"),
        "action_server": _probe(f"{action_server_url}/health"),
        "database": _database(engine),
    }
    return {"ok": all(part["ok"] for part in parts.values()), **parts}
