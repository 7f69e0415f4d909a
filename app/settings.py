"""The one settings object. Read once at start-up from the environment and an optional ``.env``.

Every field is documented in README's configuration table; keep the two in step.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
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
