"""A small in-process Llm you script and assert on, and a monotonic clock you move."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.backoffice.memory import InMemoryLlmCallLog
from domain.errors import ExternalTimeout
from domain.llm import LlmConfig, LlmReply
from domain.usecases.llm_wording import ExplanationCache, LlmServices


@dataclass
class Ticks:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now


class Stall(Exception):
    """Scripted: the model takes longer than the timeout it was given."""


@dataclass
class ScriptedLlm:
    replies: list[str | Exception]
    ticks: Ticks = field(default_factory=Ticks)
    seconds_per_call: float = 0.1
    configured: bool = True
    seen: list[list[dict[str, str]]] = field(default_factory=list)
    timeouts: list[float] = field(default_factory=list)

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        timeout_s: float,
        json_schema: dict[str, Any] | None = None,
    ) -> LlmReply:
        self.seen.append(messages)
        self.timeouts.append(timeout_s)
        reply = self.replies[min(len(self.seen) - 1, len(self.replies) - 1)]
        if isinstance(reply, Stall):
            self.ticks.now += timeout_s
            raise ExternalTimeout("scripted stall")
        self.ticks.now += self.seconds_per_call
        if isinstance(reply, Exception):
            raise reply
        return LlmReply(text=reply, model="fake", prompt_tokens=100, completion_tokens=20)

    def prompts(self) -> str:
        return "\n".join(m["content"] for call in self.seen for m in call)


def services_with(llm: ScriptedLlm, config: LlmConfig | None = None) -> LlmServices:
    return LlmServices(
        llm=llm,
        log=InMemoryLlmCallLog(),
        config=config or LlmConfig(model="fake"),
        cache=ExplanationCache(),
        monotonic=llm.ticks,
    )
