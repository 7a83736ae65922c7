"""The extraction prompt: numbered transcript lines, the JSON schema the LLM must fill, and the messages.

The model never writes quotes. It cites line ids ("u12", or "u12.2" for the second sentence of a long
utterance) and the quotes are cut from the transcript afterwards (grounding.py): a 1.5B model paraphrases
"verbatim" quotes almost every time (0 of 4 verbatim in FACTS.md), ids it can copy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from services.pipeline.types import Role, Utterance

# Utterances longer than this with more than one sentence are split into sentence lines so that evidence can
# point at the one sentence that says it.
SPLIT_CHARS = 200
# Rough characters per token for English transcripts (Qwen tokenizer); used only to keep the prompt inside n_ctx.
CHARS_PER_TOKEN = 3.6
# Rep lines are shortened before anything is dropped when the transcript does not fit: BANT is scored on the
# prospect's words, the rep's only give context.
REP_LINE_MAX_CHARS = 120
# The grammar stops the summary here, mid-sentence if need be (extract.py trims to the last full sentence).
SUMMARY_MAX_CHARS = 240
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")

SYSTEM_PROMPT = """You qualify sales leads from call transcripts. Each line is [id] SPEAKER: text.
Judge BANT only from what the PROSPECT says:
- budget: present only if the prospect states an amount of money for this.
- authority: present only if the prospect makes the final decision. "I need to check with my manager" = false.
- need: a specific problem the prospect names.
- timeline: an explicit buying window (date, quarter, "in 6 weeks"). "soon" or "probably Q3" = false.
evidence_ids: ids of the PROSPECT lines that show the item; [] if not present.
contact: the prospect's own name, title, company, email, phone; null if not said.
competitors: other vendors or tools the prospect uses or is evaluating, named as said.
pain_points: short phrases. budget_amount, timeline_text: the prospect's words, else null. summary: 1-2 sentences.
score: hot = 3 or 4 BANT items present, warm = 2 (or clear intent), cold = 0 or 1. confidence: 0 to 1.
Write in English. Reply with JSON only."""
# No example values in the prompt: the 1.5B model copies them into the answer ("j.smith@acme.com" became the
# prospect's domain, "555-123-4567" their phone).


@dataclass(frozen=True)
class PromptLine:
    id: str
    """The id shown to the model: u<n> or u<n>.<k>."""
    utterance: Utterance
    text: str
    """What the line shows: the whole utterance, or one sentence of it (an exact substring)."""


@dataclass
class TranscriptView:
    """The transcript as the model sees it, and the way back from a cited id to the words."""

    lines: list[PromptLine]
    by_id: dict[str, PromptLine]
    utterance_ids: dict[str, Utterance] = field(default_factory=dict)
    """u<n> -> utterance (also for utterances that were split into sentence lines)."""
    labels: dict[str, str] = field(default_factory=dict)
    omitted: int = 0
    """Utterances left out because the transcript did not fit the context window."""

    def render(self) -> str:
        out: list[str] = []
        for line in self.lines:
            if line.id == "...":
                out.append(line.text)
            else:
                out.append(f"[{line.id}] {self.labels[line.utterance.speaker]}: {line.text}")
        return "\n".join(out)


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, each an exact substring (no whitespace trimmed inside)."""
    return [part for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def speaker_labels(speakers: Sequence[str], roles: dict[str, Role], *, confident: bool) -> dict[str, str]:
    """REP / PROSPECT when the roles are known; neutral letters otherwise, so the model can say who is the rep."""
    if confident:
        names = {"rep": "REP", "prospect": "PROSPECT", "unknown": "SPEAKER"}
        labels: dict[str, str] = {}
        counts: dict[str, int] = {}
        for speaker in speakers:
            base = names[roles.get(speaker, "unknown")]
            counts[base] = counts.get(base, 0) + 1
            labels[speaker] = base if counts[base] == 1 else f"{base}_{counts[base]}"
        return labels
    return {speaker: f"SPEAKER_{chr(ord('A') + i)}" for i, speaker in enumerate(speakers)}


def build_view(
    utterances: Sequence[Utterance],
    labels: dict[str, str],
    roles: dict[str, Role],
    *,
    max_chars: int,
) -> TranscriptView:
    """Number the utterances, split long ones into sentences, and make the whole fit into `max_chars`."""
    lines: list[PromptLine] = []
    utterance_ids: dict[str, Utterance] = {}
    for n, utt in enumerate(utterances, start=1):
        uid = f"u{n}"
        utterance_ids[uid] = utt
        # Stripped but not re-spaced, so every line (and so every quote) is an exact substring of utt.text.
        text = utt.text.strip().replace("\n", " ")
        if not text:
            continue
        sentences = split_sentences(text) if len(text) > SPLIT_CHARS else [text]
        if len(sentences) > 1 and roles.get(utt.speaker) != "rep":
            lines.extend(PromptLine(f"{uid}.{k}", utt, s) for k, s in enumerate(sentences, start=1))
        else:
            lines.append(PromptLine(uid, utt, text))
    view = TranscriptView(lines, {}, utterance_ids, labels)
    _fit(view, roles, max_chars)
    view.by_id = {line.id: line for line in view.lines if line.id != "..."}
    return view


def _fit(view: TranscriptView, roles: dict[str, Role], max_chars: int) -> None:
    def size() -> int:
        return sum(len(line.text) + len(line.id) + 14 for line in view.lines)

    if size() <= max_chars:
        return
    # 1) shorten rep lines (their wording is never evidence)
    view.lines = [
        PromptLine(line.id, line.utterance, line.text[:REP_LINE_MAX_CHARS].rstrip() + "...")
        if roles.get(line.utterance.speaker) == "rep" and len(line.text) > REP_LINE_MAX_CHARS
        else line
        for line in view.lines
    ]
    if size() <= max_chars:
        return
    # 2) keep the opening (introductions, contact details) and the close (next steps, timeline), drop the middle.
    head: list[PromptLine] = []
    tail: list[PromptLine] = []
    budget = max_chars - 60
    lo, hi = 0, len(view.lines) - 1
    take_head = True
    while lo <= hi:
        line = view.lines[lo] if take_head else view.lines[hi]
        cost = len(line.text) + len(line.id) + 14
        if cost > budget:
            break
        budget -= cost
        if take_head:
            head.append(line)
            lo += 1
        else:
            tail.insert(0, line)
            hi -= 1
        take_head = not take_head
    dropped = view.lines[lo : hi + 1]
    view.omitted = len({id(line.utterance) for line in dropped})
    note = f"[... {view.omitted} utterances omitted ...]"
    marker = [PromptLine("...", dropped[0].utterance, note)] if dropped else []
    view.lines = head + marker + tail


def _nullable_string(max_length: int) -> dict[str, Any]:
    return {"anyOf": [{"type": "string", "maxLength": max_length}, {"type": "null"}]}


def lead_schema(evidence_ids: Sequence[str], speaker_choices: Sequence[str] | None = None) -> dict[str, Any]:
    """JSON schema for the model's answer. Key order is the order the model writes (cheap facts first, verdict
    last); evidence ids are an enum of citable lines so a grammar-constrained model cannot invent one."""
    ids_schema: dict[str, Any] = {"type": "string"}
    if evidence_ids:
        ids_schema = {"type": "string", "enum": list(evidence_ids)}
    item = {
        "type": "object",
        "properties": {
            "present": {"type": "boolean"},
            "evidence_ids": {"type": "array", "items": ids_schema, "maxItems": 3},
        },
        "required": ["present", "evidence_ids"],
        "additionalProperties": False,
    }
    properties: dict[str, Any] = {}
    if speaker_choices:
        properties["rep_speaker"] = {"type": "string", "enum": list(speaker_choices)}
    properties |= {
        "contact": {
            "type": "object",
            "properties": {
                "name": _nullable_string(60),
                "title": _nullable_string(60),
                "company": _nullable_string(60),
                "email": _nullable_string(80),
                "phone": _nullable_string(30),
            },
            "required": ["name", "title", "company", "email", "phone"],
            "additionalProperties": False,
        },
        "budget": item,
        "authority": item,
        "need": item,
        "timeline": item,
        "budget_amount": _nullable_string(60),
        "timeline_text": _nullable_string(60),
        "competitors": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 5},
        "pain_points": {"type": "array", "items": {"type": "string", "maxLength": 80}, "maxItems": 3},
        "next_step": _nullable_string(100),
        # Generated text is the slow part on CPU (~3 tok/s under load): the summary is kept to two lines.
        "summary": {"type": "string", "maxLength": SUMMARY_MAX_CHARS},
        "score": {"type": "string", "enum": ["hot", "warm", "cold"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def build_messages(view: TranscriptView, *, ask_rep: bool) -> list[dict[str, str]]:
    task = "Transcript:\n" + view.render()
    if ask_rep:
        task += "\n\nSpeakers are not labelled: first set rep_speaker to the salesperson's label."
    task += "\n\nExtract the lead as JSON."
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": task}]
