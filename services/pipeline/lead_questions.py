"""Narrow questions for the extraction LLM: one per candidate line and BANT criterion, one for the facts, one
for roles when the heuristics are unsure.

A 1.5B model asked for a four-part judgement in one JSON object mixes the parts up (a job title cited as
authority, a renewal date as the timeline). Asked one narrow question at a time, with a few short examples, it
answers each well. Every question starts with the same system prompt, which llama.cpp keeps cached, so a line
question costs its own ~40 prompt tokens and a ~6-token answer (about 2 s on 2 cores).

E-mail addresses and phone numbers are not asked for: the recognisers read them from the prospect's lines
(copying "four one five, five five five ..." cost the model more tokens than every other answer together).
For BANT the model is shown one prospect line at a time (the candidates code picks: answers to the rep's
question on the criterion, lines with its words) and names the kind of answer it gives; it never writes a quote,
an amount or a date (code takes those from the line). Measured on the dev split: asked over the whole
transcript, for a line id and an abstract status (stated / hedged / ...), the 1.5B model answered "stated" to
nearly everything and cited wrong lines about half the time; asked about one line, with concrete kinds and the
look-alikes (past spend, headcount, title, support fault, renewal) named as kinds of their own, it tells
them apart. The examples below were written for the prompt, not taken from the
evaluation data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.pipeline.types import CriterionStatus

STATUSES: tuple[CriterionStatus, ...] = ("stated", "hedged", "negated", "delegated", "absent")
NO_LINE = "none"

SYSTEM_PROMPT = """You read sales call transcripts and answer ONE question at a time.
Lines look like [u7] PROSPECT: text. Only what the PROSPECT says counts; the REP's words never do.
BUDGET, AUTHORITY, NEED and TIMELINE questions show one PROSPECT line (after the REP line before it) and ask
which kind of answer that PROSPECT line gives: reply {"kind": k}.

BUDGET kinds:
amount = money they have or will spend on this: "We've got about forty grand set aside for this."
no_amount = some budget but no figure, or a figure nobody approved: "There's some money, no number yet."
none = no money for it: "Honestly we can't pay for anything new this year."
other_person = someone else sets the budget: "Finance decides how much we can spend."
past = money spent before, on something else: "We paid 30k for our old system."
count = a number of people, seats or users, not money: "We have 2,000 employees."
not_said = no prospect line about money for this (the rep quoting prices does not count).

AUTHORITY kinds:
self = the prospect makes the buying decision: "The call is mine." "I choose the tools, I sign the contracts."
shared = decides together with others: "My partner and I would decide together."
other_person = someone else decides or must approve: "I'd have to run it by my VP."
cannot = says they cannot decide: "I'm not the one who signs off." "I can't approve anything like that."
title = only a job title: "I'm the operations manager."
not_said = nothing about who decides.

NEED kinds:
problem = a specific problem the product would fix: "We lose hours every week copying call notes by hand."
maybe = unsure they need it, just curious: "Not sure we need it, just looking around."
no_need = happy with what they have: "Our current setup works fine."
support = a fault in the REP's own product that they already use (a support call): "Your export button stopped working."
not_said = no problem named.

TIMELINE kinds:
date = when they want to buy or go live: a date, month, quarter or "within six weeks": "We want it running by the end of March."
vague = not fixed: "Probably sometime next year."
none = no timeline: "No plans to change anything."
other_person = someone else sets the date: "IT will pick the rollout date."
renewal = only a contract renewal or expiry date: "Our contract renews in June."
not_said = nothing about when (the rep suggesting a date does not count).

