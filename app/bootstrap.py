"""The composition root: the one place that builds adapters from settings. Lazily, once."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from app.backoffice.sql import SqlBackOfficeFactory
from app.db import make_engine, read_only
from app.policy_loader import load_policy
from app.settings import Settings
from billing_adapters.faults import FaultInjectingBilling
from billing_adapters.sql import SqlBss
from domain.errors import DomainError
from domain.llm import LlmConfig, LlmPrices
from domain.ports import BillingSystem, Llm
from domain.usecases.deps import Deps
from domain.usecases.llm_wording import ExplanationCache, LlmServices, prepare_bill_explanation

if TYPE_CHECKING:
    from app.backoffice.staff import StaffStore
    from app.web.console.takeover import Takeover
    from app.web.voice.gateway import VoiceGateway
    from billing_adapters.tmf.adapter import TmfBss

log = logging.getLogger(__name__)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


_lock = threading.Lock()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


@lru_cache(maxsize=4)
def get_engine(url: str, busy_timeout_s: float = 30.0) -> Engine:
    return make_engine(url, busy_timeout_s=busy_timeout_s)


def crash_hooks(names: str) -> Callable[[str], None]:
    """The apply path's checkpoints; ``crash_after_record`` exits the process there (tests)."""
    armed = {name.strip() for name in names.split(",") if name.strip()}

    def checkpoint(point: str) -> None:
        if f"crash_{point}" in armed:
            log.critical("test hook: crashing at %s", point)
            logging.shutdown()
            os._exit(86)

    return checkpoint


def build_operator_systems(settings: Settings) -> SqlBss | TmfBss:
    """The operator's BSS: the embedded SQL reference one, or a TM Forum one over HTTP."""
    if settings.bss == "sql":
        return SqlBss(get_engine(settings.database_url, settings.db_busy_timeout_s))
    from billing_adapters.tmf.adapter import TmfBss, TmfConfig

    return TmfBss(
        TmfConfig(
            base_url=settings.tmf_origin,
            bearer_token=settings.tmf_bearer_token,
            currency=settings.operator_currency,
            timeout_s=settings.tmf_timeout_s,
            connect_timeout_s=settings.tmf_connect_timeout_s,
            retries=settings.tmf_retries,
            backoff_s=settings.tmf_retry_backoff_s,
            page_size=settings.tmf_page_size,
            circuit_failures=settings.tmf_circuit_failures,
            circuit_open_s=settings.tmf_circuit_open_s,
            deadline_s=settings.tmf_call_deadline_s,
        )
    )


def build_deps(settings: Settings) -> Deps:
    engine = get_engine(settings.database_url, settings.db_busy_timeout_s)
    bss = build_operator_systems(settings)
    billing: BillingSystem = bss
    if settings.bss_fault_file:
        billing = FaultInjectingBilling(bss, Path(settings.bss_fault_file))
    return Deps(
        billing=billing,
        orders=bss,
        network=bss,
        backoffice=SqlBackOfficeFactory(engine),
        backoffice_reads=SqlBackOfficeFactory(read_only(engine)),
        clock=SystemClock(),
        policy=load_policy(settings.policy_file),
        operator_timezone=settings.operator_timezone,
        minutes_per_case=settings.handoff_minutes_per_case,
        offer_ttl=timedelta(minutes=settings.offer_ttl_minutes),
        apply_grace=timedelta(seconds=settings.reconcile_grace_s),
        reconcile_lease=timedelta(seconds=max(60.0, 2 * settings.reconcile_interval_s)),
        checkpoint=crash_hooks(settings.fault_hooks),
    )


_deps: Deps | None = None
_staff_store: StaffStore | None = None


def get_deps() -> Deps:
    """The process-wide dependencies, built on first use (nothing connects at import)."""
    global _deps
    with _lock:
        if _deps is None:
            _deps = build_deps(get_settings())
        return _deps


def use_deps(deps: Deps | None) -> None:
    """Replace the process-wide dependencies (tests hand in fakes; None rebuilds from settings).
    The staff store is rebuilt too: it reads the same database and policy."""
    global _deps, _staff_store
    with _lock:
        _deps = deps
        _staff_store = None


