"""The settings of the operator's BSS: which one, how to reach it, and what a turn may spend on it.

A part of the one settings object (``app.settings.Settings`` inherits it); split out by
responsibility, read once at start-up like the rest.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings

from app.paths import ROOT


class BssSettings(BaseSettings):
    bss: Literal["sql", "tmf"] = Field(
        default="sql",
        description="The operator's systems: sql (the embedded reference BSS in DATABASE_URL) "
        "or tmf (a TM Forum Open API BSS over HTTP at TMF_BASE_URL).",
    )
    tmf_base_url: str = Field(
        default="",
        description="Origin of the TMF BSS (e.g. https://bss.example). Empty with BSS=tmf: the "
        "stack starts the TMF reference BSS on TMF_REFERENCE_PORT.",
    )
    tmf_bearer_token: str = Field(
        default="",
        description="Bearer token sent to the TMF BSS (and required by the reference BSS). Empty: "
        "no Authorization header (the stack generates one for its reference BSS).",
    )
    tmf_timeout_s: float = Field(
        default=2.0, gt=0, description="Read timeout of one TMF call attempt (seconds)."
    )
    tmf_connect_timeout_s: float = Field(
        default=1.0, gt=0, description="Connect timeout of one TMF call attempt (seconds)."
    )
    tmf_retries: int = Field(
        default=2,
        ge=0,
        le=5,
        description="Extra attempts of a TMF read, or of a posting under its Idempotency-Key.",
    )
    tmf_retry_backoff_s: float = Field(
        default=0.2, ge=0, description="First retry delay (then doubled, with jitter; seconds)."
    )
    tmf_call_deadline_s: float = Field(
        default=5.0, gt=0, description="One TMF call, its retries included, at most (seconds)."
    )
    tmf_page_size: int = Field(
        default=100, ge=1, le=1000, description="Items asked for per page of a TMF list."
    )
    tmf_circuit_failures: int = Field(
        default=5,
        ge=1,
        description="Consecutive failed TMF attempts (timeouts, 5xx, dropped connections) that "
        "open the circuit: calls then fail at once for TMF_CIRCUIT_OPEN_S.",
    )
    tmf_circuit_open_s: float = Field(
        default=30, gt=0, description="How long an open circuit refuses calls before a trial one."
    )
    operator_currency: str = Field(
        default="USD",
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 currency of the operator's accounts; TMF money in any other is an "
        "error.",
    )
    bss_budget_chat_s: float = Field(
        default=8.0,
        gt=0,
        description="All BSS calls of one chat turn, retries included, at most (seconds); past "
        "it the bot apologises and offers a person.",
    )
    bss_budget_voice_s: float = Field(
        default=6.0,
        gt=0,
        description="The same for a phone turn (the caller hears silence meanwhile; keep it below "
        "VOICE_TURN_TIMEOUT_S).",
    )
    tmf_reference_port: int = Field(
        default=8090, description="Port of the TMF reference BSS that BSS=tmf starts."
    )
    tmf_reference_database_url: str = Field(
        default=f"sqlite:///{ROOT / 'var' / 'tmf_bss.db'}",
        description="The TMF reference BSS's own database (the demo seed; make reset restores it).",
    )
    tmf_reference_validate: bool = Field(
        default=False,
        description="The TMF reference BSS checks every exchange against the TMF specs and "
        "keeps the violations (GET /admin/conformance).",
    )

    @property
    def tmf_origin(self) -> str:
        """Where the TMF BSS answers: TMF_BASE_URL, or the reference BSS the stack starts."""
        return (self.tmf_base_url or f"http://127.0.0.1:{self.tmf_reference_port}").rstrip("/")

    @property
    def runs_tmf_reference(self) -> bool:
        """BSS=tmf without an operator's own TMF_BASE_URL: the stack runs the reference BSS."""
        return self.bss == "tmf" and not self.tmf_base_url

    def bss_budget_s(self, channel: str | None) -> float:
        """The time all BSS calls of one turn on ``channel`` may take."""
        return self.bss_budget_voice_s if channel == "voice" else self.bss_budget_chat_s