Reply with JSON only."""

# Each kind is one of the statuses the lead reports; look-alikes (past spend, headcount, job title, support
# fault, renewal date) have kinds of their own so the model has a place to put them other than "stated".
KINDS: dict[str, dict[str, CriterionStatus]] = {
    "budget": {"amount": "stated", "no_amount": "hedged", "none": "negated", "other_person": "delegated",
               "past": "absent", "count": "absent", "not_said": "absent"},
    "authority": {"self": "stated", "shared": "hedged", "other_person": "delegated", "cannot": "negated",
                  "title": "absent", "not_said": "absent"},
    "need": {"problem": "stated", "maybe": "hedged", "no_need": "negated", "support": "absent",
             "not_said": "absent"},
    "timeline": {"date": "stated", "vague": "hedged", "none": "negated", "other_person": "delegated",
                 "renewal": "absent", "not_said": "absent"},
}

# Questions appended after the excerpt (the varying suffix of the prompt).
CRITERION_QUESTIONS: dict[str, str] = {
    "budget": "Question BUDGET: what kind of BUDGET answer is the PROSPECT's line?",
    "authority": "Question AUTHORITY: what kind of AUTHORITY answer is the PROSPECT's line?",
    "need": "Question NEED: what kind of NEED answer is the PROSPECT's line?",
    "timeline": "Question TIMELINE: what kind of TIMELINE answer is the PROSPECT's line?",
}
FACTS_QUESTION = (
    "Question FACTS: give the PROSPECT's own full name and company as said in the call (the rep's name and "
    "company are not the prospect's; null if not said), every other vendor or tool the prospect uses, tried, or "
    "is comparing (as said), and the agreed next step."
)
# A second look, asked only when the first answer contradicts the line's own words (bant_rules.second_look):
# one yes / no question is narrower than choosing among six kinds.
CHECK_QUESTIONS: dict[str, str] = {
    "budget": "Question BUDGET CHECK: does the PROSPECT's line say how much money they have or will spend on this "
              "purchase? Reply {\"answer\": \"yes\"} or {\"answer\": \"no\"}.",
    "need": "Question NEED CHECK: does the PROSPECT's line say their own team has a problem or pain they want "
            "solved? Reply {\"answer\": \"yes\"} or {\"answer\": \"no\"}.",
    "authority": "Question AUTHORITY CHECK: does the PROSPECT's line say that the PROSPECT personally makes or signs "
                 "off the buying decision? Reply {\"answer\": \"yes\"} or {\"answer\": \"no\"}.",
}
# The kind a "yes" to the second look stands for.
CHECK_KINDS: dict[str, str] = {"budget": "amount", "need": "problem", "authority": "self"}
ROLES_QUESTION = "Question ROLES: which speaker is the salesperson (the rep who is selling)?"


@dataclass(frozen=True)
class Question:
    name: str
    text: str
    schema: dict[str, Any]
    max_tokens: int


def _nullable(max_length: int) -> dict[str, Any]:
    return {"anyOf": [{"type": "string", "maxLength": max_length}, {"type": "null"}]}


def line_question(name: str) -> Question:
    """{"kind": ...} for one prospect line: the narrowest question, the one the 1.5B model answers best."""
    schema = {
        "type": "object",
        "properties": {"kind": {"type": "string", "enum": list(KINDS[name])}},
        "required": ["kind"],
        "additionalProperties": False,
    }
    return Question(name, CRITERION_QUESTIONS[name], schema, max_tokens=16)


def check_question(name: str) -> Question:
    """{"answer": "yes" | "no"}: the second look at one line (budget, authority, need)."""
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    return Question(f"{name}_check", CHECK_QUESTIONS[name], schema, max_tokens=16)


def facts_question() -> Question:
    schema = {
        "type": "object",
        "properties": {
            "name": _nullable(60),
            "company": _nullable(60),
            "competitors": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 5},
            "next_step": _nullable(80),
        },
        "required": ["name", "company", "competitors", "next_step"],
        "additionalProperties": False,
    }
    return Question("facts", FACTS_QUESTION, schema, max_tokens=120)


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


def excerpt(before: str | None, line_id: str, line_text: str) -> str:
    """The REP line before a prospect line (context for "yes, that's right"), then the line itself."""
    head = f"REP: {before}\n" if before else ""
    return f"{head}[{line_id}] PROSPECT: {line_text}"


def line_messages(excerpt_text: str, question: Question) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"Excerpt:\n{excerpt_text}\n\n{question.text}"},
    ]