def build_voice_gateway(settings: Settings) -> VoiceGateway:
    """The phone line's gateway: its turn store in the back-office database, the bot over HTTP."""
    from app.backoffice.voice_turns import SqlVoiceTurns
    from app.web.voice.bot_client import RasaVoiceBot
    from app.web.voice.gateway import VoiceGateway

    turns = SqlVoiceTurns(get_engine(settings.database_url, settings.db_busy_timeout_s))
    bot = RasaVoiceBot(
        settings.rasa_url,
        settings.voice_gateway_secret,
        settings.rasa_token,
        settings.voice_turn_timeout_s,
    )
    return VoiceGateway(settings, lambda: turns, lambda: bot, SystemClock().now)


def build_llm_services(settings: Settings) -> LlmServices:
    """The LLM layer from settings: the OpenAI-compatible client, or the null one when no URL."""
    from app.backoffice.llm_call_log import SqlLlmCallLog
    from app.llm.null_client import NullLlm

    llm: Llm
    if settings.llm_base_url:
        from app.llm.openai_client import OpenAiLlm  # imported on use: openai is slow to import

        llm = OpenAiLlm(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            model=settings.llm_model,
            timeout_s=settings.llm_timeout_s,
            json_mode=settings.llm_json_mode,
        )
    else:
        llm = NullLlm()
    return LlmServices(
        llm=llm,
        log=SqlLlmCallLog(get_engine(settings.database_url, settings.db_busy_timeout_s)),
        config=LlmConfig(
            model=settings.llm_model,
            timeout_s=settings.llm_timeout_s,
            budget_chat_s=settings.llm_budget_chat_s,
            budget_voice_s=settings.llm_budget_voice_s,
            prices=LlmPrices(
                prompt_per_1k_usd=settings.llm_price_prompt_per_1k_usd,
                completion_per_1k_usd=settings.llm_price_completion_per_1k_usd,
            ),
        ),
        cache=ExplanationCache(),
        monotonic=time.monotonic,
    )


_llm_services: LlmServices | None = None
_prefetcher: ThreadPoolExecutor | None = None


def get_llm_services() -> LlmServices:
    """The process-wide LLM layer, built on first use (nothing connects at import)."""
    global _llm_services
    with _lock:
        if _llm_services is None:
            _llm_services = build_llm_services(get_settings())
        return _llm_services


def use_llm_services(services: LlmServices | None) -> None:
    """Replace the process-wide LLM layer (tests hand in fakes; None rebuilds from settings)."""
    global _llm_services
    with _lock:
        _llm_services = services


def prefetch_bill_explanation(account_id: str, conversation_id: str, channel: str = "chat") -> None:
    """Start preparing the explanation in the background, e.g. right after verification.

    Returns at once; failures are logged, never raised (the answer then falls back as usual).
    """
    global _prefetcher
    with _lock:
        if _prefetcher is None:
            _prefetcher = ThreadPoolExecutor(max_workers=2, thread_name_prefix="llm-prefetch")
        executor = _prefetcher
    deps, services = get_deps(), get_llm_services()
    if not services.llm.configured:
        return

    def run() -> None:
        try:
            prepare_bill_explanation(
                deps, services, account_id, conversation_id=conversation_id, channel=channel
            )
        except DomainError as error:
            log.warning("bill explanation prefetch failed: %s", error)

    executor.submit(run)


def build_takeover(settings: Settings, on_case_event: Callable[[], None]) -> Takeover:
    """The console's hold on a conversation: the back office plus Rasa's HTTP API."""
    from app.web.console.rasa_conversations import RasaConversations
    from app.web.console.takeover import Takeover

    return Takeover(
        get_deps, RasaConversations(settings.rasa_url, settings.rasa_token), on_case_event
    )


def build_staff_store(settings: Settings, deps: Deps) -> StaffStore:
    """Console sign-in: staff, their sessions and tokens, and the sign-in rate limits."""
    from app.backoffice.staff import SignInLimits, StaffStore

    return StaffStore(
        get_engine(settings.database_url, settings.db_busy_timeout_s),
        SystemClock().now,
        deps.policy.staff,
        SignInLimits.from_settings(settings),
    )


def get_staff_store() -> StaffStore:
    global _staff_store
    deps = get_deps()  # outside the lock, which is not re-entrant
    with _lock:
        if _staff_store is None:
            _staff_store = build_staff_store(get_settings(), deps)
        return _staff_store
