"""The one settings object. Read once at start-up from the environment and an optional ``.env``.

Every field is documented in README's configuration table; keep the two in step.
"""

from __future__ import annotations

from pathlib import Path

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
    rasa_url: str = Field(default="http://127.0.0.1:5005", description="Rasa server.")
    rasa_token: str = Field(default="", description="Token for Rasa's HTTP API.")
    action_server_host: str = Field(default="127.0.0.1", description="Action server bind address.")
    action_server_port: int = Field(default=5055, description="Action server port.")
    web_host: str = Field(default="127.0.0.1", description="Web app bind address.")
    web_port: int = Field(default=8000, description="Web app port.")
    ops_api_token: str = Field(default="", description="Bearer token of the ops API.")

    @property
    def action_server_url(self) -> str:
        return f"http://{self.action_server_host}:{self.action_server_port}"
