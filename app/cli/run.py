"""`make run`: prepare everything, then run the whole stack in the foreground until Ctrl-C."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

from app.bootstrap import get_settings
from app.cli.db import prepare_database
from app.cli.stack import ROOT, Stack, StackConfig


def ensure_tokens() -> dict[str, str]:
    """Tokens from the environment or .env; generated for this run when unset."""
    settings = get_settings()
    tokens = {
        "RASA_TOKEN": settings.rasa_token or secrets.token_urlsafe(24),
        "OPS_API_TOKEN": settings.ops_api_token or secrets.token_urlsafe(24),
    }
    if settings.runs_tmf_reference:
        tokens["TMF_BEARER_TOKEN"] = settings.tmf_bearer_token or secrets.token_urlsafe(24)
    # Outside demo mode the voice line stays shut (503) until the real Twilio token is set.
    if settings.twilio_auth_token or settings.demo_mode:
        tokens["TWILIO_AUTH_TOKEN"] = settings.twilio_auth_token or secrets.token_hex(16)
    return tokens


def banner(config: StackConfig, tokens: dict[str, str], public_url: str = "") -> str:
    rest = (
        f"{config.rasa_url}/webhooks/rest/webhook"
        if config.demo_mode
        else "off (DEMO_MODE=false): customers use the widget"
    )
    twilio_token = tokens.get("TWILIO_AUTH_TOKEN")
    voice = (
        f"{public_url or config.web_url}/twilio/voice  (TWILIO_AUTH_TOKEN {twilio_token})"
        if twilio_token
        else "off until TWILIO_AUTH_TOKEN is set (answers 503)"
    )
    bss = (
        f"TMF reference BSS at {config.tmf_reference_url} (TM Forum Open APIs over HTTP)"
        if config.tmf_reference_port is not None
        else "embedded SQL reference BSS"
    )
    return f"""
Kestrel self-care is running. Ctrl-C stops everything.
  Operator's BSS       {bss}
  Chat widget (demo)   {config.web_url}/   (open it in a browser)
  Rasa (REST channel)  {rest}
  Rasa HTTP API token  {tokens["RASA_TOKEN"]}
  Action server        {config.action_url}
  Web app              {config.web_url}/healthz
  Ops API token        {tokens["OPS_API_TOKEN"]}
  Voice webhook        {voice}

Try it:
  curl -s {config.rasa_url}/webhooks/rest/webhook -d '{{"sender":"me","message":"hi"}}'
  curl -s -H "Authorization: Bearer {tokens["OPS_API_TOKEN"]}" {config.web_url}/api/accounts/100001
"""


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the stack as cleanly as Ctrl-C


def main() -> int:
    settings = get_settings()
    prepare_database()
    print("==> Checking the Rasa model", flush=True)
    subprocess.run([sys.executable, "-m", "app.cli.train_model"], check=True, cwd=ROOT)
    tokens = ensure_tokens()
    config = StackConfig(
        rasa_port=int(settings.rasa_url.rsplit(":", 1)[-1]),
        action_port=settings.action_server_port,
        web_port=settings.web_port,
        demo_mode=settings.demo_mode,
        widget_origins=tuple(settings.widget_origins),
        tmf_reference_port=settings.tmf_reference_port if settings.runs_tmf_reference else None,
        env={
            **tokens,
            "BSS": settings.bss,
            "DATABASE_URL": settings.database_url,
            "RASA_TRACKER_DB": settings.tracker_store_db,
            "RASA_EVENTS_DB": settings.rasa_events_db,
        },
    )
    stack = Stack(config)
    print("==> Starting Rasa, the action server and the web app (Rasa takes ~20-40 s)", flush=True)
    started = time.monotonic()
    stack.start()
    for signum in (signal.SIGINT, signal.SIGTERM):  # SIGINT may arrive ignored from a parent
        signal.signal(signum, _interrupt)
    try:
        stack.wait_ready(progress=True)
        print(f"  ready in {time.monotonic() - started:.0f} s")
        print(banner(config, tokens, settings.public_base_url.rstrip("/")), flush=True)
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(0.5)
        dead = [name for name, p in stack.processes.items() if p.poll() is not None]
        print(f"error: {', '.join(dead)} stopped unexpectedly; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        print("Stopped.")


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
