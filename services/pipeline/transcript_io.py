"""Transcripts from files: a `parley run` result JSON, or plain text with one `SPEAKER: text` line per utterance.

`parley lead` scores a call that was transcribed before (or elsewhere). Plain text has no audio times, so each
word gets synthetic ones (WORD_S per word, LINE_GAP_S between lines); the times keep the ordering and the
utterance/word structure the NLP and lead stages expect (`join_words(words of an utterance) == text`,
`word_range` indexes the words), nothing more. Text format:

    Rep: Thanks for taking the call, Dana.
    Dana Reyes: Sure. We have about forty thousand for this.

- The label is everything before the first colon (a colon between two digits, "10:30", is not one): 1-40
  characters, at most 4 words ("A", "SPEAKER_00", "Dana Reyes", "Rep"). The text after it must not be empty.
- Lines with no label are refused with the line number (error code transcript_line_invalid); blank lines
  (whitespace only) are skipped. Consecutive lines of one speaker stay separate utterances.
- Roles: labels that literally say rep / agent / sales get role "rep", prospect / customer / client get
  "prospect" (case-insensitive); any other label leaves "unknown" for the extractor to decide.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from services.errors import InputError
from services.pipeline.types import CallResult, Entity, Role, Utterance, Word

MAX_TRANSCRIPT_BYTES = 5 * 1024 * 1024
WORD_S = 0.3
LINE_GAP_S = 0.5
MAX_LABEL_CHARS = 40
MAX_LABEL_WORDS = 4

_REP_LABELS = frozenset({"rep", "agent", "sales"})
_PROSPECT_LABELS = frozenset({"prospect", "customer", "client"})
# The label ends at the first colon that is not inside a clock time ("at 10:30" is text, not a label).
_LABEL_END = re.compile(r"(?<!\d):|:(?!\d)")


class TranscriptError(InputError):
    """A transcript file or text that cannot be used. Codes: transcript_not_found, transcript_unreadable,
    transcript_too_large, transcript_not_utf8, transcript_empty, transcript_line_invalid,
    transcript_invalid_json, transcript_invalid_result."""

    code = "transcript_invalid"
    hint = "plain text with one `SPEAKER: text` line per utterance, or a `parley run --out` result JSON"

    def __init__(self, message: str, *, code: str, line: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, code=code, hint=hint)
        self.line = line


@dataclass(frozen=True)
class LoadedTranscript:
    utterances: tuple[Utterance, ...]
    words: tuple[Word, ...]
    source: Literal["result", "text"]
    entities: tuple[Entity, ...] = ()
    """Entities the file already holds (a result JSON); empty for plain text."""


def role_of_label(label: str) -> Role:
    key = label.strip().casefold()
    if key in _REP_LABELS:
        return "rep"
    if key in _PROSPECT_LABELS:
        return "prospect"
    return "unknown"


def parse_transcript_text(text: str) -> tuple[tuple[Utterance, ...], tuple[Word, ...]]:
    """Utterances ("u1", "u2", ... in line order) and their words with synthetic times. Raises TranscriptError."""
    utterances: list[Utterance] = []
    words: list[Word] = []
    cursor = 0.0
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not raw.strip():
            continue
        colon = _LABEL_END.search(raw)
        label = " ".join(raw[: colon.start()].split()) if colon else ""
        if not label or len(label) > MAX_LABEL_CHARS or len(label.split()) > MAX_LABEL_WORDS:
            raise TranscriptError(
                f"line {number}: no speaker label (expected `SPEAKER: text`): {raw.strip()[:80]!r}",
                code="transcript_line_invalid", line=number,
                hint="start every line with the speaker's label and a colon, e.g. `Rep: Hello`",
            )
        tokens = raw[colon.end():].split()
        if not tokens:
            raise TranscriptError(f"line {number}: speaker {label!r} says nothing", code="transcript_line_invalid",
                                  line=number, hint="remove the line or add what the speaker said")
        if utterances:
            cursor += LINE_GAP_S
        first = len(words)
        start = round(cursor, 3)
        for token in tokens:
            words.append(Word(start=round(cursor, 3), end=round(cursor + WORD_S, 3), text=token, confidence=1.0,
                              speaker=label))
            cursor += WORD_S
        utterances.append(Utterance(
            id=f"u{len(utterances) + 1}", start=start, end=round(cursor, 3), speaker=label,
            role=role_of_label(label), text=" ".join(tokens), word_range=(first, len(words)),
        ))
    if not utterances:
        raise TranscriptError("the transcript holds no lines", code="transcript_empty")
    return tuple(utterances), tuple(words)


def load_transcript(path: Path, *, max_bytes: int = MAX_TRANSCRIPT_BYTES) -> LoadedTranscript:
    """A `parley run` result JSON or a plain-text transcript. Raises TranscriptError with a code."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise TranscriptError(f"no such file: {path}", code="transcript_not_found", hint="check the path") from None
    except OSError as exc:
        raise TranscriptError(f"cannot read {path}: {exc.strerror or exc}", code="transcript_unreadable") from exc
    if not path.is_file():
        raise TranscriptError(f"not a file: {path}", code="transcript_unreadable", hint="pass a transcript file")
    if size > max_bytes:
        raise TranscriptError(f"{path} is {size / 1e6:.1f} MB, the limit is {max_bytes / 1e6:.1f} MB",
                              code="transcript_too_large", hint="split the transcript")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read {path}: {exc.strerror or exc}", code="transcript_unreadable") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TranscriptError(f"{path} is not UTF-8 text (byte {exc.start})", code="transcript_not_utf8",
                              hint="save the transcript as UTF-8") from None
    if not text.strip():
        raise TranscriptError(f"{path} is empty", code="transcript_empty")
    if text.lstrip().startswith("{"):
        return _from_result(text, path)
    utterances, words = parse_transcript_text(text)
    return LoadedTranscript(utterances=utterances, words=words, source="text")


def _from_result(text: str, path: Path) -> LoadedTranscript:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise TranscriptError(f"{path} is not valid JSON: {exc}", code="transcript_invalid_json") from None
    try:
        result = CallResult.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(top level)"
        raise TranscriptError(f"{path} is not a parley result: {where}: {first.get('msg')}",
                              code="transcript_invalid_result",
                              hint="pass the JSON written by `parley run --out`, or a plain-text transcript") from None
    if not any(u.text.strip() for u in result.utterances):
        raise TranscriptError(f"{path} holds no utterances", code="transcript_empty")
    n = len(result.words)
    for u in result.utterances:
        first_word, last_word = u.word_range
        if not 0 <= first_word <= last_word <= n:
            raise TranscriptError(f"{path}: utterance {u.id} points at words {first_word}..{last_word} of {n}",
                                  code="transcript_invalid_result")
    return LoadedTranscript(utterances=result.utterances, words=result.words, source="result",
                            entities=result.entities)
