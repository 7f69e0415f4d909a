"""The one settings object. Read once at start-up from the environment and an optional ``.env``.

Every field is documented in README's configuration table; keep the two in step. The BSS's
fields live in ``app.bss_settings`` (inherited).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from app.bss_settings import BssSettings
from app.paths import ROOT

__all__ = ["ROOT", "Settings", "origin_of", "widget_origins"]


class Settings(BssSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{ROOT / 'var' / 'backoffice.db'}",
        description="Back office and reference BSS (SQLAlchemy URL).",
    )
    tracker_store_db: str = Field(
        default=str(ROOT / "var" / "tracker.db"),
        validation_alias="RASA_TRACKER_DB",  # the name bot/endpoints.yml reads
        description="SQLite file of the Rasa tracker store (never the back-office database).",
    )
    policy_file: Path = Field(
        default=ROOT / "app" / "autonomy-policy.yml",
        description="Versioned autonomy policy (limits, staff approval limits).",
    )
    operator_timezone: str = Field(
        default="UTC", description="Timezone of the operator's calendar day (daily budget)."
    )
    handoff_minutes_per_case: int = Field(
        default=4, description="Expected agent minutes per open case, for the quoted wait."
    )
    offer_ttl_minutes: float = Field(
        default=15, gt=0, description="How long a stated offer can be accepted with a yes."
    )
    consent_min_confidence: float = Field(
        default=0.6, ge=0, le=1, description="Least NLU confidence of a yes that moves money."
    )
    money_request_min_confidence: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Least NLU confidence of a request before the bot offers a credit, waiver or "
        "extension; below it the bot explains instead.",
    )
    reconcile_interval_s: float = Field(
        default=30, gt=0, description="How often the web app finishes stuck postings (seconds)."
    )
    reconcile_grace_s: float = Field(
        default=30, ge=0, description="Age of an 'applying' row before the reconciler takes it."
    )
    db_busy_timeout_s: float = Field(
        default=30, gt=0, description="How long a SQLite writer waits for the lock (seconds)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Web app log level (reconciler, errors mapped to HTTP)."
    )
    fault_hooks: str = Field(
        default="",
        description="Tests only: crash_after_record (exit between record and post). Empty: off.",
    )
    bss_fault_file: str = Field(
        default="",
        description="Tests only: a JSON file of faults to inject into BSS calls. Empty: off.",
    )
    rasa_url: str = Field(default="http://127.0.0.1:5005", description="Rasa server.")
    rasa_token: str = Field(default="", description="Token for Rasa's HTTP API.")
    action_server_host: str = Field(default="127.0.0.1", description="Action server bind address.")
    action_server_port: int = Field(default=5055, description="Action server port.")
    web_host: str = Field(default="127.0.0.1", description="Web app bind address.")
    web_port: int = Field(default=8000, description="Web app port.")
    ops_api_token: str = Field(default="", description="Bearer token of the ops API.")
    demo_mode: bool = Field(
        default=True,
        description="Demo: Rasa also serves the REST channel (no auth); localhost may open the "
        "widget. Set false in production.",
    )
    public_base_url: str = Field(
        default="",
        description="The web app's public URL (origin of the widget page). "
        "Empty: http://WEB_HOST:WEB_PORT.",
    )
    widget_socket_url: str = Field(
        default="", description="Where the widget's socket.io connects (Rasa). Empty: RASA_URL."
    )
    widget_allowed_origins: str = Field(
        default="",
        description="Comma-separated origins allowed to open the widget's socket. Empty: the "
        "web app's own origin (plus localhost in demo mode).",
    )
    voice_gateway_secret: str = Field(
        default="",
        description="Shared by the voice gateway and Rasa's voice channel. Empty: generated "
        "for each run by the stack.",
    )
    twilio_auth_token: str = Field(
        default="",
        description="Auth token of the Twilio account; every /twilio/* request must carry its "
        "signature. Empty: generated and printed by `make run` in demo mode; otherwise /twilio/* "
        "answers 503.",
    )
    twilio_handoff_number: str = Field(
        default="",
        description="Where a caller who needs a person is transferred (<Dial>). Empty: "
        "+15550107100 in demo mode, none otherwise.",
    )
    twilio_handoff_queue: str = Field(
        default="",
        description="A TaskRouter/queue name: transfer with <Enqueue> instead of <Dial>.",
    )
    twilio_language: str = Field(
        default="en-US", description="Language of speech recognition and of <Say>."
    )
    twilio_voice: str = Field(
        default="Polly.Joanna-Neural",
        description="Text-to-speech voice of <Say> (a Twilio or Amazon Polly voice). Empty: "
        "Twilio's default.",
    )
    voice_turn_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=14,
        description="How long the voice gateway waits for the bot before apologising and "
        "transferring (Twilio gives up after 15 s).",
    )
    console_idle_minutes: float = Field(
        default=30,
        gt=0,
        description="A console session or staff API token unused this long expires (minutes).",
    )
    console_session_max_hours: float = Field(
        default=12,
        gt=0,
        description="A console session or staff token ends this long after "
        "sign-in, however active (hours).",
    )
    sign_in_max_failures_per_user: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins of one username within "
        "SIGN_IN_WINDOW_MINUTES before it is refused (429) until the window passes.",
    )
    sign_in_max_failures_per_address: int = Field(
        default=20,
        ge=1,
        description="Failed sign-ins from one client address within "
        "SIGN_IN_WINDOW_MINUTES before it is refused (429).",
    )
    sign_in_window_minutes: float = Field(
        default=15, gt=0, description="The window of the sign-in rate limits (minutes)."
    )
    queue_sla_minutes: float = Field(
        default=10,
        gt=0,
        description="Target wait before a case is claimed: the queue turns "
        "amber at half of it and red past it.",
    )
    case_webhook_url: str = Field(
        default="",
        description="Where case.created and case.decided are posted (an "
        "operator's own agent desktop). Empty: no webhook.",
    )
    case_webhook_secret: str = Field(
        default="",
        description="Key of the webhook's X-Kestrel-Signature (HMAC-SHA256 of "
        "timestamp + '.' + body). Required when CASE_WEBHOOK_URL is set.",
    )
    case_webhook_timeout_s: float = Field(
        default=5, gt=0, description="How long one webhook delivery may take (seconds)."
    )
    rasa_events_db: str = Field(
        default=str(ROOT / "var" / "events.db"),
        description="SQLite file of Rasa's SQL event broker (or a postgresql:// URL of its "
        "database, as in the scaled stack): the conversation data the supervisor dashboard reads.",
    )
    llm_base_url: str = Field(
        default="", description="OpenAI-compatible API base URL; empty: deterministic wording."
    )
    llm_api_key: str = Field(default="", description="API key of the LLM endpoint.")
    llm_model: str = Field(default="", description="Model name sent to the LLM endpoint.")
    llm_timeout_s: float = Field(default=2.0, gt=0, description="Cap of one LLM call (seconds).")
    llm_budget_chat_s: float = Field(
        default=2.5, gt=0, description="Latency budget of an LLM wording on chat (seconds)."
    )
    llm_budget_voice_s: float = Field(
        default=1.2, gt=0, description="Latency budget of an LLM wording on voice (seconds)."
    )
    llm_price_prompt_per_1k_usd: Decimal = Field(
        default=Decimal("0"), ge=0, description="Price of 1,000 prompt tokens (USD)."
    )
    llm_price_completion_per_1k_usd: Decimal = Field(
        default=Decimal("0"), ge=0, description="Price of 1,000 completion tokens (USD)."
    )
    llm_json_mode: Literal["json_schema", "json_object", "none"] = Field(
        default="json_schema",
        description="Structured output: json_schema, json_object (DeepSeek) or none.",
    )

    @property
    def action_server_url(self) -> str:
        return f"http://{self.action_server_host}:{self.action_server_port}"

    @property
    def web_origin(self) -> str:
        return origin_of(self.public_base_url or f"http://{self.web_host}:{self.web_port}")

    @property
    def widget_origins(self) -> list[str]:
        return widget_origins(self.widget_allowed_origins, self.web_origin, self.demo_mode)

    @property
    def voice_handoff_number(self) -> str:
        return self.twilio_handoff_number or (DEMO_HANDOFF_NUMBER if self.demo_mode else "")

    @property
    def widget_socket(self) -> str:
        return (self.widget_socket_url or self.rasa_url).rstrip("/")


DEFAULT_PORTS = {"http": 80, "https": 443}
DEMO_HANDOFF_NUMBER = "+15550107100"  # the demo operator's care line (docs/DEMO_OPERATOR.md)
HOST = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?")


def origin_of(url: str) -> str:
    """``https://help.example:443/chat/`` -> ``https://help.example`` (what a browser sends)."""
    parts = urlsplit(url.strip())
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
    if scheme not in DEFAULT_PORTS or not HOST.fullmatch(netloc):
        raise ValueError(f"not an http(s) origin: {url!r}")
    if parts.port == DEFAULT_PORTS[scheme]:
        netloc = netloc.rsplit(":", 1)[0]
    return f"{scheme}://{netloc}"


def widget_origins(explicit: str, web_origin: str, demo_mode: bool) -> list[str]:
    """Who may open the widget's socket: the setting if given, else the web app's own origin;
    demo mode adds the same port on localhost and 127.0.0.1 (both name this machine)."""
    if explicit.strip():
        return [origin_of(item) for item in explicit.split(",") if item.strip()]
    origins = [web_origin]
    if demo_mode:
        port = urlsplit(web_origin).port
        suffix = f":{port}" if port else ""
        for host in ("localhost", "127.0.0.1"):
            origins.append(f"http://{host}{suffix}")
    return list(dict.fromkeys(origins))
