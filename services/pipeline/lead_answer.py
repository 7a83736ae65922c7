"""The LLM's answer as data: lenient parsing of the JSON the extraction prompt asks for.

Lenient on purpose (extra keys ignored, "85" read as 0.85, a bare id as a list) because small models drift;
strict where it matters: the four BANT items must be there, or the answer counts as invalid and is retried.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AnswerItem(_Lenient):
    present: bool = False
    evidence_ids: list[str] = Field(default_factory=list)
    # Not in our schema; accepted so that a backend (or a future prompt) that adds quotes is still checked.
    quote: str | None = None
    quotes: list[str] = Field(default_factory=list)

    @field_validator("evidence_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, (str, int)):
            value = [value]
        return [str(v) for v in value]


class AnswerContact(_Lenient):
    name: str | None = None
    title: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None


class LlmAnswer(_Lenient):
    rep_speaker: str | None = None
    contact: AnswerContact = Field(default_factory=AnswerContact)
    budget: AnswerItem
    authority: AnswerItem
    need: AnswerItem
    timeline: AnswerItem
    budget_amount: str | None = None
    timeline_text: str | None = None
    competitors: list[str] = Field(default_factory=list)
    pain_points: list[str] = Field(default_factory=list)
    next_step: str | None = None
    summary: str = ""
    score: Literal["hot", "warm", "cold"] | None = None
    confidence: float = 0.5

    @field_validator("confidence", mode="before")
    @classmethod
    def _clamp(cls, value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return 0.5
        return min(1.0, max(0.0, number / 100 if number > 1.0 else number))  # "85" means 0.85

    @field_validator("score", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


def parse_answer(text: str) -> LlmAnswer:
    """JSON text -> answer; raises ValueError with a short reason when it is not usable."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at char {exc.pos}; {len(text)} chars)") from exc
    if not isinstance(data, dict):
        raise ValueError(f"JSON is a {type(data).__name__}, not an object")
    try:
        return LlmAnswer.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"schema mismatch at {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
