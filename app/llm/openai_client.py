"""The Llm port over the ``openai`` package: any OpenAI-compatible chat-completions endpoint.

OpenAI, Azure OpenAI (its ``/openai/v1/`` base URL), DeepSeek, vLLM, llama.cpp's server and
Ollama all speak this API; only the base URL, key and model name change (see README). No
retries here: the use case owns the latency budget and its one retry. Vendor errors become the
domain's: timeouts ExternalTimeout, refusals and unusable replies ExternalRefused, the rest
ExternalSystemError.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import openai
from openai import OpenAI

from domain.errors import ExternalRefused, ExternalSystemError, ExternalTimeout
from domain.llm import LlmReply

JsonMode = Literal["json_schema", "json_object", "none"]


class OpenAiLlm:
    configured = True

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        timeout_s: float,
        json_mode: JsonMode = "json_schema",
        max_tokens: int = 600,
    ) -> None:
        # Local servers ignore the key, but the client insists on one.
        self._client = OpenAI(
            base_url=base_url, api_key=api_key or "unused", timeout=timeout_s, max_retries=0
        )
        self._model = model
        self._json_mode = json_mode
        self._max_tokens = max_tokens

    def _response_format(self, json_schema: dict[str, Any] | None) -> Any:
        if json_schema is None or self._json_mode == "none":
            return openai.NOT_GIVEN
        if self._json_mode == "json_object":
            return {"type": "json_object"}
        return {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": json_schema, "strict": False},
        }

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        timeout_s: float,
        json_schema: dict[str, Any] | None = None,
    ) -> LlmReply:
        try:
            response = self._client.chat.completions.create(
                model=self._model,
                messages=messages,  # type: ignore[arg-type]
                temperature=0,
                max_tokens=self._max_tokens,
                response_format=self._response_format(json_schema),
                timeout=timeout_s,
            )
        except openai.APITimeoutError as error:
            raise ExternalTimeout(f"LLM did not answer within {timeout_s:.2f} s") from error
        except openai.APIConnectionError as error:
            raise ExternalSystemError("LLM endpoint unreachable") from error
        except openai.InternalServerError as error:
            raise ExternalSystemError(f"LLM endpoint failed ({error.status_code})") from error
        except openai.APIStatusError as error:
            raise ExternalRefused(f"LLM endpoint refused ({error.status_code})") from error
        except (openai.APIResponseValidationError, ValueError) as error:
            raise ExternalRefused("LLM endpoint sent an unreadable response") from error
        except openai.OpenAIError as error:
            raise ExternalSystemError(f"LLM client error: {type(error).__name__}") from error
        return self._reply(response, json_schema)

    def _reply(self, response: Any, json_schema: dict[str, Any] | None) -> LlmReply:
        try:
            choice = response.choices[0]
            text = choice.message.content or ""
        except (AttributeError, IndexError, TypeError) as error:
            raise ExternalRefused("LLM reply has no message") from error
        if getattr(choice, "finish_reason", None) == "content_filter" or not text.strip():
            raise ExternalRefused("LLM gave no usable text")
        if json_schema is not None:
            try:
                json.loads(_strip_fences(text))
            except ValueError as error:
                raise ExternalRefused("LLM reply is not the JSON asked for") from error
            text = _strip_fences(text)
        usage = getattr(response, "usage", None)
        return LlmReply(
            text=text,
            model=str(getattr(response, "model", None) or self._model),
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        )


def _strip_fences(text: str) -> str:
    """Small models often wrap JSON in ```json fences despite being told not to."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        stripped = stripped.rsplit("```", 1)[0]
    return stripped.strip()
