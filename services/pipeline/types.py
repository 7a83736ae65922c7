"""Typed results passed between pipeline stages, and the versioned result contract.

Every stage is a pure function from some of these to others, so the same code runs in-process (CLI, tests)
and inside Ray Serve deployments. Audio buffers are plain dataclasses (numpy arrays do not belong in the
wire contract); everything that ends up in the result JSON is a pydantic model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

# Bump on any breaking change of CallResult's JSON shape; documented in README.md ("Result contract").
SCHEMA_VERSION = "1.1"

SAMPLE_RATE = 16_000


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------------------------- audio


class AudioInfo(_Frozen):
    duration_s: float
    sample_rate: int = Field(description="sample rate of the source file, before resampling to 16 kHz")
    channels: int = Field(description="channels in the source file")
    codec: str | None = None
    container: str | None = None


@dataclass(frozen=True)
class DecodedAudio:
    """16 kHz float32 audio. `mono` is the downmix; `channels` keeps each source channel (stereo calls)."""

    mono: np.ndarray
    channels: tuple[np.ndarray, ...]
    info: AudioInfo
    sample_rate: int = SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.mono) / self.sample_rate


# ----------------------------------------------------------------------------------------- ASR / diar


class Word(_Frozen):
    start: float
    end: float
    text: str
    confidence: float = Field(ge=0.0, le=1.0)
    speaker: str | None = None


class AsrSegment(_Frozen):
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    language: str | None = None


class Transcript(_Frozen):
    language: str
    language_probability: float
    words: tuple[Word, ...]
    segments: tuple[AsrSegment, ...] = ()
    dropped_segments: int = Field(0, description="segments removed by the hallucination guards")


class Turn(_Frozen):
    """One diarization turn: `speaker` talks from `start` to `end` (seconds)."""

    start: float
    end: float
    speaker: str


class Diarization(_Frozen):
    turns: tuple[Turn, ...]
    speakers: tuple[str, ...]


# --------------------------------------------------------------------------------------------- NLP

Role = Literal["rep", "prospect", "unknown"]
SentimentLabel = Literal["positive", "neutral", "negative"]


class Sentiment(_Frozen):
    label: SentimentLabel
    score: float = Field(ge=-1.0, le=1.0, description="compound polarity, -1 (negative) .. +1 (positive)")


class Utterance(_Frozen):
    id: str
    start: float
    end: float
    speaker: str
    role: Role = "unknown"
    text: str
    redacted_text: str | None = None
    sentiment: Sentiment | None = None
    word_range: tuple[int, int] = Field((0, 0), description="[first, last) index into CallResult.words")


class Entity(_Frozen):
    """A named entity. start/end are seconds in the audio; char_start/char_end index the utterance text."""

    type: str
    text: str
    utterance_id: str
    start: float
    end: float
    char_start: int
    char_end: int
    source: Literal["spacy", "pattern"] = "spacy"


# -------------------------------------------------------------------------------------------- lead

LeadScore = Literal["hot", "warm", "cold"]


class Evidence(_Frozen):
    utterance_id: str
    quote: str = Field(description="verbatim text taken from the utterance")
    start: float | None = None
    end: float | None = None


CriterionStatus = Literal["stated", "hedged", "negated", "delegated", "absent"]


class BantItem(_Frozen):
    present: bool = Field(description="confirmed: the prospect stated it and the cited line says so")
    evidence: tuple[Evidence, ...] = ()
    status: CriterionStatus | None = Field(
        None,
        description="what the prospect said: stated (confirmed), hedged (vague or conditional), negated (ruled "
        "out), delegated (someone else holds it), absent (not discussed); None from older results",
    )


class Bant(_Frozen):
    budget: BantItem
    authority: BantItem
    need: BantItem
    timeline: BantItem


class Contact(_Frozen):
    name: str | None = None
    title: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None


class NameCorrection(_Frozen):
    """A name in the lead snapped to a known name (CallContext): what was heard and what it became."""

    field: str = Field(description="contact.name, contact.company or competitors")
    heard: str
    known: str
    similarity: float = Field(ge=0.0, le=100.0, description="rapidfuzz similarity of heard vs known (0-100)")


class Lead(_Frozen):
    score: LeadScore
    confidence: float = Field(ge=0.0, le=1.0)
    bant: Bant
    contact: Contact
    pain_points: tuple[str, ...] = ()
    competitors: tuple[str, ...] = ()
    budget_amount: str | None = None
    timeline_text: str | None = None
    next_step: str | None = None
    summary: str = ""
    needs_review: bool = False
    review_reasons: tuple[str, ...] = ()
    prospect_speaker: str | None = None
    name_corrections: tuple[NameCorrection, ...] = ()


# ------------------------------------------------------------------------------------------ result


class SpeakerInfo(_Frozen):
    id: str
    role: Role = "unknown"
    talk_time_s: float = 0.0
    words: int = 0
    channel: int | None = Field(None, description="source channel when --stereo-speakers was used")


class CallResult(_Frozen):
    schema_version: str = SCHEMA_VERSION
    audio: AudioInfo
    language: str
    speakers: tuple[SpeakerInfo, ...]
    words: tuple[Word, ...]
    utterances: tuple[Utterance, ...]
    entities: tuple[Entity, ...]
    lead: Lead | None
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per stage")
    models: dict[str, str] = Field(default_factory=dict, description="model name -> version")


@dataclass
class StageTimings:
    """Mutable accumulator used by run_call(); frozen into CallResult.timings at the end."""

    seconds: dict[str, float] = field(default_factory=dict)
