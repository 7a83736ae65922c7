"""One chat interface for the extraction LLM, whatever serves it.

`ChatModel.complete_json` takes OpenAI-style messages and a JSON schema and returns the raw JSON text the model
produced. Parsing and validation belong to the caller (services/pipeline/extract.py), so a retry policy lives in
one place and a fake model in tests only has to return a string.

Two implementations:
- `LlamaCppChat`: a GGUF file in-process through llama-cpp-python (the `cpu` profile). The chat template comes
  from the GGUF metadata; the schema is compiled to a grammar, so the output is always schema-shaped JSON unless
  it is cut off by max_tokens.
- `OpenAIHttpChat`: an OpenAI-compatible server (vLLM in the `gpu` profile), `response_format=json_schema`.

Heavy imports (llama_cpp) happen inside `LlamaCppChat.load`; this module imports neither FastAPI nor Ray.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from models.offline import enforce_offline
from services.errors import ExtractionError, ModelError, ModelMissing

if TYPE_CHECKING:  # pragma: no cover - typing only
    from services.settings import LlmSettings, Settings

log = logging.getLogger(__name__)

Message = dict[str, str]


@dataclass(frozen=True)
class ChatUsage:
    """What one call cost: reported by the implementations as `last_usage` (not part of the protocol)."""

    prompt_tokens: int
    completion_tokens: int
    seconds: float
    """Wall time of the whole call."""
    finish_reason: str | None = None
    prompt_seconds: float | None = None
    """Time spent reading the prompt (llama.cpp only; tokens of a prefix cached from the previous call are free)."""
    generation_seconds: float | None = None

    @property
    def tokens_per_second(self) -> float:
        """Generation speed: over the decode time where known, else over the whole call."""
        seconds = self.generation_seconds or self.seconds
        return self.completion_tokens / seconds if seconds > 0 else 0.0


@runtime_checkable
class ChatModel(Protocol):
    def complete_json(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        *,
        max_tokens: int,
        temperature: float,
        seed: int,
    ) -> str:
        """Return the model's reply (expected to be JSON matching `schema`) as text."""
        ...


class LlamaCppChat:
    """In-process llama.cpp. Not thread-safe: one call at a time per instance (llama.cpp keeps one KV cache)."""

    def __init__(self, llama: Any, *, name: str = "llama_cpp") -> None:
        self._llama = llama
        self.name = name
        self.last_usage: ChatUsage | None = None

    def close(self) -> None:
        """Free the model now: llama-cpp-python's own __del__ fails noisily at interpreter exit."""
        close = getattr(self._llama, "close", None)
        if close is not None:
            close()

    @classmethod
    def load(cls, model_path: Path, settings: LlmSettings) -> LlamaCppChat:
        enforce_offline()
        path = Path(model_path)
        if not path.is_file():
            raise ModelMissing(f"LLM weights not found: {path}")
        try:
            from llama_cpp import Llama  # heavy: loads the native library
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ModelError(
                "llama-cpp-python is not installed", hint="pip install the prebuilt llama_cpp_python wheel"
            ) from exc
        # chat_format=None: llama-cpp-python builds the chat template from the GGUF's tokenizer.chat_template.
        llama = Llama(
            model_path=str(path),
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            n_threads_batch=settings.n_threads,
            seed=settings.seed,
            chat_format=None,
            verbose=False,
        )
        return cls(llama, name=path.parent.name or path.name)

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def complete_json(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        *,
        max_tokens: int,
        temperature: float,
        seed: int,
    ) -> str:
        self._reset_perf()
        started = time.perf_counter()
        response = self._llama.create_chat_completion(
            messages=messages,
            response_format={"type": "json_object", "schema": schema},
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
        )
        elapsed = time.perf_counter() - started
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        prompt_s, generation_s = self._read_perf()
        self.last_usage = ChatUsage(
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            seconds=elapsed,
            finish_reason=choice.get("finish_reason"),
            prompt_seconds=prompt_s,
            generation_seconds=generation_s,
        )
        return choice["message"].get("content") or ""

    # llama.cpp's own counters split prompt reading from generation; best effort (private handle, may change).
    def _reset_perf(self) -> None:
        try:
            import llama_cpp

            llama_cpp.llama_perf_context_reset(self._llama._ctx.ctx)
        except Exception:  # noqa: BLE001 - timing is diagnostics only
            pass

    def _read_perf(self) -> tuple[float | None, float | None]:
        try:
            import llama_cpp

            data = llama_cpp.llama_perf_context(self._llama._ctx.ctx)
            return data.t_p_eval_ms / 1000.0, data.t_eval_ms / 1000.0
        except Exception:  # noqa: BLE001 - timing is diagnostics only
            return None, None


class OpenAIHttpChat:
    """An OpenAI-compatible /chat/completions endpoint (vLLM). stdlib HTTP: no client dependency."""

    def __init__(self, base_url: str, model: str, *, timeout_s: float, api_key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self._api_key = api_key
        self.last_usage: ChatUsage | None = None

    @classmethod
    def from_settings(cls, settings: LlmSettings) -> OpenAIHttpChat:
        return cls(settings.base_url, settings.served_model, timeout_s=settings.request_timeout_s)

    def complete_json(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        *,
        max_tokens: int,
        temperature: float,
        seed: int,
    ) -> str:
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "seed": seed,
            # vLLM's structured outputs: the schema is enforced while decoding.
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "lead", "schema": schema, "strict": True},
            },
        }
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(
            f"{self.base_url}/chat/completions", data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:
                payload = json.loads(reply.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise ExtractionError(
                f"LLM server answered HTTP {exc.code}: {detail}", code="llm_unavailable",
                hint=f"check the server at {self.base_url} and settings.llm.served_model",
            ) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ExtractionError(
                f"LLM server unreachable at {self.base_url}: {exc}", code="llm_unavailable",
                hint="start the server or set PARLEY_LLM__BACKEND=llama_cpp",
            ) from exc
        except json.JSONDecodeError as exc:
            raise ExtractionError(f"LLM server sent a non-JSON HTTP body: {exc}", code="llm_unavailable") from exc
        elapsed = time.perf_counter() - started
        try:
            choice = payload["choices"][0]
            content = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ExtractionError(f"unexpected chat completion shape: {str(payload)[:300]}") from exc
        usage = payload.get("usage") or {}
        self.last_usage = ChatUsage(
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            seconds=elapsed,
            finish_reason=choice.get("finish_reason"),
        )
        return content


def load_chat_model(settings: Settings, model_path: Path | None = None) -> ChatModel:
    """Build the chat model that settings.llm.backend names. `model_path` is required for llama_cpp."""
    llm = settings.llm
    if llm.backend == "openai":
        return OpenAIHttpChat.from_settings(llm)
    if llm.backend == "llama_cpp":
        if model_path is None:
            raise ModelMissing("backend llama_cpp needs a GGUF path (models.registry.resolve_model)")
        return LlamaCppChat.load(model_path, llm)
    raise ModelError(f"unknown LLM backend {llm.backend!r}")  # pragma: no cover - settings validate the literal
