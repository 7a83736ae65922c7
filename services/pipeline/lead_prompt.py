"""The transcript as the extraction model sees it: numbered lines, condensed to fit the context window.

The model never writes quotes. It cites line ids ("u12", or "u12.2" for the second sentence of a long
utterance) and the quotes are cut from the transcript afterwards (grounding.py): a 1.5B model paraphrases
"verbatim" quotes almost every time (0 of 4 verbatim in FACTS.md), ids it can copy. The questions themselves
are in lead_questions.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

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
