"""The model's answers cached by the exact request, so a re-run pays only for questions it has not asked.

A request is the messages, the JSON schema, max_tokens, temperature and seed that `extract.chat_request` builds;
at temperature 0 with a fixed seed the same request gets the same answer, so re-using a cached answer is what a
full re-run would have produced, minus the wait. A change of code that alters a prompt (other roles, other
candidate lines, a new question) is a new request and goes to the model.

Runs before this cache existed stored each case's reading (roles, facts, the kind per candidate line) instead.
`prefill` turns such a reading back into requests and answers: it rebuilds the transcript view and candidate
lines with the current code and the cached roles, and keys each cached answer by the request that asked it.
Answers whose line is no longer a candidate are counted (`unmatched`): they mean the code that picks lines
changed since, and those questions are asked again.

A cache file belongs to one model: its first line names it (`model_identity`), and opening it for another model
is an error. Without that, re-scoring stored calls with a larger model mounted by path would silently get the
old model's answers back (the request is the same). Files written before the header existed have none; they were
all written by the default model, and are read as its.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["AnswerCache", "AnswerCacheModelError", "CachedChat", "model_identity", "prefill", "request_key"]

DEFAULT_MODEL = "qwen2.5-coder-1.5b-q4km"
"""The model of cache files without a header (every one written before the header existed)."""


class AnswerCacheModelError(ValueError):
    """The cache file holds another model's answers."""


def model_identity(settings: Any) -> str:
    """Which model answers: the manifest name or the path of the GGUF (llama_cpp), or the served model name and
    the server (openai; whatever the server loaded under that name is its business)."""
    llm = settings.llm
    if llm.backend == "openai":
        return f"openai:{llm.served_model}@{llm.base_url}"
    return str(settings.models.llm)


def request_key(messages: list[dict[str, str]], schema: dict[str, Any], *, max_tokens: int, temperature: float,
                seed: int) -> str:
    blob = json.dumps({"messages": messages, "schema": schema, "max_tokens": max_tokens,
                       "temperature": temperature, "seed": seed}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class AnswerCache:
    """Request key -> reply text, kept in a JSONL file (appended as answers arrive: a killed run keeps them).
    The first line names the model that gave the answers; another model's file is refused."""

    def __init__(self, path: Path, model: str = DEFAULT_MODEL) -> None:
        self.path = Path(path)
        self.model = model
        self._answers: dict[str, str] = {}
        if self.path.exists():
            rows = [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]
            owner = rows[0]["model"] if rows and "model" in rows[0] else DEFAULT_MODEL
            if owner != model:
                raise AnswerCacheModelError(
                    f"{self.path} holds answers from model {owner!r}, this run asks {model!r}: "
                    "give this run another output folder (or delete the file)")
            for row in rows:
                if "key" in row:
                    self._answers[row["key"]] = row["text"]

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: str) -> str | None:
        return self._answers.get(key)

    def put(self, key: str, text: str) -> None:
        if self._answers.get(key) == text:
            return
        self._answers[key] = text
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new_file = not self.path.exists()
        with self.path.open("a") as fh:
            if new_file:
                fh.write(json.dumps({"model": self.model}) + "\n")
            fh.write(json.dumps({"key": key, "text": text}) + "\n")


class CachedChat:
    """A ChatModel that answers from the cache and asks the real model (loaded on first need) otherwise."""

    def __init__(self, cache: AnswerCache, load_chat: Callable[[], Any]) -> None:
        self.cache = cache
        self._load_chat = load_chat
        self._chat: Any = None
        self.hits = 0
        self.asked = 0
        self.asked_seconds = 0.0

    def complete_json(self, messages: list[dict[str, str]], schema: dict[str, Any], *, max_tokens: int,
                      temperature: float, seed: int) -> str:
        key = request_key(messages, schema, max_tokens=max_tokens, temperature=temperature, seed=seed)
        cached = self.cache.get(key)
        if cached is not None:
            self.hits += 1
            return cached
        if self._chat is None:
            self._chat = self._load_chat()
        started = time.perf_counter()
        text = self._chat.complete_json(messages, schema, max_tokens=max_tokens, temperature=temperature, seed=seed)
        self.asked_seconds += time.perf_counter() - started
        self.asked += 1
        self.cache.put(key, text)
        return text


def _put(cache: AnswerCache, request: Any, text: str) -> None:
    cache.put(request_key(request.messages, request.schema, max_tokens=request.max_tokens,
                          temperature=request.temperature, seed=request.seed), text)


def prefill(cache: AnswerCache, reading: dict[str, Any], utterances: Sequence[Any], settings: Any) -> dict[str, int]:
    """Key a stored reading's answers by the requests that asked them (first try). Returns counts: added
    answers and `unmatched` ones (their line is no longer a candidate)."""
    from services.pipeline import bant_rules
    from services.pipeline.extract import (
        FACTS_MAX_CHARS,
        _max_chars,
        _resolve_roles,
        candidate_lines,
        chat_request,
        is_support_call,
    )
    from services.pipeline.lead_prompt import build_view, speaker_labels
    from services.pipeline.lead_questions import excerpt, facts_question, line_question, roles_question

    utts = [u for u in utterances if u.text.strip()]
    speakers = list(dict.fromkeys(u.speaker for u in utts))
    max_chars = _max_chars(settings)
    counts = {"added": 0, "unmatched": 0}
    problems = " ".join(reading.get("problems", ()))

    heuristic_roles, _, source = _resolve_roles(utts)
    if source == "unsure" and reading.get("roles_source") == "model" and reading.get("rep"):
        labels = speaker_labels(speakers, heuristic_roles, confident=False)
        neutral = build_view(utts, labels, heuristic_roles, max_chars=max_chars)
        if reading["rep"] in labels:
            _put(cache, chat_request(neutral.render(), roles_question(list(labels.values())), settings),
                 json.dumps({"rep": labels[reading["rep"]]}))
            counts["added"] += 1

    roles = dict(reading["roles"])
    labels = speaker_labels(speakers, roles, confident=True)
    view = build_view(utts, labels, roles, max_chars=max_chars)
    if "facts: no usable answer" not in problems:
        facts_view = view if len(view.render()) <= FACTS_MAX_CHARS else build_view(
            utts, labels, roles, max_chars=FACTS_MAX_CHARS)
        _put(cache, chat_request(facts_view.render(), facts_question(), settings), json.dumps(reading["facts"]))
        counts["added"] += 1
    support_call = is_support_call(utts, roles)
    for name in bant_rules.CRITERIA:
        answers = {a["line"]: a for a in reading["criteria"].get(name, [])}
        for line, before in candidate_lines(view, roles, name, support_call=support_call):
            answer = answers.pop(line.id, None)
            if answer is not None:
                _put(cache, chat_request(excerpt(before, line.id, line.text), line_question(name), settings,
                                         line=True), json.dumps({"kind": answer["kind"]}))
                counts["added"] += 1
        counts["unmatched"] += len(answers)
    return counts
