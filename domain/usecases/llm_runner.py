"""One guarded use of the model: up to two attempts inside the channel's latency budget.

Each attempt's reply is checked; a failed check or a failed call gets one retry if time is left.
Every attempt is recorded (masked prompt, model, tokens, latency, verdict), the last one with
whether the deterministic wording was used in the end and why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from domain.errors import DomainError, ExternalTimeout
from domain.grounding import Verdict
from domain.ids import new_id
from domain.llm import LlmCall, LlmConfig
from domain.ports import Clock, Llm, LlmCallLog

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_ATTEMPTS = 2


@dataclass
class Outcome(Generic[T]):
    value: T | None
    fallback_reason: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    calls: list[LlmCall] = field(default_factory=list)


@dataclass(frozen=True)
class Request:
    conversation_id: str
    channel: str
    purpose: str
    messages: list[dict[str, str]]
    json_schema: dict[str, Any] | None = None


def _prompt_text(messages: list[dict[str, str]]) -> str:
    return "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in messages)


def run_guarded(
    llm: Llm,
    calls_log: LlmCallLog,
    config: LlmConfig,
    clock: Clock,
    monotonic: Callable[[], float],
    request: Request,
    check: Callable[[str], tuple[Verdict, T | None]],
) -> Outcome[T]:
    start = monotonic()
    deadline = start + config.budget_s(request.channel)
    outcome: Outcome[T] = Outcome(value=None, fallback_reason=None)
    drafts: list[dict[str, Any]] = []
    reason = "no attempt made"
    for _ in range(MAX_ATTEMPTS):
        left = deadline - monotonic()
        if left < config.min_attempt_s:
            reason = f"latency budget spent ({config.budget_s(request.channel)} s) after: {reason}"
            break
        began = monotonic()
        draft: dict[str, Any] = {"response": "", "tokens": (0, 0), "model": config.model}
        try:
            reply = llm.complete(
                request.messages,
                timeout_s=min(config.timeout_s, left),
                json_schema=request.json_schema,
            )
        except DomainError as error:
            kind = "timeout" if isinstance(error, ExternalTimeout) else type(error).__name__
            reason = f"{kind}: {error}"[:300]
            draft.update(verdict="error", reasons=(reason,))
        else:
            draft.update(
                response=reply.text,
                tokens=(reply.prompt_tokens, reply.completion_tokens),
                model=reply.model or config.model,
            )
            verdict, value = check(reply.text)
            draft.update(verdict="pass" if verdict.ok else "fail", reasons=verdict.reasons)
            outcome.prompt_tokens += reply.prompt_tokens
            outcome.completion_tokens += reply.completion_tokens
            if verdict.ok and value is not None:
                outcome.value = value
            else:
                reason = "verifier: " + "; ".join(verdict.reasons)[:300]
        draft["latency_ms"] = int((monotonic() - began) * 1000)
        drafts.append(draft)
        if outcome.value is not None:
            break
    outcome.latency_ms = int((monotonic() - start) * 1000)
    if outcome.value is None:
        outcome.fallback_reason = reason
    prompt = _prompt_text(request.messages)
    for index, draft in enumerate(drafts):
        last = index == len(drafts) - 1
        outcome.calls.append(
            LlmCall(
                id=new_id("llm"),
                at=clock.now(),
                conversation_id=request.conversation_id,
                channel=request.channel,
                purpose=request.purpose,
                model=draft["model"],
                prompt_masked=prompt,
                response_masked=draft["response"],
                prompt_tokens=draft["tokens"][0],
                completion_tokens=draft["tokens"][1],
                latency_ms=draft["latency_ms"],
                verdict=draft["verdict"],
                reasons=tuple(draft["reasons"]),
                fallback=last and outcome.value is None,
                fallback_reason=outcome.fallback_reason if last else None,
            )
        )
    for call in outcome.calls:
        try:
            calls_log.add(call)
        except DomainError as error:  # the answer must not fail because the record did
            log.warning("could not record LLM call %s: %s", call.id, error)
    return outcome
