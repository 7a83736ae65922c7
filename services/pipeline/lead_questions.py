"""Narrow questions for the extraction LLM: one per BANT criterion, one for the facts, one for roles.

A 1.5B model asked for a four-part judgement in one JSON object mixes the parts up (a job title cited as
authority, a renewal date as the timeline). Asked one narrow question at a time, with a few short examples, it
answers each well. Every question shares one prefix (this system prompt, then the numbered transcript), so
llama.cpp reads the transcript once and each further question costs only its own few tokens plus the answer;
the system prompt itself is cached across calls.

The model cites a line id and picks a status; it never writes a quote, an amount or a date (code takes those
from the cited line). The examples below were written for the prompt, before any evaluation data existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.pipeline.types import CriterionStatus

STATUSES: tuple[CriterionStatus, ...] = ("stated", "hedged", "negated", "delegated", "absent")
NO_LINE = "none"

SYSTEM_PROMPT = """You read sales call transcripts and answer ONE question about the call at a time.
Lines look like [u7] PROSPECT: text. Judge only what the PROSPECT says; what the REP says never counts.
For BANT questions answer {"line": id, "status": s}: the id of the one PROSPECT line that answers it ("none" if no line), and a status:
stated = the prospect clearly says it; hedged = vague, unsure or conditional; negated = the prospect says there is none; delegated = someone else holds it; absent = not discussed.

BUDGET: money the prospect has for THIS purchase.
"We've got about forty grand set aside for this." -> stated
"There's some budget, we just don't have a number yet." -> hedged
"Honestly there's no money for this until next year." -> negated
"Finance decides how much we can spend." -> delegated
"We paid 30k for our old system." -> absent (a past purchase)
"We have 2,000 employees." -> absent (a headcount is not money)
REP: "Most teams spend around 50k." -> absent (the rep said it)

AUTHORITY: does the prospect make the buying decision?
"I make the call on tools for my team." -> stated
"That's my decision, I sign the contracts." -> stated
"I'd have to run it by my VP." -> delegated
"I'm not the one who signs off." -> negated
"I'm the operations manager." -> absent (a title alone decides nothing)
"I can't approve anything like that." -> negated

NEED: a specific problem of the prospect that the product would solve.
"We lose hours every week copying call notes by hand." -> stated
"Maybe it could help, I'm not sure we need it." -> hedged
"We're happy with what we have." -> negated
A support call about a bug or an outage in a product they already use -> absent

TIMELINE: when the prospect wants to buy or go live: a date, month, quarter or "within six weeks".
"We want this running by the end of March." -> stated
"Probably sometime next year, nothing's fixed." -> hedged
"There's no timeline on this at all." -> negated
"Our contract with them renews in June." -> absent (a renewal date is not a buying window, unless they say they buy by then)
REP: "We could have you live by May." -> absent (the rep said it)

Reply with JSON only."""

# Questions appended after the transcript (the varying suffix of the prompt).
CRITERION_QUESTIONS: dict[str, str] = {
    "budget": "Question BUDGET: does the prospect state money they have for this purchase?",
    "authority": "Question AUTHORITY: does the prospect make the buying decision themselves?",
    "need": "Question NEED: does the prospect name a specific problem the product would solve?",
    "timeline": "Question TIMELINE: does the prospect state when they want to buy or go live?",
}
FACTS_QUESTION = (
    "Question FACTS: give the PROSPECT's own full name, job title, company, email and phone as said in the call "
    "(the rep's name and company are not the prospect's; null if not said), every other vendor or tool the "
    "prospect uses, tried, or is comparing (as said), the agreed next step, and a one-sentence summary."
)
ROLES_QUESTION = "Question ROLES: which speaker is the salesperson (the rep who is selling)?"


@dataclass(frozen=True)
class Question:
    name: str
    text: str
    schema: dict[str, Any]
    max_tokens: int


def _nullable(max_length: int) -> dict[str, Any]:
    return {"anyOf": [{"type": "string", "maxLength": max_length}, {"type": "null"}]}


def criterion_question(name: str, citable: Sequence[str]) -> Question:
    """{"line": <prospect line id or none>, "status": ...}: the line first, so the status is judged on it."""
    schema = {
        "type": "object",
        "properties": {
            "line": {"type": "string", "enum": [*citable, NO_LINE]},
            "status": {"type": "string", "enum": list(STATUSES)},
        },
        "required": ["line", "status"],
        "additionalProperties": False,
    }
    return Question(name, CRITERION_QUESTIONS[name], schema, max_tokens=40)


def facts_question(summary_chars: int) -> Question:
    schema = {
        "type": "object",
        "properties": {
            "name": _nullable(60),
            "title": _nullable(60),
            "company": _nullable(60),
            "email": _nullable(80),
            "phone": _nullable(40),
            "competitors": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 5},
            "next_step": _nullable(100),
            "summary": {"type": "string", "maxLength": summary_chars},
        },
        "required": ["name", "title", "company", "email", "phone", "competitors", "next_step", "summary"],
        "additionalProperties": False,
    }
    return Question("facts", FACTS_QUESTION, schema, max_tokens=220)


def roles_question(labels: Sequence[str]) -> Question:
    schema = {
        "type": "object",
        "properties": {"rep": {"type": "string", "enum": list(labels)}},
        "required": ["rep"],
        "additionalProperties": False,
    }
    return Question("roles", ROLES_QUESTION, schema, max_tokens=16)


def messages_for(transcript: str, question: Question) -> list[dict[str, str]]:
    """System prompt and transcript first (the shared, cached prefix), the question last."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"Transcript:\n{transcript}\n\n{question.text}"},
    ]
