"""Wire types of the /v1 API (requests and responses). The result itself is the pipeline's CallResult."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.pipeline.lead_context import CallContext
from services.pipeline.types import CallResult

JobStatus = Literal["queued", "running", "succeeded", "failed"]
LANG_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"


MAX_NAME_CHARS = 100


def _names(values: list[str], what: str) -> list[str]:
    """Known names: trimmed, 1..100 characters, no control characters, each once (first spelling kept)."""
    out: dict[str, str] = {}
    for raw in values:
        name = " ".join(raw.split())
        if not name or len(name) > MAX_NAME_CHARS:
            raise ValueError(f"{what} entries are 1..{MAX_NAME_CHARS} characters")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
            raise ValueError(f"{what} entries must not contain control characters")
        out.setdefault(name.casefold(), name)
    return list(out.values())


class CallContextIn(BaseModel):
    """Names known before the call. They bias ASR (hotwords) and near-miss spellings in the lead snap to them
    (the heard form is kept in lead.name_corrections). All optional."""

    model_config = ConfigDict(extra="forbid")

    own_company: str | None = Field(None, max_length=MAX_NAME_CHARS,
                                    description="your company: never the prospect's company, never a competitor")
    products: list[str] = Field(default_factory=list, max_length=50, description="your product names")
    competitors: list[str] = Field(default_factory=list, max_length=100, description="competitors you track")
    accounts: list[str] = Field(default_factory=list, max_length=20,
                                description="the prospect's company names as your CRM holds them")
    contacts: list[str] = Field(default_factory=list, max_length=50,
                                description="the prospect's contact names as your CRM holds them")

    @field_validator("own_company")
    @classmethod
    def _own(cls, v: str | None) -> str | None:
        if v is None:
            return None
        names = _names([v], "own_company")
        return names[0]

    @field_validator("products", "competitors", "accounts", "contacts")
    @classmethod
    def _lists(cls, v: list[str], info) -> list[str]:  # noqa: ANN001
        return _names(v, info.field_name)

    def to_context(self) -> CallContext:
        return CallContext(own_company=self.own_company, products=tuple(self.products),
                           competitors=tuple(self.competitors), accounts=tuple(self.accounts),
                           contacts=tuple(self.contacts))


class CallOptionsIn(BaseModel):
    """Processing options; everything but the audio itself. In multipart uploads send them as a JSON string
    in the `options` form field."""

    model_config = ConfigDict(extra="forbid")

    diarization: bool = Field(True, description="run speaker diarization")
    num_speakers: int | None = Field(None, ge=1, le=32, description="known number of speakers")
    stereo_speakers: bool = Field(False, description="one speaker per channel of a stereo recording")
    language: str | None = Field(None, pattern=LANG_PATTERN, description="force a language (ISO 639-1)")
    vocabulary: list[str] = Field(default_factory=list, max_length=200,
                                  description="custom vocabulary: product and competitor names, jargon")
    competitors: list[str] = Field(default_factory=list, max_length=100,
                                   description="competitor names to track in the prospect's words (also ASR vocabulary)")
    context: CallContextIn = Field(default_factory=CallContextIn,
                                   description="names known before the call: own company, products, competitors, "
                                   "CRM accounts and contacts (ASR hotwords; near-miss names in the lead snap to them)")
    extract_lead: bool = Field(True, description="run the BANT lead extraction")
    pii_types: list[str] | None = Field(None, max_length=32,
                                        description="entity types to redact (None: server default)")
    callback_url: str | None = Field(None, max_length=2048,
                                     description="webhook called when the job ends (signed, retried)")
    metadata: dict[str, Any] = Field(default_factory=dict, description="opaque, returned as given (<= 16 KiB)")
    correlation_id: str | None = Field(None, max_length=200, description="your id; filterable in GET /v1/calls")

    @field_validator("vocabulary")
    @classmethod
    def _vocab(cls, v: list[str]) -> list[str]:
        if any(len(w) > 100 for w in v):
            raise ValueError("vocabulary entries are at most 100 characters")
        return v

    @field_validator("pii_types")
    @classmethod
    def _pii(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and any(not (0 < len(t) <= 32) for t in v):
            raise ValueError("pii_types entries are 1..32 characters")
        return v

    @field_validator("metadata")
    @classmethod
    def _meta(cls, v: dict[str, Any]) -> dict[str, Any]:
        import json

        if len(json.dumps(v, default=str)) > 16384:
            raise ValueError("metadata is limited to 16 KiB of JSON")
        return v

    def pipeline_options(self) -> dict[str, Any]:
        """The subset stored as CallOptions (JSON)."""
        return {
            "diarization": self.diarization, "num_speakers": self.num_speakers,
            "stereo_speakers": self.stereo_speakers, "language": self.language, "vocabulary": self.vocabulary,
            "competitors": self.competitors, "context": self.context.model_dump(),
            "extract_lead": self.extract_lead, "pii_types": self.pii_types,
        }


class CreateCallFromUrl(CallOptionsIn):
    audio_url: str = Field(max_length=2048, description="http(s) URL of the recording, fetched by the worker")


class CallAccepted(BaseModel):
    id: str
    status: JobStatus
    status_url: str
    created_at: datetime


class ErrorInfo(BaseModel):
    code: str
    message: str | None = None


class AudioView(BaseModel):
    source: Literal["upload", "url"]
    filename: str | None = None
    content_type: str | None = None
    bytes: int | None = None
    duration_s: float | None = None
    url: str | None = None


class CallSummary(BaseModel):
    id: str
    status: JobStatus
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    correlation_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    error: ErrorInfo | None = None


class CallView(CallSummary):
    started_at: datetime | None = None
    attempts: int
    progress: dict[str, float] = Field(description="stage -> fraction done (0..1)")
    current_stage: str | None = None
    options: dict[str, Any]
    callback_url: str | None = None
    audio: AudioView
    result: CallResult | None = None


class CallList(BaseModel):
    data: list[CallSummary]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next page; null at the end")


class AuditView(BaseModel):
    at: datetime
    actor: str
    action: str
    from_state: str | None = None
    to_state: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class DeliveryView(BaseModel):
    id: str
    job_id: str | None
    event: str
    url: str
    status: Literal["pending", "delivered", "dead"]
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None


class DeliveryList(BaseModel):
    data: list[DeliveryView]


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: dict[str, Any] = Field(default_factory=dict)
