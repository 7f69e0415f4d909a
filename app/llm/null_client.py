"""The Llm used when no endpoint is configured: the use cases then word everything themselves."""

from __future__ import annotations

from typing import Any

from domain.errors import ExternalRefused
from domain.llm import LlmReply


class NullLlm:
    configured = False

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        timeout_s: float,
        json_schema: dict[str, Any] | None = None,
    ) -> LlmReply:
        raise ExternalRefused("no LLM is configured (LLM_BASE_URL is empty)")
